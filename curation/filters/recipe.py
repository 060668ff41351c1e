"""Filter recipes: YAML files naming which filters run, in which order, with which thresholds.

A recipe is validated completely before anything reads or writes the lake: each filter's thresholds by a pydantic
model derived from the filter's own dataclass fields (type, published default, accepted range), then the
cross-field rules. An unknown filter, an unknown or measurement-time parameter, a wrong type, an out-of-range
threshold or a missing list file is refused with the field and the reason. A valid recipe compiles to SQL over
`quality_signals` + `documents`, so moving a threshold re-decides from stored measurements and never re-measures.

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
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import pydantic
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat, StrictInt

from curation.filters import FILTER_CLASSES, Filter
from curation.filters.gopher_repetition import MEASURED_DUP_N, MEASURED_TOP_N
from curation.filters.url import BUNDLED_LISTS, LIST_KINDS, read_list
from curation.recipe_files import RecipeError, dotted, first_problem, load_folder, read_yaml, type_name

_MEASURED_N = {"top_n_grams": MEASURED_TOP_N, "dup_n_grams": MEASURED_DUP_N}
_NAME = r"^[a-z][a-z0-9_]{0,62}$"
_LANGUAGE = re.compile(r"^[a-z]{2,8}$")
# cross-field rules: (low, high) thresholds of one filter that must not cross
_ORDERED_PAIRS = {
    "gopher_quality": [("min_doc_words", "max_doc_words"), ("min_avg_word_length", "max_avg_word_length")]
}

__all__ = ["FilterRecipe", "RecipeError", "load_recipe", "load_recipes", "parse_recipe"]


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

    def build(self) -> list[Filter]:
        """The filter objects, list files read: call when the recipe runs, not when definitions load."""
        built = []
        for name, kwargs in self.steps:
            args = dict(kwargs)
            for key, kind in LIST_KINDS.items():
                if key in args:
                    args[key] = frozenset().union(*(read_list(Path(p), kind) for p in args[key]))
            built.append(FILTER_CLASSES[name](**args))
        return built


# --- the typed schema: one pydantic model per registered filter, from its dataclass fields ---------------------


def _in_range(low: float, high: float | None):
    def check(value):
        if value < low or (high is not None and value > high):
            raise ValueError(f"{value} is out of range {f'[{low}, {high}]' if high is not None else f'>= {low}'}")
        return value

    return AfterValidator(check)


def _fixed(why: str):
    def refuse(value):
        raise ValueError(f"fixed when quality_signals measures ({why}); not a recipe threshold")

    return AfterValidator(refuse)


def _languages(value):
    if value is None or value == "any":
        return None
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a list of language codes or 'any', got {type_name(value)}")
    for code in value:
        if not isinstance(code, str) or not _LANGUAGE.match(code):
            raise ValueError(f"{code!r} is not a lid.176 language code (e.g. en, de, zh)")
    return tuple(value)


def _list_files(value, info: pydantic.ValidationInfo):
    """List files lie inside the recipe's folder (no other file is read) and exist; kept as resolved paths."""
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ValueError(f"expected a list of file paths, got {type_name(value)}")
    base = Path(info.context["base"])
    folder, paths = base.resolve(), []
    for entry in value:
        path = (base / entry).resolve()
        if not path.is_relative_to(folder):
            raise ValueError(f"{entry} is outside the recipe folder; list files must lie inside it")
        if not path.is_file():
            raise ValueError(f"no such file: {entry} (paths are relative to the recipe file)")
        paths.append(str(path))
    return tuple(paths)


def _overrides(settings: tuple[str, ...]):
    """{language key: {setting: number}} -> sorted tuples; keys are FineWeb-2's, settings the filter's own."""

    def check(value):
        from curation.filters.language_settings import all_keys

        if not isinstance(value, dict):
            raise ValueError(f"expected a mapping of language keys (e.g. deu_Latn) to settings, got {type_name(value)}")
        known, out = set(all_keys()), []
        for key, changes in value.items():
            if key not in known:
                raise ValueError(f"{key!r} is not a FineWeb-2 language key (e.g. deu_Latn, cmn_Hani, default)")
            if not isinstance(changes, dict) or not changes:
                raise ValueError(f"{key}: expected a mapping of settings ({', '.join(settings)})")
            for name, number in changes.items():
                if name not in settings:
                    raise ValueError(f"{key}.{name}: not a setting of this filter; it has {', '.join(settings)}")
                if isinstance(number, bool) or not isinstance(number, int | float) or not 0 <= number < 1e9:
                    raise ValueError(f"{key}.{name}: expected a number >= 0, got {number!r}")
            out.append((key, tuple(sorted((n, float(x)) for n, x in changes.items()))))
        return tuple(sorted(out))

    return AfterValidator(check)


def _ngram_size(measured: tuple[int, ...]):
    def check(n):
        if n not in measured:
            raise ValueError(f"n-gram size not measured by quality_signals ({', '.join(map(str, measured))})")
        return n

    return Annotated[StrictInt, AfterValidator(check)]


def _mapping(value):
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping of n-gram size to fraction, got {type_name(value)}")
    return value


def _annotation(spec: dataclasses.Field):
    if "measured" in spec.metadata:
        return Annotated[Any, _fixed(spec.metadata["measured"])]
    if "overrides" in spec.metadata:
        return Annotated[Any, _overrides(spec.metadata["overrides"])]
    if "languages" in spec.metadata:
        return Annotated[Any, AfterValidator(_languages)]
    if "list" in spec.metadata:
        return Annotated[Any, AfterValidator(_list_files)]
    low, high = spec.metadata["range"]
    if spec.name in _MEASURED_N:
        fraction = Annotated[StrictFloat, _in_range(low, high)]
        pairs = AfterValidator(lambda v: tuple(sorted((n, float(x)) for n, x in v.items())))
        return Annotated[dict[_ngram_size(_MEASURED_N[spec.name]), fraction], BeforeValidator(_mapping), pairs]
    number = StrictInt if spec.type is int else StrictFloat  # bool is neither; 50.5 is not an integer
    return Annotated[number, _in_range(low, high)]


@cache
def params_model(name: str) -> type[BaseModel]:
    """The thresholds a recipe may give filter `name`: every init field of its dataclass, all optional (the
    published default applies), none other."""
    cls = FILTER_CLASSES[name]
    fields = {f.name: (_annotation(f), None) for f in dataclasses.fields(cls) if f.init}
    config = ConfigDict(extra="forbid", allow_inf_nan=False)
    return pydantic.create_model(f"{cls.__name__}Thresholds", __config__=config, **fields)


def _settable(name: str) -> str:
    return ", ".join(
        f.name for f in dataclasses.fields(FILTER_CLASSES[name]) if f.init and "measured" not in f.metadata
    )


class _RecipeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(pattern=_NAME)]
    description: str = ""
    filters: dict[str, Any]

    @pydantic.field_validator("filters", mode="before")
    @classmethod
    def _non_empty(cls, value):
        if not isinstance(value, dict) or not value:
            raise ValueError(f"expected a non-empty mapping of filter names, got {type_name(value)}")
        return value


# --- parsing ---------------------------------------------------------------------------------------------------


def _fingerprint(steps: tuple[tuple[str, dict], ...]) -> str:
    def canonical(name, kwargs):
        out = {}
        for key, value in sorted(kwargs.items()):
            if key in LIST_KINDS:  # a list counts by its content, not its path
                value = [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in value]
            out[key] = value
        return [name, out]

    bundled = {}
    if any(name == "url" for name, _ in steps):  # the default word lists count too
        bundled = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(BUNDLED_LISTS.glob("*.txt"))}
    text = json.dumps([[canonical(n, k) for n, k in steps], bundled], sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _step(source: str, name: str, params, base: Path) -> tuple[str, dict]:
    prefix = f"filters.{name}"
    if name not in FILTER_CLASSES:
        raise RecipeError(source, prefix, f"unknown filter; known filters: {', '.join(FILTER_CLASSES)}")
    if params is None:
        return name, {}
    if not isinstance(params, dict):
        raise RecipeError(source, prefix, f"expected a mapping of thresholds or nothing, got {type_name(params)}")
    try:
        validated = params_model(name).model_validate(params, context={"base": base})
    except pydantic.ValidationError as error:
        loc, reason, kind = first_problem(error)
        if kind == "extra_forbidden":
            reason = f"unknown parameter of {name}; it takes: {_settable(name)}"
        raise RecipeError(source, dotted(prefix, *loc), reason) from None
    kwargs = {}
    for key in params:
        value = getattr(validated, key)
        # numbers as written (3 stays 3, not 3.0), so the fingerprint follows the file
        kwargs[key] = params[key] if isinstance(value, int | float) and not isinstance(value, bool) else value
    specs = {f.name: f for f in dataclasses.fields(FILTER_CLASSES[name])}
    for low_key, high_key in _ORDERED_PAIRS.get(name, []):
        low = kwargs.get(low_key, specs[low_key].default)
        high = kwargs.get(high_key, specs[high_key].default)
        if low > high:
            raise RecipeError(source, f"{prefix}.{low_key}", f"{low} is above {high_key} ({high})")
    return name, kwargs


def parse_recipe(data, name: str, source: str, base: Path) -> FilterRecipe:
    if not isinstance(data, dict):
        raise RecipeError(source, "(file)", f"expected a mapping with 'filters', got {type_name(data)}")
    unknown = sorted(set(data) - set(_RecipeFile.model_fields))
    if unknown:  # named before anything missing: a misspelt `filters` is the likelier mistake
        raise RecipeError(source, str(unknown[0]), "unknown field; a recipe has name, description, filters")
    if data.get("name", name) != name:
        raise RecipeError(source, "name", f"{data['name']!r} differs from the file name {name!r}")
    try:
        recipe = _RecipeFile.model_validate({**data, "name": name})
    except pydantic.ValidationError as error:
        loc, reason, kind = first_problem(error)
        if loc == ("name",):
            reason = f"{name!r} must be lowercase letters, digits and _ (it names a view)"
        raise RecipeError(source, dotted(*loc), reason) from None
    steps = tuple(_step(source, filter_name, params, base) for filter_name, params in recipe.filters.items())
    return FilterRecipe(name, recipe.description.strip(), source, steps, _fingerprint(steps))


def load_recipe(path: str | Path) -> FilterRecipe:
    path = Path(path)
    return parse_recipe(read_yaml(path), path.stem, str(path), path.parent)


def load_recipes(folder: str | Path, errors: dict[str, RecipeError] | None = None) -> dict[str, FilterRecipe]:
    """Every `*.yaml` recipe in a folder, each validated. The first invalid one raises, unless `errors` is given:
    then it collects the refusals by file stem, so one bad file takes down only what depends on it."""
    return load_folder(folder, load_recipe, errors)
