"""What a hostile or unlucky user tries: keys and links that point outside the landing folder, records that used
to sink their file, numbers that are not numbers, run config that names a program, kills, and readers that used
to lock the pipeline out. Each test failed before the hardening issue."""

import gzip
import json
import math
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
from conftest import gzip_members, materialize_partition, sample, warc_record

from assets.ingestion.assets import ingest_crawl_file
from assets.lake_maintenance import disk_usage, maintain
from assets.lakehouse import Lake, loadable_extension
from assets.transforms import quarantine as q
from assets.transforms.documents import documents_from_pages
from assets.transforms.ingest import read_crawl_file
from assets.transforms.landing import LandingFileError, landing_file, ready_landing_files
from assets.transforms.recipes import RecipeError, load_recipe
from assets.transforms.sql_literals import double_literal

ROOT = Path(__file__).resolve().parents[1]


def read_all(path: Path):
    read, batches = read_crawl_file(path)
    rows = [row for batch in batches for row in batch.to_pylist()]
    return read, rows


# --- files outside the landing folder ------------------------------------------------------------------------


def test_keys_and_links_that_leave_the_landing_folder_are_refused(tmp_path, landing_dir):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.jsonl").write_text(json.dumps({"text": "secret", "url": "https://e.org/"}) + "\n")
    (landing_dir / "passwd.warc.gz").symlink_to("/etc/passwd")
    (landing_dir / "outside.jsonl").symlink_to(outside / "x.jsonl")
    for key in ("../outside/x.jsonl", str(outside / "x.jsonl"), "passwd.warc.gz", "outside.jsonl", "..", "a\\b.warc"):
        with pytest.raises(LandingFileError):
            landing_file(landing_dir, key)
    assert ready_landing_files(landing_dir, 0, time.time()) == []  # the sensor registers no link


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


def test_a_recipe_list_file_outside_the_recipe_folder_is_refused(tmp_path):
    recipe = tmp_path / "leaky.yaml"
    recipe.write_text("filters:\n  url: {blocked_domains: [/etc/passwd]}\n")
    with pytest.raises(RecipeError, match="outside the recipe folder"):
        load_recipe(recipe)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "ok.txt").write_text("example.org\n")
    recipe.write_text("filters:\n  url: {blocked_domains: [lists/ok.txt, ../../etc/passwd]}\n")
    with pytest.raises(RecipeError, match=r"filters.url.blocked_domains: \.\./\.\./etc/passwd is outside"):
        load_recipe(recipe)


# --- records that used to sink their file ---------------------------------------------------------------------


def test_bad_jsonl_records_are_quarantined_and_the_rest_of_the_file_is_read(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "first good document", "url": "https://e.org/a"}),
        '{"id": "s", "text": "lone \\ud800 surrogate", "url": "https://e.org/s"}',
        '{"id": "n", "text": ' + "[" * 100_000 + "]" * 100_000 + "}",
        json.dumps({"id": "a", "text": "same id again", "url": "https://e.org/a2"}),
        json.dumps({"id": "b", "text": "last good document", "url": "https://e.org/b"}),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    read, rows = read_all(path)
    assert [r["warc_record_id"] for r in rows] == ["a", "b"]
    assert [(r["warc_record_id"], r["reason"]) for r in read.quarantine_rows] == [
        ("s", q.INVALID_UNICODE),
        (None, q.INVALID_JSON),
        ("a", q.DUPLICATE_RECORD_ID),
    ]
    assert "nested too deeply" in read.quarantine_rows[1]["detail"]
    pa.Table.from_pylist(read.quarantine_rows)  # every quarantine row is valid UTF-8 for Arrow


def page_body(n: int) -> bytes:
    return f"<html><body><p>Page {n} says hello to the world.</p></body></html>".encode()


def test_a_record_whose_length_lies_is_blamed_and_the_record_it_swallowed_is_kept(tmp_path):
    good = [warc_record(page_body(i), uri=f"https://t.org/{i}") for i in range(4)]
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    liar = warc_record(page_body(9), uri="https://t.org/liar", content_length=len(head + page_body(9)) + 300)
    for name, data in (
        ("lie.warc", good[0] + liar + b"".join(good[1:])),
        ("lie.warc.gz", gzip_members(good[0], liar, *good[1:])),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        read, rows = read_all(path)
        assert [r["url"] for r in rows] == [f"https://t.org/{i}" for i in range(4)], name
        assert [(r["url"], r["reason"]) for r in read.quarantine_rows] == [
            ("https://t.org/liar", q.INVALID_RECORD_LENGTH)
        ]
        assert read.counts["pages_stored"] == 4


def test_a_record_with_100k_headers_is_a_header_problem_not_a_gzip_one(tmp_path):
    many = (
        b"WARC/1.0\r\nWARC-Type: response\r\n"
        + b"".join(b"X-H%d: v\r\n" % i for i in range(100_000))
        + b"Content-Length: 0\r\n\r\n\r\n\r\n"
    )
    path = tmp_path / "many.warc.gz"
    path.write_bytes(gzip_members(warc_record(page_body(0)), many, warc_record(page_body(1))))
    read, rows = read_all(path)
    assert len(rows) == 2
    assert [r["reason"] for r in read.quarantine_rows] == [q.INVALID_WARC_HEADER]


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


def test_html_capped_after_content_decoding_is_marked_truncated(tmp_path):
    from assets.transforms.ingest import IngestOptions

    html = b"<html><body>" + b"<p>word</p>" * 20_000 + b"</body></html>"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
    path = tmp_path / "zipped.warc"
    path.write_bytes(warc_record(gzip.compress(html), http_head=head))
    read, batches = read_crawl_file(path, options=IngestOptions(html_cap_bytes=50_000))
    [row] = [r for b in batches for r in b.to_pylist()]
    assert len(row["html"]) == 50_000 and row["truncated"] is True


@pytest.mark.parametrize("label", ["windows-874", "iso-8859-8-i", "utf8mb4", "none", "x-unknown-label"])
def test_an_unknown_charset_label_decodes_by_detection_and_is_counted(label):
    from collections import Counter

    html = "<html><body><p>Grüße aus München, ein ganzer Satz mit Inhalt.</p></body></html>".encode("cp1252")
    pages = pa.table(
        {
            "page_id": ["p"],
            "crawl_file": ["f"],
            "url": ["https://e.org/"],
            "host": ["e.org"],
            "fetch_date": pa.array([None], pa.timestamp("us", tz="UTC")),
            "html": [html],
            "charset": [label],
            "text": pa.array([None], pa.string()),
        }
    )
    stats = Counter()
    docs = documents_from_pages(pages, stats=stats)
    assert docs.num_rows == 1
    assert stats["charset_fallbacks"] == (0 if label in ("windows-874", "iso-8859-8-i", "utf8mb4") else 1)


# --- fuzzing: every record accounted for ------------------------------------------------------------------------

SKIPPED = ("non_html_skipped", "empty_text_skipped", "warcinfo", "request", "metadata", "other")


def accounted(read) -> None:
    c = read.counts
    assert len(read.quarantine_rows) == c["quarantined"]
    quarantined = c["quarantined"] - c["quarantined_unseen"]  # corrupt stretches no record header was read from
    assert c["pages_stored"] + quarantined + sum(c[k] for k in SKIPPED) == c["records_seen"], dict(c)


@pytest.fixture(scope="module")
def fuzz_seeds():
    warc = gzip.decompress(sample("small-crawl-a.warc.gz").read_bytes())[:200_000]
    jsonl = gzip.decompress(sample("cc-main-2019-30-extracted-697.jsonl.gz").read_bytes())[:200_000]
    return {
        "warc": warc,
        "warc.gz": gzip_members(*[warc[i : i + 20_000] for i in range(0, len(warc), 20_000)]),
        "jsonl": jsonl,
    }


def test_mutated_crawl_files_never_raise_and_account_for_every_record(tmp_path, fuzz_seeds):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from assets.transforms.ingest import IngestOptions

    options = IngestOptions(html_cap_bytes=4096, max_record_bytes=1 << 20)

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(
        kind=st.sampled_from(sorted(fuzz_seeds)),
        edits=st.lists(
            st.tuples(
                st.floats(0, 1), st.sampled_from(["flip", "cut", "dup", "junk", "surrogate"]), st.integers(1, 400)
            ),
            min_size=1,
            max_size=6,
        ),
    )
    def check(kind, edits):
        data = bytearray(fuzz_seeds[kind])
        for where, how, size in edits:
            at = int(where * (len(data) - 1))
            if how == "flip":
                data[at] ^= 0xFF
            elif how == "cut":
                del data[at : at + size]
            elif how == "dup":
                data[at:at] = data[at : at + size]
            elif how == "junk":
                data[at:at] = os.urandom(size) if size % 2 else b"WARC/1.0\r\n" * (size // 10 + 1)
            else:
                data[at:at] = b'\\ud800"}\n{"text": "x\\udfff", "url": "u"}\n'
        path = tmp_path / f"fuzz.{kind}"
        path.write_bytes(bytes(data))
        try:
            read, batches = read_crawl_file(path, options=options)
        except ValueError:  # NotACrawlFileError: refused before reading, nothing written
            return
        stored = 0
        for batch in batches:
            stored += batch.num_rows
            assert all(len(h or b"") <= options.html_cap_bytes for h in batch.column("html").to_pylist())
        assert stored == read.counts["pages_stored"]
        accounted(read)
        pa.Table.from_pylist(read.quarantine_rows)

    check()


# --- numbers that are not numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_and_infinity_are_refused_when_a_filter_recipe_loads(tmp_path, value):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"filters:\n  gopher_repetition: {{dup_line_frac: {value}}}\n")
    with pytest.raises(RecipeError, match="filters.gopher_repetition.dup_line_frac: expected a finite number"):
        load_recipe(recipe)
    with pytest.raises(ValueError):
        double_literal(math.nan)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"domain_weights": {"mode": "explicit", "weights": {"Coding": math.inf}}}, "weights"),
        ({"selection": {"method": "threshold", "min": {"overall_score": math.nan}}}, "min"),
    ],
)
def test_nan_and_infinity_are_refused_when_a_mixture_recipe_loads(change, field):
    from assets.transforms.mixtures.recipe import MixtureRecipeError, parse_mixture_recipe

    stream = {"name": "web", "filter_recipe": "fineweb", **change}
    with pytest.raises(MixtureRecipeError, match=field):
        parse_mixture_recipe({"token_budget": 1000, "streams": [stream]}, "t", "t.yaml", {"fineweb"})
    with pytest.raises(MixtureRecipeError, match="chars_per_token"):
        parse_mixture_recipe(
            {"token_budget": 1000, "token_counting": {"chars_per_token": 1e-300}, "streams": [stream | {}]},
            "t",
            "t.yaml",
            {"fineweb"},
        )


# --- one bad recipe takes down only itself ----------------------------------------------------------------------


def test_a_bad_recipe_file_fails_its_own_asset_and_the_rest_loads(tmp_path, instance):
    from assets.filtering.recipes import filtered_documents_assets

    (tmp_path / "good.yaml").write_text("filters:\n  gopher_quality: {}\n")
    (tmp_path / "bad.yaml").write_text("filters:\n  gopher_quality: {min_doc_words: .nan}\n")
    assets = filtered_documents_assets(tmp_path)
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


# --- run config cannot name a program or a path -----------------------------------------------------------------


@pytest.mark.parametrize(
    "resources",
    [
        {"dbt": {"config": {"dbt_executable": sys.executable, "global_config_flags": ["-c", "open('/tmp/x','w')"]}}},
        {"lake": {"config": {"catalog": "/etc/passwd", "data_path": "/"}}},
        {"landing": {"config": {"path": "/etc"}}},
    ],
)
def test_run_config_cannot_override_resources(resources):
    from orchestration.definitions import defs

    job = defs.resolve_job_def("lake_statistics_job")
    with pytest.raises(dg.DagsterInvalidConfigError):
        job.execute_in_process(run_config={"resources": resources}, raise_on_error=True)


# --- crashes leave nothing stuck ----------------------------------------------------------------------------


def test_a_killed_dbt_parent_takes_its_dbt_child_with_it(tmp_path):
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time; "
            "child = subprocess.Popen([sys.executable, '-c', "
            "'from assets.statistics.guarded_dbt import die_with_parent; die_with_parent(); import time; "
            "time.sleep(120)']); "
            f"open({str(pid_file)!r}, 'w').write(str(child.pid)); time.sleep(120)",
        ],
        cwd=ROOT,
    )
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(pid_file.read_text())
    time.sleep(0.5)  # the child armed its parent-death signal
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the child outlived its killed parent")


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
    from assets.transforms.mixtures.shards import swap_folder

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


# --- readers and writers ------------------------------------------------------------------------------------


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


# --- a lake that stays lean ----------------------------------------------------------------------------------


def test_maintenance_returns_five_reruns_to_one_copy_and_keeps_pinned_manifests_reproducible(tmp_path):
    from assets.transforms.mixtures.manifest import compute_manifest
    from assets.transforms.mixtures.recipe import parse_mixture_recipe
    from assets.transforms.mixtures.shards import write_shards
    from assets.transforms.mixtures.synthetic import RECIPE, build_synthetic_lake

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
