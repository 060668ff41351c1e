"""The house's layers point down: orchestration -> assets -> curation. The library imports neither Dagster nor the
layers above it, and a stage's assets never import another stage's module (they meet in curation.lake.tables)."""

import ast
from pathlib import Path

from curation.project import PROJECT_ROOT

LAYERS = {"curation": 0, "assets": 1, "orchestration": 2}


STAGES = ("ingestion", "documents", "signals", "filtered", "dedup", "rating", "mixtures", "statistics", "maintenance")


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def python_files(package: str) -> list[Path]:
    return sorted((PROJECT_ROOT / package).rglob("*.py"))


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for package, level in LAYERS.items():
        for path in python_files(package):
            for name in imports_of(path):
                top = name.split(".")[0]
                if LAYERS.get(top, -1) > level:
                    upward.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    assert upward == []


def test_the_library_never_imports_dagster():
    dagster = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path in python_files("curation")
        for name in imports_of(path)
        if name.split(".")[0] in ("dagster", "dagster_dbt")
    ]
    assert dagster == []


def test_a_stage_never_imports_another_stages_modules():
    crossing = []
    for stage in STAGES:
        for path in python_files(f"assets/{stage}"):
            for name in imports_of(path):
                parts = name.split(".")
                if parts[0] == "assets" and len(parts) > 1 and parts[1] in STAGES and parts[1] != stage:
                    crossing.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    assert crossing == []


def test_each_stage_folder_is_one_dagster_group_in_flow_order():
    from assets import dedup, documents, filtered, ingestion, maintenance, mixtures, rating, signals, statistics

    packages = (ingestion, documents, signals, filtered, dedup, rating, mixtures, statistics, maintenance)
    assert [p.GROUP for p in packages] == list(STAGES)
