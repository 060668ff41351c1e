"""Swappable resources: the embedded lake by default, PostgreSQL catalog + S3 data by configuration."""

import sys
import time
from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.lakehouse import Lake
from assets.transforms.crawl_formats import is_crawl_file_name


class LakeResource(dg.ConfigurableResource):
    """The DuckLake lakehouse every asset reads and writes (tables in its default schema `main`)."""

    catalog: str = Field(
        description="DuckLake metadata: a DuckDB catalog file path, or 'postgres:dbname=... host=...', 'sqlite:...'"
    )
    data_path: str = Field(description="Where Parquet data files go: a local folder or s3://bucket/prefix/")
    lock_timeout_s: float = Field(default=600.0, description="How long a writer waits for a local catalog's lock")

    def lake(self) -> Lake:
        return Lake(self.catalog, self.data_path, self.lock_timeout_s)


class LandingResource(dg.ConfigurableResource):
    """The folder new crawl files are dropped into; one crawl partition per file name."""

    path: str = Field(description="Landing folder watched by the crawl sensor")
    settle_seconds: float = Field(
        default=5.0, description="Ignore files modified more recently than this (they may still be copying)"
    )

    def folder(self) -> Path:
        return Path(self.path)

    def file(self, name: str) -> Path:
        path = self.folder() / name
        if not path.is_file():
            raise dg.Failure(f"crawl file {name!r} is not in the landing folder {self.folder().resolve()}")
        return path

    def ready_files(self) -> list[str]:
        """Crawl files that look complete: a known suffix, not hidden, not modified in the last moments."""
        folder = self.folder()
        if not folder.is_dir():
            return []
        now = time.time()
        return sorted(
            p.name
            for p in folder.iterdir()
            if p.is_file() and is_crawl_file_name(p.name) and now - p.stat().st_mtime >= self.settle_seconds
        )


class ModelStoreResource(dg.ConfigurableResource):
    """Where trained models are kept, one folder per kind and version."""

    path: str = Field(description="Model store folder (local path)")

    def store(self):
        from assets.transforms.rating.artifacts import ModelStore

        return ModelStore(Path(self.path))


class AnnotationsResource(dg.ConfigurableResource):
    """The annotation files (a folder of *.jsonl) and, optionally, an OpenAI-compatible LLM endpoint that rates
    more documents by the guidelines. The endpoint is read from environment variables when a run asks for it
    (unset or empty base URL: off, the default), so a deployment sets them without touching code."""

    path: str = Field(description="Folder of *.jsonl annotation files")
    endpoint_base_url_env: str = Field(default="CURATOR_ANNOTATOR_BASE_URL", description="e.g. http://host/v1")
    endpoint_model_env: str = Field(default="CURATOR_ANNOTATOR_MODEL", description="model name to request")
    endpoint_api_key_env: str = Field(default="CURATOR_ANNOTATOR_API_KEY", description="bearer token, optional")

    def folder(self) -> Path:
        return Path(self.path)

    def endpoint(self):
        import os

        from assets.transforms.rating.llm_annotator import ChatEndpoint

        base_url = os.environ.get(self.endpoint_base_url_env, "")
        if not base_url:
            return None
        return ChatEndpoint(
            base_url, os.environ.get(self.endpoint_model_env, ""), os.environ.get(self.endpoint_api_key_env, "")
        )


class ShardStoreResource(dg.ConfigurableResource):
    """Where training shards are written: one folder per mixture recipe (local path)."""

    path: str = Field(description="Training shards root folder")

    def folder(self, recipe: str) -> Path:
        return Path(self.path) / recipe


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """Configured from the environment at run time (`.env` holds the embedded defaults)."""
    from dagster_dbt import DbtCliResource

    from assets.statistics.project import dbt_project

    return {
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")),
        "lake": LakeResource(catalog=dg.EnvVar("CURATOR_LAKE_CATALOG"), data_path=dg.EnvVar("CURATOR_LAKE_DATA_PATH")),
        "landing": LandingResource(path=dg.EnvVar("CURATOR_LANDING_PATH")),
        "models": ModelStoreResource(path=dg.EnvVar("CURATOR_MODEL_PATH")),
        "annotations": AnnotationsResource(path=dg.EnvVar("CURATOR_ANNOTATIONS_PATH")),
        "shards": ShardStoreResource(path=dg.EnvVar("CURATOR_SHARDS_PATH")),
    }
