"""The crawl partition's heavy stages on a local Ray instance (2 CPUs): the same rows as in-process, a killed worker
retried with the partition landing once, a batch that fails for good failing its run and writing nothing."""

import os
import signal
import subprocess
import threading
import time

import dagster as dg
import pyarrow as pa
import pytest
from support.lake import materialize_partition, rows
from support.samples import land

from assets.dedup.assets import dedup_fingerprints
from assets.documents.assets import documents
from assets.ingestion.assets import ingest_crawl_file
from assets.resources import ComputeResource, LakeResource, LandingResource
from assets.signals.assets import quality_signals
from curation.compute import ComputeError, ComputeSettings, open_compute
from curation.filters.signals import signals_from_documents

CRAWL = "sample-pages-60.warc.gz"
CRAWL_ASSETS = [ingest_crawl_file, documents, quality_signals, dedup_fingerprints]
# what the two paths must agree on, table by table (every stored column but timings)
COMPARED = {
    "documents": "SELECT * FROM documents ORDER BY doc_id",
    "quality_signals": "SELECT * FROM quality_signals ORDER BY doc_id",
    "dedup_signatures": "SELECT * FROM dedup_signatures ORDER BY doc_id",
    "dedup_band_keys": "SELECT * FROM dedup_band_keys ORDER BY doc_id, band",
}


def lake_in(root) -> LakeResource:
    return LakeResource(
        catalog="sqlite:" + str(root / "lake" / "catalog.sqlite"), data_path=str(root / "lake" / "files")
    )


def run_crawl_partition(root, compute: ComputeResource, raise_on_error=True, assets=CRAWL_ASSETS):
    landing = root / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    land(landing, CRAWL)
    resources = {
        "lake": lake_in(root),
        "landing": LandingResource(path=str(landing), settle_seconds=0),
        "compute": compute,
    }
    with dg.DagsterInstance.ephemeral() as instance:
        return materialize_partition(assets, instance, resources, CRAWL, raise_on_error=raise_on_error)


def ray_processes() -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "raylet" in line or "gcs_server" in line]


@pytest.fixture(scope="module")
def local_lake(tmp_path_factory):
    """The crawl partition job in-process: what the Ray path must reproduce."""
    root = tmp_path_factory.mktemp("local")
    assert run_crawl_partition(root, ComputeResource()).success
    return lake_in(root).lake()


def test_the_crawl_partition_job_on_ray_writes_what_the_local_path_writes_and_stops_its_instance(local_lake, tmp_path):
    before = ray_processes()
    # small batches: the partition is spread over both workers
    result = run_crawl_partition(tmp_path, ComputeResource(engine="ray", num_cpus=2, rows_per_batch=8))
    assert result.success
    lake = lake_in(tmp_path).lake()
    for table, sql in COMPARED.items():
        local, distributed = rows(local_lake, sql), rows(lake, sql)
        assert len(local) > 0, table
        assert distributed == local, table
    [docs] = [m for m in result.asset_materializations_for_node("documents")]
    assert docs.metadata["compute"].value == "ray"
    # the instance the resource started is gone when the run ends
    import ray

    assert not ray.is_initialized()
    deadline = time.monotonic() + 20
    while ray_processes() != before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ray_processes() == before


@pytest.fixture(scope="module")
def ray_instance():
    """One local Ray instance for the tests below; each run joins it (`auto` while connected) instead of starting
    its own."""
    engine = open_compute(ComputeSettings(engine="ray", num_cpus=2))
    yield engine
    engine.close()


def kill_first_busy_worker(killed: list[int], stop: threading.Event) -> None:
    """SIGKILL the first Ray worker seen running a batch (its process title is `ray::_apply`)."""
    while not stop.is_set():
        out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            pid, _, args = line.strip().partition(" ")
            if args.strip() == "ray::_apply":
                os.kill(int(pid), signal.SIGKILL)
                killed.append(int(pid))
                return
        time.sleep(0.01)


def test_a_worker_killed_mid_partition_is_retried_and_the_partition_lands_once(ray_instance, local_lake, tmp_path):
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=kill_first_busy_worker, args=(killed, stop), daemon=True)
    killer.start()
    try:
        result = run_crawl_partition(
            tmp_path,
            ComputeResource(engine="ray", ray_address="auto", rows_per_batch=4),
            assets=[ingest_crawl_file, documents],
        )
    finally:
        stop.set()
        killer.join()
    assert killed, "no Ray worker was seen running a batch"
    assert result.success
    lake = lake_in(tmp_path).lake()
    assert rows(lake, COMPARED["documents"]) == rows(local_lake, COMPARED["documents"])
    assert rows(lake, "SELECT count(*) = count(DISTINCT doc_id) FROM documents") == [(True,)]
    assert ray_instance.describe()["nodes"] == 1  # the joined instance outlives the run


def test_a_batch_that_fails_on_a_worker_fails_the_run_with_its_error_and_writes_nothing(ray_instance, tmp_path):
    assert run_crawl_partition(tmp_path, ComputeResource(), assets=[ingest_crawl_file, documents]).success
    lake = lake_in(tmp_path).lake()
    with lake.transaction("a document without text, written past the checks") as con:
        con.execute("UPDATE documents SET text = NULL WHERE doc_id = (SELECT min(doc_id) FROM documents)")
    snapshot = rows(lake, "SELECT id FROM ducklake_current_snapshot('lake')")
    files = sorted(p.name for p in (tmp_path / "lake" / "files").rglob("*.parquet"))

    result = run_crawl_partition(
        tmp_path, ComputeResource(engine="ray", ray_address="auto"), raise_on_error=False, assets=[quality_signals]
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = str(failure.event_specific_data.error)
    assert "a batch failed on a Ray worker" in message
    assert "NoneType" in message  # the worker's own error, not a generic one
    assert rows(lake, "SELECT id FROM ducklake_current_snapshot('lake')") == snapshot
    assert "quality_signals" not in lake.table_names()
    assert sorted(p.name for p in (tmp_path / "lake" / "files").rglob("*.parquet")) == files


def test_engine_errors_name_the_worker_error_and_the_local_engine_raises_it_as_is(ray_instance):
    bad = pa.table({"doc_id": ["a"]})  # no text column: the library raises on the worker
    with pytest.raises(ComputeError, match="a batch failed on a Ray worker: KeyError"):
        list(ray_instance.map_batches(signals_from_documents, [bad]))
    with pytest.raises(KeyError):
        list(open_compute(ComputeSettings()).map_batches(signals_from_documents, [bad]))


def test_files_a_failed_attempt_wrote_are_removed_with_it(ray_instance, tmp_path):
    """The first batch is written, the second fails on its worker: the partition's transaction rolls back and the
    Parquet file the first batch became is gone with it."""
    from curation.filters.signals import SCHEMA
    from curation.lake.client import Lake

    lake = Lake("sqlite:" + str(tmp_path / "catalog.sqlite"), str(tmp_path / "files"))
    good = pa.table(
        {
            "doc_id": ["d1", "d2"],
            "crawl_file": ["part"] * 2,
            "url": ["https://example.org/1", "https://example.org/2"],
            "host": ["example.org"] * 2,
            "text": ["A first document with a few words in it.", "And a second one, also short."],
            "language": ["en"] * 2,
            "language_score": [0.9, 0.9],
        }
    )
    lake.replace_partition("crawl_file", "other", {"quality_signals": (SCHEMA, [signals_from_documents(good)])})
    files = sorted(p.name for p in (tmp_path / "files").rglob("*.parquet"))
    with lake.connect(read_only=True) as con:
        snapshot = lake.snapshot_id(con)

    batches = ray_instance.map_batches(signals_from_documents, [good, good.drop_columns(["text"])])
    with pytest.raises(ComputeError, match="KeyError"):
        lake.replace_partition("crawl_file", "part", {"quality_signals": (SCHEMA, batches)})
    assert sorted(p.name for p in (tmp_path / "files").rglob("*.parquet")) == files
    with lake.connect(read_only=True) as con:
        assert lake.snapshot_id(con) == snapshot
        assert con.execute("SELECT count(*) FROM quality_signals").fetchone()[0] == 2
