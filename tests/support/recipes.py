"""Recipe files written by tests: a filter recipe from a mapping or YAML text, and a valid mixture recipe to vary."""

from pathlib import Path

import yaml

from curation.project import FILTER_RECIPES_DIR

FINEWEB = FILTER_RECIPES_DIR / "fineweb.yaml"

MIXTURE = {  # a valid mixture recipe naming the shipped `fineweb` filter recipe
    "token_budget": "2M",
    "streams": [{"name": "web", "filter_recipe": "fineweb", "selection": {"method": "qurating", "tau": 2.0}}],
    "phases": [
        {"name": "main", "fraction": 0.85},
        {"name": "final", "fraction": 0.15, "upsample": {"Coding": 3, "Mathematics": 3}},
    ],
}


def write_recipe(folder: Path, name: str, data) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def mixture_with(path: str, value) -> dict:
    """MIXTURE with one field replaced; `path` like 'streams.0.selection.tau'."""
    data = yaml.safe_load(yaml.safe_dump(MIXTURE))
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = data
    for part in parents:
        node = node[part]
    node[last] = value
    return data
