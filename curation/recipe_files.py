"""What both recipe kinds (filter and mixture) share: YAML read safely, pydantic validation, and refusals that name
the file, the field and the reason, so every recipe is refused the same way before any data is touched."""

from pathlib import Path

import pydantic
import yaml


class RecipeError(ValueError):
    """A recipe that cannot run: names the file, the field and the reason."""

    def __init__(self, source: str, field: str, reason: str):
        self.source, self.field, self.reason = source, field, reason
        super().__init__(f"{source}: {field}: {reason}")


def type_name(value) -> str:
    return f"{value!r} ({type(value).__name__})"


def read_yaml(path: Path, error: type[RecipeError] = RecipeError):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise error(str(path), "(file)", f"cannot read: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise error(str(path), "(file)", f"not valid YAML: {e}") from e


_PLAIN = {  # pydantic's type errors, said the way a recipe author reads them
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "string_type": "expected text",
}


def first_problem(error: pydantic.ValidationError) -> tuple[tuple, str, str]:
    """(location, reason, pydantic error type) of the first problem pydantic found."""
    first = error.errors(include_url=False)[0]
    loc = tuple(part for part in first["loc"] if part != "[key]")
    kind = first["type"]
    reason = first["msg"].removeprefix("Value error, ")
    if kind in _PLAIN:
        reason = f"{_PLAIN[kind]}, got {type_name(first.get('input'))}"
    return loc, reason, kind


def dotted(*parts) -> str:
    return ".".join(str(p) for p in parts)


def load_folder(folder: str | Path, load, errors: dict | None) -> dict:
    """Every `*.yaml` recipe of a folder through `load(path)`, by name. The first refusal raises, unless `errors`
    is given: then refusals are collected by file stem, so one bad file takes down only what depends on it."""
    recipes = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            recipe = load(path)
        except RecipeError as error:
            if errors is None:
                raise
            errors[path.stem] = error
            continue
        recipes[recipe.name] = recipe
    return recipes
