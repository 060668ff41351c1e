"""Swappable resources: the embedded lake by default, PostgreSQL catalog + S3 data by configuration."""

import functools
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
from pydantic import Field, PrivateAttr

from curation.compute import Compute, ComputeSettings, open_compute
from curation.ingest.landing import LandingFileError, landing_file, ready_landing_files
from curation.lake.client import Lake


class LakeResource(dg.ConfigurableResource):
    """The DuckLake lakehouse every asset reads and writes (tables in its default schema `main`)."""

    catalog: str = Field(
        description="DuckLake metadata: a DuckDB catalog file path, or 'postgres:dbname=... host=...', 'sqlite:...'"
    )
    data_path: str = Field(description="Where Parquet data files go: a local folder or s3://bucket/prefix/")
    lock_timeout_s: float = Field(default=600.0, description="How long a writer waits for a local catalog's lock")

    def lake(self) -> Lake:
        return Lake(self.catalog, self.data_path, self.lock_timeout_s)


class ComputeResource(dg.ConfigurableResource):
    """Where the heavy per-batch work runs (extraction, language ID, measurements, fingerprints, ratings):
    `local` in the step's process, or `ray`. The engine starts when an asset first asks for it and stops when the
    step ends (a Ray instance it started is shut down then)."""

    engine: str = Field(default="local", description="local (in-process) or ray")
    ray_address: str = Field(
        default="local", description="local (a Ray instance on 127.0.0.1 for this step), auto, or ray://host:port"
    )
    num_cpus: int = Field(default=0, ge=0, description="CPUs of a Ray instance started here (0: the machine's)")
    max_retries: int = Field(default=3, ge=0, description="times Ray recomputes a batch whose worker died")
    rows_per_batch: int = Field(default=256, ge=1, description="rows per batch: the unit of work a worker gets")

    _engine: Compute | None = PrivateAttr(default=None)

    def settings(self) -> ComputeSettings:
        return ComputeSettings(
            engine=self.engine,
            ray_address=self.ray_address,
            num_cpus=self.num_cpus,
            max_retries=self.max_retries,
            rows_per_batch=self.rows_per_batch,
        )

    @property
    def started(self) -> bool:
        return self._engine is not None

    def compute(self) -> Compute:
        if self._engine is None:
            self._engine = open_compute(self.settings())
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.close()


class LandingResource(dg.ConfigurableResource):
    """The folder new crawl files are dropped into; one crawl partition per file name."""

    path: str = Field(description="Landing folder watched by the crawl sensor")
    settle_seconds: float = Field(
        default=5.0, description="Ignore files modified more recently than this (they may still be copying)"
    )

    def folder(self) -> Path:
        return Path(self.path)

    def file(self, name: str) -> Path:
        """The landing file a partition key names: only a regular file directly inside the landing folder, never a
        symlink, a path with separators or `..`, or an unknown suffix (LandingFileError says which)."""
        try:
            return landing_file(self.folder(), name)
        except LandingFileError as e:
            raise dg.Failure(description=str(e)) from e

    def ready_files(self) -> list[str]:
        """Crawl files that look complete: a known suffix, not hidden, a regular file (symlinks are not followed),
        not modified in the last moments."""
        return ready_landing_files(self.folder(), self.settle_seconds, time.time())


class ModelStoreResource(dg.ConfigurableResource):
    """Where trained models are kept, one folder per kind and version."""

    path: str = Field(description="Model store folder (local path)")

    def store(self):
        from curation.rating.artifacts import ModelStore

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

        from curation.rating.llm_annotator import ChatEndpoint

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


class StatisticsDbtResource(dg.ConfigurableResource):
    """dbt for the statistics project. It takes no configuration: the executable and the project are fixed in
    code (a run config could otherwise name any program as `dbt_executable` and have it run). The executable is
    `curator-dbt`, dbt's own CLI in a process that dies with its parent, so a killed run leaves no dbt writing.

    Builds parse the project with the staging schema, the manifest Dagster reads with the live one: the build's
    own parse state is kept (`target/build-parse.msgpack`) and handed to the next build, so dbt re-parses only
    the files that changed since, not the whole project (~6 s) before every build."""

    def cli(self, args: list[str], context: dg.AssetExecutionContext, **kwargs):
        from assets.statistics.project import dbt_project

        target = (
            Path(dbt_project.project_dir, dbt_project.target_path)
            / f"{context.op_execution_context.op.name}-{uuid.uuid4().hex[:12]}"
        )
        cache = Path(dbt_project.project_dir, dbt_project.target_path) / BUILD_PARSE_CACHE
        if cache.exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(cache, target / "partial_parse.msgpack")
        return _dbt_cli().cli(args, context=context, target_path=target, **kwargs)

    def remember_parse(self, invocation) -> None:
        """Keep a finished build's parse state for the next build (replaced atomically: builds may overlap)."""
        from assets.statistics.project import dbt_project

        state = Path(invocation.target_path) / "partial_parse.msgpack"
        if state.exists():
            cache = Path(dbt_project.project_dir, dbt_project.target_path) / BUILD_PARSE_CACHE
            partial = cache.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
            shutil.copyfile(state, partial)
            os.replace(partial, cache)


BUILD_PARSE_CACHE = "build-parse.msgpack"


@functools.cache
def _dbt_cli():
    """One dbt CLI resource per process: it runs `dbt --version` (a dbt start-up, ~4 s) once, not per build."""
    from dagster_dbt import DbtCliResource

    from assets.statistics.project import dbt_project

    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "curator-dbt"))


def _environment(name: str) -> str:
    value = dg.EnvVar(name).get_value()
    if not value:
        raise dg.DagsterInvariantViolationError(f"environment variable {name} is not set (see .env)")
    return value


def _from_environment(build: Callable[[], dg.ConfigurableResource], description: str) -> dg.ResourceDefinition:
    """A resource configured by the deployment's environment alone, read when a run starts. It takes no run
    config, so no run launched from the UI or the API can point it at another folder, catalog or program."""
    # an empty schema, not None (which would accept any config and ignore it)
    return dg.ResourceDefinition(resource_fn=lambda _context: build(), config_schema={}, description=description)


def _optional_environment(name: str, default: str) -> str:
    return dg.EnvVar(name).get_value() or default


def _compute_from_environment(_context) -> Iterator[ComputeResource]:
    """CURATOR_COMPUTE (local or ray), CURATOR_RAY_ADDRESS, CURATOR_RAY_NUM_CPUS; the engine closes with the step."""
    resource = ComputeResource(
        engine=_optional_environment("CURATOR_COMPUTE", "local"),
        ray_address=_optional_environment("CURATOR_RAY_ADDRESS", "local"),
        num_cpus=int(_optional_environment("CURATOR_RAY_NUM_CPUS", "0")),
    )
    try:
        yield resource
    finally:
        resource.close()


def default_resources() -> dict[str, dg.ResourceDefinition | dg.ConfigurableResource]:
    """Configured from the environment at run time (`.env` holds the embedded defaults); none takes run config."""
    return {
        "dbt": StatisticsDbtResource(),
        "compute": dg.ResourceDefinition(
            resource_fn=_compute_from_environment,
            config_schema={},
            description="Where per-batch work runs (CURATOR_COMPUTE, CURATOR_RAY_ADDRESS, CURATOR_RAY_NUM_CPUS)",
        ),
        "lake": _from_environment(
            lambda: LakeResource(
                catalog=_environment("CURATOR_LAKE_CATALOG"), data_path=_environment("CURATOR_LAKE_DATA_PATH")
            ),
            "The DuckLake lakehouse (CURATOR_LAKE_CATALOG, CURATOR_LAKE_DATA_PATH)",
        ),
        "landing": _from_environment(
            lambda: LandingResource(path=_environment("CURATOR_LANDING_PATH")),
            "The landing folder of crawl files (CURATOR_LANDING_PATH)",
        ),
        "models": _from_environment(
            lambda: ModelStoreResource(path=_environment("CURATOR_MODEL_PATH")), "Model store (CURATOR_MODEL_PATH)"
        ),
        "annotations": _from_environment(
            lambda: AnnotationsResource(path=_environment("CURATOR_ANNOTATIONS_PATH")),
            "Annotation files (CURATOR_ANNOTATIONS_PATH)",
        ),
        "shards": _from_environment(
            lambda: ShardStoreResource(path=_environment("CURATOR_SHARDS_PATH")),
            "Training shards root (CURATOR_SHARDS_PATH)",
        ),
    }
