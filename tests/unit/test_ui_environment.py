"""`make ui` runs what the deployment's environment says: `.env` only fills in what is unset, its relative paths
are made absolute, and the servers run in the instance's folder, where Dagster's command lines find no `.env` to
load over the real environment."""

import os
from pathlib import Path

import pytest
from dotenv import dotenv_values

from curation.project import PROJECT_ROOT
from orchestration.ui import settle_environment


@pytest.fixture(autouse=True)
def unset_env_file_settings(monkeypatch):
    """Every setting `.env` names starts unset, and is unset again afterwards (settle_environment sets them)."""
    for name in dotenv_values(PROJECT_ROOT / ".env"):
        monkeypatch.delenv(name, raising=False)


def test_real_environment_variables_win_and_defaults_become_absolute(monkeypatch, tmp_path):
    monkeypatch.setenv("CURATOR_LANDING_PATH", str(tmp_path / "mine"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    folder = settle_environment()
    assert os.environ["CURATOR_LANDING_PATH"] == str(tmp_path / "mine")
    assert os.environ["CURATOR_LAKE_CATALOG"] == "sqlite:" + str(PROJECT_ROOT / "data" / "lake" / "catalog.sqlite")
    assert os.environ["CURATOR_SHARDS_PATH"] == str(PROJECT_ROOT / "data" / "shards")
    assert folder == tmp_path / "home" and folder.is_dir() and not (folder / ".env").exists()


def test_server_catalogs_and_object_store_paths_are_left_as_they_are(monkeypatch, tmp_path):
    monkeypatch.setenv("CURATOR_LAKE_CATALOG", "postgres:dbname=lake host=db")
    monkeypatch.setenv("CURATOR_LAKE_DATA_PATH", "s3://bucket/lake/")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    settle_environment()
    assert os.environ["CURATOR_LAKE_CATALOG"] == "postgres:dbname=lake host=db"
    assert os.environ["CURATOR_LAKE_DATA_PATH"] == "s3://bucket/lake/"
    assert Path(os.environ["CURATOR_MODEL_PATH"]).is_absolute()
