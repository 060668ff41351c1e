"""Fixtures shared by the three tiers. A test's tier is its folder: `unit/` (the library, no lake), `assets/` (a
temporary lake: one materialization, or the library over it), `e2e/` (the demo pipeline, run once per session).
Each folder's tests carry its marker, so `pytest -m unit` runs one tier."""

import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path

import dagster as dg
import pytest
from support.lake import postgres_catalog

from assets.resources import ComputeResource, LakeResource, LandingResource
from curation.lake.client import Lake
from curation.lake.local_postgres import LocalPostgres

TIERS = ("unit", "assets", "e2e")
RERUN_TEST = "test_a_second_demo_run_replaces_partitions_and_never_doubles_rows"


def worker_group(nodeid: str) -> str:
    """Under `make test` (two pytest-xdist workers) the tests of one group run on one worker, so its module
    fixtures are built once: a module per group, the demo rerun a group of its own."""
    return "demo-rerun" if nodeid.endswith(RERUN_TEST) else nodeid.split("::")[0]


# The order groups are handed out in (xdist gives each worker the next group when it runs low). The demo's first
# reader comes first, so one worker builds the demo (a file lock: the other would wait) while the other takes the
# asset tier; then the demo's other readers, the longest first (they find the demo built), then the unit tier's
# many short modules, which fill in at the end.
DEMO_BUILDER = "tests/e2e/test_demo.py"
DEMO_READERS = (  # longest first, as measured with --durations
    "demo-rerun",
    "tests/e2e/test_mixture_assets.py",
    "tests/e2e/test_decontamination_on_the_demo.py",
    "tests/e2e/test_statistics_marts.py",
    "tests/e2e/test_output_fixes_on_the_demo.py",
    "tests/e2e/test_insight_on_the_demo.py",
)


def queue_position(group: str) -> tuple[int, int]:
    if group == DEMO_BUILDER:
        return (0, 0)
    if group in DEMO_READERS:
        return (2, DEMO_READERS.index(group))
    return (3 if group.startswith("tests/unit/") else 1 if "/e2e/" not in group else 2, len(DEMO_READERS))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return ByGroup(config, log)


def pytest_configure(config):
    """Under pytest-xdist (`make test`: two workers on two cores), one OpenMP/BLAS thread per worker process
    (torch, scikit-learn's boosted trees, numpy). With a thread per core in each worker, OpenMP's spin-waiting
    threads starve each other: a quick rater's training took 157 s beside another, 32 s with one thread each. Set
    in the controller before it starts its workers, so they and their subprocesses start with it."""
    if getattr(config.option, "numprocesses", None):
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(variable, "1")


def pytest_collection_modifyitems(config, items):
    for item in items:
        tier = Path(item.fspath).parent.name
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))

    items.sort(key=lambda item: queue_position(worker_group(item.nodeid)))


@pytest.fixture
def landing_dir(tmp_path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server per test process (a unix socket in a private folder, no TCP port), stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix="curator-pg-"))
    server = LocalPostgres(folder).start(databases=())
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def lake_resource(request, tmp_path) -> LakeResource:
    """The test's lake: an embedded SQLite catalog, or (parametrized with `BOTH_CATALOGS`) a PostgreSQL one."""
    if getattr(request, "param", "sqlite") == "postgres":
        catalog = postgres_catalog(request)
    else:
        catalog = "sqlite:" + str(tmp_path / "lake" / "catalog.sqlite")
    return LakeResource(catalog=catalog, data_path=str(tmp_path / "lake" / "files"))


@pytest.fixture
def lake(lake_resource) -> Lake:
    return lake_resource.lake()


@pytest.fixture
def resources(lake_resource, landing_dir) -> dict:
    return {
        "lake": lake_resource,
        "landing": LandingResource(path=str(landing_dir), settle_seconds=0),
        "compute": ComputeResource(),
    }


@pytest.fixture
def instance():
    """An in-memory Dagster instance: a SQLite one commits every event to disk (about 30 ms each)."""
    with dg.DagsterInstance.ephemeral() as inst:
        yield inst


def demo_environment(root: Path) -> dict[str, str]:
    """The deployment's environment for a demo folder (what `.env` sets for `make demo`)."""
    from support.rating import ANNOTATIONS

    return {
        "CURATOR_LAKE_CATALOG": "sqlite:" + str(root / "lake" / "catalog.sqlite"),
        "CURATOR_LAKE_DATA_PATH": str(root / "lake" / "files"),
        "CURATOR_LANDING_PATH": str(root / "landing"),
        "CURATOR_MODEL_PATH": str(root / "models"),
        "CURATOR_ANNOTATIONS_PATH": str(ANNOTATIONS),
        "CURATOR_SHARDS_PATH": str(root / "shards"),
    }


def run_demo_in(root: Path, instance: dg.DagsterInstance, skip_jobs: tuple[str, ...] = ()) -> dict:
    """`make demo`'s run over `root` with the definitions' own resources, configured through dg.EnvVar as a
    deployment would (a quick rater in the fast mode). Returns rows per table, failed jobs, and per asset what its
    latest materialization shows in the UI (each metadata entry as its Markdown text, or "" where it is not
    Markdown)."""
    from support.rating import QUICK_FAST

    from orchestration.demo import run_demo

    env = demo_environment(root)
    lake = LakeResource(catalog=env["CURATOR_LAKE_CATALOG"], data_path=env["CURATOR_LAKE_DATA_PATH"])
    landing = LandingResource(path=env["CURATOR_LANDING_PATH"], settle_seconds=0)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        from orchestration.definitions import defs

        summary = run_demo(defs, instance, lake, landing, rating_ops_config=QUICK_FAST, skip_jobs=skip_jobs)
        metadata = {
            key.to_user_string(): {k: getattr(v, "md_str", "") for k, v in event.asset_materialization.metadata.items()}
            for key in defs.resolve_asset_graph().get_all_asset_keys()
            if (event := instance.get_latest_materialization_event(key)) is not None
        }
    return {**summary, "metadata": metadata, **demo_paths(root)}


def demo_paths(root: Path) -> dict:
    env = demo_environment(root)
    lake = LakeResource(catalog=env["CURATOR_LAKE_CATALOG"], data_path=env["CURATOR_LAKE_DATA_PATH"])
    return {"root": root, "env": env, "lake": lake, "shards": root / "shards"}


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory, worker_id):
    """`make demo`'s run, once per session, on a fresh lake: what the end-to-end tests read. Under pytest-xdist the
    first worker to ask builds it and the other reads the same folder (a file lock between them). Tests that write
    take a copy (`copy_demo`), so no test reads what another wrote."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    root, done = shared / "demo", shared / "demo.json"
    with open(shared / "demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until the first worker's run is written
        if not done.exists():
            root.mkdir()
            # an in-memory instance: these runs need not outlive the session, and a SQLite one commits every
            # event to disk (about 30 ms each: 15 s of the statistics job's 56 s)
            with dg.DagsterInstance.ephemeral() as instance:
                result = run_demo_in(root, instance)
            done.write_text(json.dumps({k: result[k] for k in ("tables", "failed", "metadata")}))
    return {**json.loads(done.read_text()), **demo_paths(root)}


def copy_demo(demo: dict, target: Path) -> dict:
    """A private copy of the demo's folders (lake, landing, models, shards), with its own LakeResource."""
    from support.lake import copy_folders

    copy_folders(demo["root"], target, ("lake", "landing", "models", "shards"))
    return demo_paths(target)
