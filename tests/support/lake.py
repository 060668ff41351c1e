"""Materializing assets on a temporary lake, reading it back, and private copies for tests that write."""

import hashlib
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import dagster as dg
import pytest

from assets.partitions import CRAWL_FILES

# the lake suite's catalogs: a test marked with this runs on each (the `lake_resource` fixture's parameter)
CATALOGS = ("sqlite", "postgres")
BOTH_CATALOGS = pytest.mark.parametrize("lake_resource", CATALOGS, indirect=True)


def postgres_catalog(request) -> str:
    """A database of its own for the requesting test (or module) on the session's PostgreSQL server."""
    server = request.getfixturevalue("postgres")
    database = "lake_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]
    server.create_database(database)
    return server.catalog(database)


def rows(lake, sql, params=()):
    with lake.connect(read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def materialize_partition(assets, instance, resources, key, run_config=None, raise_on_error=True):
    """Register the crawl partition (as the landing sensor would) and materialize `assets` for it."""
    instance.add_dynamic_partitions(CRAWL_FILES.name, [key])
    return dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        partition_key=key,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def materialize(instance, resources, key, raise_on_error=True, **config):
    """Ingest one crawl partition, with `config` for the ingestion asset."""
    from assets.ingestion.assets import ingest_crawl_file

    run_config = {"ops": {"ingest_crawl_file": {"config": config}}} if config else None
    return materialize_partition([ingest_crawl_file], instance, resources, key, run_config, raise_on_error)


def copy_lake(source: Path, target: Path) -> None:
    """Copy a lake folder (`catalog.sqlite` + `files/`) and point the copied catalog at the copied data files
    (DuckLake keeps their paths relative to the data path it stores)."""
    shutil.copytree(source, target, symlinks=True)
    with closing(sqlite3.connect(target / "catalog.sqlite")) as catalog, catalog:
        catalog.execute("UPDATE ducklake_metadata SET value = ? WHERE key = 'data_path'", [f"{target / 'files'}/"])


def copy_folders(source: Path, target: Path, names: tuple[str, ...]) -> None:
    """Copy the named subfolders of `source` (a `lake` one with `copy_lake`)."""
    for name in names:
        if not (source / name).exists():
            continue
        if name == "lake":
            copy_lake(source / name, target / name)
        else:
            shutil.copytree(source / name, target / name, symlinks=True)
