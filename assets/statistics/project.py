"""The dbt project whose models are the lake's statistics (schema `stats` of the lake)."""

from pathlib import Path

from dagster_dbt import DbtProject

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
EXTENSION_DIR = DBT_DIR / ".duckdb_extensions"
SOURCE_FOLDERS = ("models", "macros", "seeds", "tests")

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def manifest_is_stale(project_dir: Path = DBT_DIR, manifest: Path = dbt_project.manifest_path) -> bool:
    """No manifest yet, or a model, macro, seed, test or project file newer than it."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    files += [p for folder in SOURCE_FOLDERS for p in (project_dir / folder).rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in files if p.exists())


# dagster-dbt reads the manifest when the code location loads. `make` parses it whenever a model changes; here
# it is parsed again (offline, `dbt parse`) only where it is missing or older than the project's files, e.g.
# after editing a model under `dagster dev` and reloading definitions.
if manifest_is_stale():
    dbt_project.preparer.prepare(dbt_project)
