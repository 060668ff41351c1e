"""The dbt project whose models are the lake's statistics (schema `stats` of the lake)."""

from pathlib import Path

from dagster_dbt import DbtProject

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
EXTENSION_DIR = DBT_DIR / ".duckdb_extensions"

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
dbt_project.prepare_if_dev()  # `dagster dev`: re-parse so edited models show up
if not dbt_project.manifest_path.exists():  # a checkout where `make` has not parsed the project yet
    dbt_project.preparer.prepare(dbt_project)
