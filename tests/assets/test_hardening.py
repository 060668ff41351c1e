"""What a hostile or unlucky user tries: keys and links that point outside the landing folder, records that used
to sink their file, numbers that are not numbers, run config that names a program, kills, and readers that used
to lock the pipeline out. Each test failed before the hardening issue."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest
from support.lake import BOTH_CATALOGS, materialize_partition
from support.samples import gzip_members, warc_record

from assets.ingestion.assets import ingest_crawl_file
from curation.ingest import quarantine as q
from curation.lake.client import Lake, loadable_extension
from curation.lake.maintenance import disk_usage, maintain
from curation.project import PROJECT_ROOT
from curation.recipes import load_all

ROOT = PROJECT_ROOT


def test_a_refused_key_fails_its_partition_without_quoting_any_file(instance, resources, landing_dir, lake):
    (landing_dir / "passwd.warc.gz").symlink_to("/etc/passwd")
    for key in ("../../../etc/passwd.warc", "passwd.warc.gz"):
        result = materialize_partition([ingest_crawl_file], instance, resources, key, raise_on_error=False)
        assert not result.success
        [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        message = str(failure.event_specific_data.error)
        assert "landing folder" in message or "symbolic link" in message
        assert "root:" not in message
    with lake.connect() as con:  # nothing was written
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "raw_pages" in tables:
            assert con.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 0


def page_body(n: int) -> bytes:
    return f"<html><body><p>Page {n} says hello to the world.</p></body></html>".encode()


def test_duplicate_warc_record_ids_are_quarantined_and_the_partition_passes_its_checks(
    instance, resources, landing_dir
):
    rid = "<urn:uuid:00000000-0000-0000-0000-000000000001>"
    data = gzip_members(
        warc_record(page_body(0), record_id=rid), warc_record(page_body(1), record_id=rid), warc_record(page_body(2))
    )
    (landing_dir / "dup.warc.gz").write_bytes(data)
    result = materialize_partition([ingest_crawl_file], instance, resources, "dup.warc.gz", raise_on_error=False)
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["page_ids_unique"] and checks["all_pages_written"]
    with resources["lake"].lake().connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 2
        assert con.execute("SELECT reason FROM quarantine").fetchall() == [(q.DUPLICATE_RECORD_ID,)]


def test_a_bad_recipe_file_fails_its_own_asset_and_the_rest_loads(tmp_path, instance):
    from assets.filtered.assets import filtered_documents_assets

    (tmp_path / "good.yaml").write_text("filters:\n  gopher_quality: {}\n")
    (tmp_path / "bad.yaml").write_text("filters:\n  gopher_quality: {min_doc_words: .nan}\n")
    assets = filtered_documents_assets(load_all(filter_folder=tmp_path))
    keys = {key.to_user_string() for a in assets for key in a.keys}
    assert keys == {"filtered_documents/good", "filtered_documents/bad"}
    [broken] = [a for a in assets if dg.AssetKey(["filtered_documents", "bad"]) in a.keys]
    assert (
        "bad.yaml: filters.gopher_quality.min_doc_words: expected" in broken.metadata_by_key[broken.key]["recipe_error"]
    )
    result = dg.materialize([broken], instance=instance, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "bad.yaml: filters.gopher_quality.min_doc_words" in str(failure.event_specific_data.error)


@pytest.mark.parametrize(
    "resources",
    [
        {"dbt": {"config": {"dbt_executable": sys.executable, "global_config_flags": ["-c", "open('/tmp/x','w')"]}}},
        {"lake": {"config": {"catalog": "/etc/passwd", "data_path": "/"}}},
        {"landing": {"config": {"path": "/etc"}}},
        {"compute": {"config": {"engine": "ray", "ray_address": "ray://attacker:10001"}}},
    ],
)
def test_run_config_cannot_override_resources(resources):
    from orchestration.definitions import defs

    job = defs.resolve_job_def("lake_statistics_job")
    with pytest.raises(dg.DagsterInvalidConfigError):
        job.execute_in_process(run_config={"resources": resources}, raise_on_error=True)


def test_runs_of_a_killed_process_end_failed_and_give_back_their_pool_slot(tmp_path):
    from orchestration.instance import INSTANCE_SETTINGS, recover_abandoned_runs, write_instance_settings

    home = tmp_path / "home"
    write_instance_settings(home / "dagster.yaml")
    script = tmp_path / "hold.py"
    script.write_text(
        "import time, dagster as dg\n"
        "from orchestration.instance import run_tags\n"
        "@dg.asset(pool='gpu')\n"
        "def slow():\n"
        "    print('holding', flush=True); time.sleep(120)\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    dg.materialize([slow], instance=instance, tags=run_tags())\n"
    )
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True)
    assert worker.stdout.readline().strip() == "holding"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    with dg.instance_for_test(temp_dir=str(home), overrides=INSTANCE_SETTINGS) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.STARTED  # what a kill -9 leaves
        assert instance.event_log_storage.get_concurrency_info("gpu").claimed_slots
        assert recover_abandoned_runs(instance) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
        assert not instance.event_log_storage.get_concurrency_info("gpu").claimed_slots
    settings = (home / "dagster.yaml").read_text()
    assert "free_slots_after_run_end_seconds" in settings and "enabled: true" in settings


def test_the_shard_folder_is_never_missing_while_it_is_replaced(tmp_path):
    from curation.mixtures.shards import swap_folder

    folder = tmp_path / "recipe"
    folder.mkdir()
    (folder / "index.json").write_text("0")
    missing, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            if not (folder / "index.json").exists():
                missing.append(time.monotonic())

    watcher = threading.Thread(target=watch)
    watcher.start()
    for i in range(1, 200):
        staged = tmp_path / ".recipe.writing"
        staged.mkdir()
        (staged / "index.json").write_text(str(i))
        swap_folder(staged, folder)
        import shutil

        shutil.rmtree(staged)
    stop.set()
    watcher.join()
    assert missing == [] and (folder / "index.json").read_text() == "199"


PLAIN_READER = """
import duckdb, sys, time
con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
con.execute(f"LOAD '{sys.argv[1]}'")
con.execute(f"LOAD '{sys.argv[2]}'")
con.execute(f"ATTACH 'ducklake:sqlite:{sys.argv[3]}' AS lake (READ_ONLY)")
print(con.execute("SELECT count(*) FROM lake.t").fetchone()[0], flush=True)
time.sleep(float(sys.argv[4]))
print(con.execute("SELECT count(*) FROM lake.t").fetchone()[0], flush=True)
"""


def plain_reader(catalog: Path, hold_s: float) -> list[str]:
    """A DuckDB client that is not the project: it loads the packaged extensions and attaches the lake itself."""
    extensions = [str(loadable_extension(name)) for name in ("ducklake", "sqlite")]
    return [sys.executable, "-c", PLAIN_READER, *extensions, str(catalog), str(hold_s)]


def test_a_plain_duckdb_client_reads_while_the_pipeline_writes_and_the_other_way_round(tmp_path):
    lake = Lake("sqlite:" + str(tmp_path / "catalog.sqlite"), str(tmp_path / "files"))
    schema = pa.schema([("k", pa.string()), ("v", pa.int64())])

    def write(n):
        return lake.replace_partition("k", "a", {"t": (schema, [pa.table({"k": ["a"] * n, "v": range(n)})])})

    write(10)
    reader = subprocess.Popen(plain_reader(tmp_path / "catalog.sqlite", hold_s=4), stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "10"  # attached and reading
    started = time.monotonic()
    write(20)  # the pipeline writes while the client holds the lake open
    assert time.monotonic() - started < 3
    reader.wait(timeout=30)
    assert reader.returncode == 0

    # a client reads while a pipeline transaction is open (it sees the last committed snapshot)
    with lake.transaction("slow write") as con:
        con.execute("DELETE FROM t")
        con.execute("INSERT INTO t SELECT 'a', range FROM range(30)")
        out = subprocess.run(
            plain_reader(tmp_path / "catalog.sqlite", hold_s=0),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.split() == ["20", "20"]
    with lake.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 30


def test_maintenance_returns_five_reruns_to_one_copy_and_keeps_pinned_manifests_reproducible(tmp_path):
    from support.synthetic_mixture import RECIPE, build_synthetic_lake

    from curation.mixtures.manifest import compute_manifest
    from curation.mixtures.recipe import parse_mixture_recipe
    from curation.mixtures.shards import write_shards

    lake = Lake("sqlite:" + str(tmp_path / "catalog.sqlite"), str(tmp_path / "files"))
    build_synthetic_lake(lake, 3000, seed=1)
    recipe = parse_mixture_recipe(
        {"token_budget": 200_000, "streams": [{"name": "web", "filter_recipe": RECIPE}]}, "pin", "pin.yaml", {RECIPE}
    )
    with lake.connect(read_only=True) as con:
        pinned = lake.snapshot_id(con)
    with lake.connect(snapshot=pinned) as con:
        first = compute_manifest(con, recipe, pinned, {})
        index = write_shards(con, first.rows, recipe, first.summary, tmp_path / "shards_a")
    summaries = pa.table({"recipe": ["pin"], "lake_snapshot_id": [pinned]})
    with lake.transaction("pin") as con:
        con.register("s", summaries)
        con.execute("CREATE TABLE mixture_summaries AS SELECT * FROM s")

    schema = pa.schema([("k", pa.string()), ("v", pa.int64()), ("t", pa.string())])
    big = pa.table({"k": ["p"] * 20_000, "v": range(20_000), "t": [f"row {i} " * 30 for i in range(20_000)]})
    _, base = disk_usage(lake)
    lake.replace_partition("k", "p", {"reruns": (schema, [big])})
    copy = disk_usage(lake)[1] - base
    for _ in range(5):
        lake.replace_partition("k", "p", {"reruns": (schema, [big])})
    _, bytes_before = disk_usage(lake)
    orphan = Path(lake.attach_target()[1]) / "main" / "orphan-of-a-killed-write.parquet"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"PAR1" + b"\0" * 1000)

    report = maintain(lake, timedelta(0))
    assert report.expired > 0 and report.kept_pinned == (pinned,)
    assert bytes_before >= base + 6 * copy  # six copies of the partition on disk
    assert report.bytes_after <= base + 1.5 * copy  # about one copy again
    assert not orphan.exists()
    with lake.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reruns").fetchone()[0] == 20_000
    with lake.connect(snapshot=pinned) as con:  # the pinned snapshot still reads, the shards come out the same
        again = compute_manifest(con, recipe, pinned, {})
        index_again = write_shards(con, again.rows, recipe, again.summary, tmp_path / "shards_b")
    assert json.dumps(index_again, sort_keys=True) == json.dumps(index, sort_keys=True)
    for phase in index["phases"]:
        for shard in phase["shards"]:
            assert (tmp_path / "shards_a" / shard["file"]).read_bytes() == (
                tmp_path / "shards_b" / shard["file"]
            ).read_bytes()


@BOTH_CATALOGS
def test_a_table_written_by_an_older_version_gains_the_new_columns_and_keeps_its_rows(lake):
    old = pa.schema([("k", pa.string()), ("v", pa.int64())])
    new = old.append(pa.field("shingle_set", pa.list_(pa.uint32())))
    lake.replace_partition("k", "a", {"t": (old, [pa.table({"k": ["a"], "v": [1]}, schema=old)])})
    lake.replace_partition("k", "b", {"t": (new, [pa.table({"k": ["b"], "v": [2], "shingle_set": [[3, 4]]})])})
    with lake.connect(read_only=True) as con:
        assert con.execute("SELECT k, v, shingle_set FROM t ORDER BY k").fetchall() == [
            ("a", 1, None),
            ("b", 2, [3, 4]),
        ]
