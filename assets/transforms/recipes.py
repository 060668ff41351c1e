"""Filter recipes: YAML files naming which filters run, in which order, with which thresholds.

A recipe is validated completely before anything reads or writes the lake: an unknown filter, an unknown or
measurement-time parameter, a wrong type, an out-of-range threshold or a missing list file is refused with the
field and the reason. A valid recipe compiles to SQL over `quality_signals` + `documents`, so moving a
threshold re-decides from stored measurements and never re-measures.

    name: fineweb                 # optional; must match the file name
    description: ...
    filters:                      # in the order they apply; the first rejection is the document's reason
      url: {blocked_domains: [lists/domains.txt], soft_word_threshold: 2}
      language: {languages: [en], language_threshold: 0.65}
      gopher_repetition: {dup_line_frac: 0.3, top_n_grams: {2: 0.2, 3: 0.18, 4: 0.16}}
      gopher_quality: {}          # {} or nothing: the published defaults
      c4: {}
      fineweb_quality: {}
"""

import dataclasses
import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from assets.transforms.filters.c4_fineweb import C4Quality, FineWebQuality
from assets.transforms.filters.gopher import MEASURED_DUP_N, MEASURED_TOP_N, GopherQuality, GopherRepetition
from assets.transforms.filters.language import LanguageFilter
from assets.transforms.filters.url import BUNDLED_LISTS, LIST_KINDS, URLFilter, read_list

# FineWeb's order (Penedo et al. 2024): URL, language, Gopher repetition, Gopher quality, C4, FineWeb quality
FILTER_CLASSES = {
    cls.name: cls for cls in (URLFilter, LanguageFilter, GopherRepetition, GopherQuality, C4Quality, FineWebQuality)
}
_MEASURED_N = {"top_n_grams": MEASURED_TOP_N, "dup_n_grams": MEASURED_DUP_N}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_LANGUAGE = re.compile(r"^[a-z]{2,8}$")
_ORDERED_PAIRS = {
    "gopher_quality": [("min_doc_words", "max_doc_words"), ("min_avg_word_length", "max_avg_word_length")]
}


class RecipeError(ValueError):
    """A recipe that cannot run: names the file, the field and the reason."""

    def __init__(self, source: str, field: str, reason: str):
        self.source, self.field, self.reason = source, field, reason
        super().__init__(f"{source}: {field}: {reason}")


@dataclass(frozen=True)
class FilterRecipe:
    name: str
    description: str
    source: str
    # (filter name, validated keyword arguments); list-valued URL arguments are file paths, read by build()
    steps: tuple[tuple[str, dict], ...]
    fingerprint: str  # changes exactly when a threshold, a filter or a list file's content changes

    @property
    def filter_names(self) -> list[str]:
        return [name for name, _ in self.steps]

    def build(self) -> list:
        """The filter objects, list files read: call when the recipe runs, not when definitions load."""
        built = []
        for name, kwargs in self.steps:
            args = dict(kwargs)
            if name == "url":
                for key in LIST_KINDS:
                    if key in args:
                        args[key] = frozenset().union(*(read_list(Path(p), LIST_KINDS[key]) for p in args[key]))
            built.append(FILTER_CLASSES[name](**args))
        return built


def _type_name(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def _number(source, field, value, spec: dataclasses.Field, expected: type | None = None):
    expected = expected or spec.type
    if isinstance(value, bool) or not isinstance(value, int | float) or (expected is int and isinstance(value, float)):
        raise RecipeError(
            source, field, f"expected {'an integer' if expected is int else 'a number'}, got {_type_name(value)}"
        )
    if not math.isfinite(value):
        raise RecipeError(source, field, f"expected a finite number, got {value}")
    low, high = spec.metadata["range"]
    if value < low or (high is not None and value > high):
        bounds = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise RecipeError(source, field, f"{value} is out of range {bounds}")
    return value


def _ngrams(source, field, value, spec: dataclasses.Field, key: str):
    if not isinstance(value, dict):
        raise RecipeError(source, field, f"expected a mapping of n-gram size to fraction, got {_type_name(value)}")
    pairs = []
    for n, fraction in value.items():
        if isinstance(n, bool) or not isinstance(n, int) or n not in _MEASURED_N[key]:
            measured = ", ".join(map(str, _MEASURED_N[key]))
            raise RecipeError(source, f"{field}.{n}", f"n-gram size not measured by quality_signals ({measured})")
        pairs.append((n, float(_number(source, f"{field}.{n}", fraction, spec, float))))
    return tuple(sorted(pairs))


def _languages(source, field, value):
    if value is None or value == "any":
        return None
    if not isinstance(value, list) or not value:
        raise RecipeError(source, field, f"expected a list of language codes or 'any', got {_type_name(value)}")
    for code in value:
        if not isinstance(code, str) or not _LANGUAGE.match(code):
            raise RecipeError(source, field, f"{code!r} is not a lid.176 language code (e.g. en, de, zh)")
    return tuple(value)


def _list_files(source, field, value, base: Path):
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise RecipeError(source, field, f"expected a list of file paths, got {_type_name(value)}")
    paths = []
    folder = base.resolve()
    for entry in value:
        path = (base / entry).resolve()
        if not path.is_relative_to(folder):
            raise RecipeError(source, field, f"{entry} is outside the recipe folder; list files must lie inside it")
        if not path.is_file():
            raise RecipeError(source, field, f"no such file: {entry} (paths are relative to the recipe file)")
        paths.append(str(path))
    return tuple(paths)


def _filter_arguments(source: str, name: str, params, base: Path) -> dict:
    prefix = f"filters.{name}"
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise RecipeError(source, prefix, f"expected a mapping of thresholds or nothing, got {_type_name(params)}")
    specs = {f.name: f for f in dataclasses.fields(FILTER_CLASSES[name]) if f.init}
    kwargs = {}
    for key, value in params.items():
        field = f"{prefix}.{key}"
        spec = specs.get(key)
        if spec is None:
            settable = ", ".join(k for k, s in specs.items() if "measured" not in s.metadata)
            raise RecipeError(source, field, f"unknown parameter of {name}; it takes: {settable}")
        if "measured" in spec.metadata:
            raise RecipeError(
                source,
                field,
                f"fixed when quality_signals measures ({spec.metadata['measured']}); not a recipe threshold",
            )
        if "languages" in spec.metadata:
            kwargs[key] = _languages(source, field, value)
        elif "list" in spec.metadata:
            kwargs[key] = _list_files(source, field, value, base)
        elif key in _MEASURED_N:
            kwargs[key] = _ngrams(source, field, value, spec, key)
        else:
            kwargs[key] = _number(source, field, value, spec)
    for low_key, high_key in _ORDERED_PAIRS.get(name, []):
        low = kwargs.get(low_key, specs[low_key].default)
        high = kwargs.get(high_key, specs[high_key].default)
        if low > high:
            raise RecipeError(source, f"{prefix}.{low_key}", f"{low} is above {high_key} ({high})")
    return kwargs


def _fingerprint(steps: tuple[tuple[str, dict], ...]) -> str:
    def canonical(name, kwargs):
        out = {}
        for key, value in sorted(kwargs.items()):
            if name == "url" and key in LIST_KINDS:  # a list counts by its content, not its path
                value = [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in value]
            out[key] = value
        return [name, out]

    bundled = {}
    if any(name == "url" for name, _ in steps):  # the default word lists count too
        bundled = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(BUNDLED_LISTS.glob("*.txt"))}
    text = json.dumps([[canonical(n, k) for n, k in steps], bundled], sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_recipe(data, name: str, source: str, base: Path) -> FilterRecipe:
    if not isinstance(data, dict):
        raise RecipeError(source, "(file)", f"expected a mapping with 'filters', got {_type_name(data)}")
    unknown = set(data) - {"name", "description", "filters"}
    if unknown:
        raise RecipeError(source, sorted(unknown)[0], "unknown field; a recipe has name, description, filters")
    if data.get("name", name) != name:
        raise RecipeError(source, "name", f"{data['name']!r} differs from the file name {name!r}")
    if not _NAME.match(name):
        raise RecipeError(source, "name", f"{name!r} must be lowercase letters, digits and _ (it names a view)")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise RecipeError(source, "description", f"expected text, got {_type_name(description)}")
    filters = data.get("filters")
    if not isinstance(filters, dict) or not filters:
        raise RecipeError(source, "filters", f"expected a non-empty mapping of filter names, got {_type_name(filters)}")
    steps = []
    for filter_name, params in filters.items():
        if filter_name not in FILTER_CLASSES:
            known = ", ".join(FILTER_CLASSES)
            raise RecipeError(source, f"filters.{filter_name}", f"unknown filter; known filters: {known}")
        steps.append((filter_name, _filter_arguments(source, filter_name, params, base)))
    steps = tuple(steps)
    return FilterRecipe(name, description.strip(), source, steps, _fingerprint(steps))


def load_recipe(path: str | Path) -> FilterRecipe:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RecipeError(str(path), "(file)", f"cannot read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise RecipeError(str(path), "(file)", f"not valid YAML: {error}") from error
    return parse_recipe(data, path.stem, str(path), path.parent)


def load_recipes(folder: str | Path, errors: dict[str, RecipeError] | None = None) -> dict[str, FilterRecipe]:
    """Every `*.yaml` recipe in a folder, each validated. The first invalid one raises, unless `errors` is given:
    then it collects the refusals by file stem, so one bad file takes down only what depends on it."""
    recipes = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            recipe = load_recipe(path)
        except RecipeError as error:
            if errors is None:
                raise
            errors[path.stem] = error
            continue
        recipes[recipe.name] = recipe
    return recipes


def main(argv: list[str]) -> int:
    """`python -m assets.transforms.recipes FILE_OR_FOLDER...`: validate recipes without touching the lake."""
    failed = 0
    for arg in argv:
        try:
            found = load_recipes(arg) if Path(arg).is_dir() else {"": load_recipe(arg)}
            for recipe in found.values():
                print(f"ok  {recipe.source}: {' -> '.join(recipe.filter_names)} (fingerprint {recipe.fingerprint})")
        except RecipeError as error:
            print(f"BAD {error}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
