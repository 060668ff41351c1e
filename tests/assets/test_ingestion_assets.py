"""Ingestion through real Dagster materializations into a real DuckLake in a temp folder."""

import multiprocessing
import os
import sys
import traceback

import dagster as dg
import pytest
from support.lake import BOTH_CATALOGS, materialize, rows
from support.samples import land

from assets.ingestion.assets import CRAWL_FILE_LOG, QUARANTINE, RAW_PAGES
from assets.resources import ComputeResource, LakeResource, LandingResource
from curation.ingest import reader as ingest

EXPECTED = {  # file: (raw_pages rows, quarantine reasons, records seen)
    "small-crawl-a.warc.gz": (22, [], 48),
    "small-crawl-b.warc.gz": (15, [], 34),
    "cc-main-2020-34-excerpt.warc.gz": (16, [], 50),
    "sample-pages-60.warc.gz": (60, [], 61),
    "malformed-clipped-record.warc.gz": (0, ["truncated_record"], 1),
    "malformed-clueweb-quirk.warc.gz": (29, [], 30),
    "cc-main-2019-30-extracted-697.jsonl.gz": (670, [], 697),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_file_lands_with_exact_counts(instance, resources, landing_dir, lake, name):
    pages, reasons, records = EXPECTED[name]
    land(landing_dir, name)
    result = materialize(instance, resources, name)
    assert result.success
    assert rows(lake, "SELECT count(*) FROM raw_pages WHERE crawl_file = ?", [name]) == [(pages,)]
    assert [r[0] for r in rows(lake, "SELECT reason FROM quarantine WHERE crawl_file = ?", [name])] == reasons
    assert rows(lake, "SELECT records_seen, pages_stored FROM crawl_files WHERE crawl_file = ?", [name]) == [
        (records, pages)
    ]
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        "page_ids_unique": True,
        "required_fields_present": True,
        "all_pages_written": True,
        "raw_pages_expectations": True,
    }
    counts = {
        e.asset_key.to_user_string(): e.materialization.metadata["dagster/row_count"].value
        for e in result.get_asset_materialization_events()
    }
    assert counts == {RAW_PAGES: pages, QUARANTINE: len(reasons), CRAWL_FILE_LOG: 1}


def test_lake_files_are_parquet_not_inlined(instance, resources, landing_dir, lake):
    land(landing_dir, "small-crawl-a.warc.gz")
    materialize(instance, resources, "small-crawl-a.warc.gz")
    files = rows(lake, "SELECT data_file FROM ducklake_list_files('lake', 'raw_pages')")
    assert files and all(f[0].endswith(".parquet") for f in files)


@BOTH_CATALOGS
def test_rematerializing_a_partition_replaces_it(instance, resources, landing_dir, lake):
    land(landing_dir, "small-crawl-a.warc.gz", "small-crawl-b.warc.gz")
    materialize(instance, resources, "small-crawl-a.warc.gz")
    materialize(instance, resources, "small-crawl-b.warc.gz")
    before = rows(lake, "SELECT page_id FROM raw_pages ORDER BY page_id")
    materialize(instance, resources, "small-crawl-a.warc.gz")
    assert rows(lake, "SELECT page_id FROM raw_pages ORDER BY page_id") == before
    assert rows(lake, "SELECT crawl_file, count(*) FROM crawl_files GROUP BY 1 ORDER BY 1") == [
        ("small-crawl-a.warc.gz", 1),
        ("small-crawl-b.warc.gz", 1),
    ]


def test_a_file_that_is_not_a_crawl_file_fails_and_writes_nothing(instance, resources, landing_dir, lake):
    land(landing_dir, "small-crawl-a.warc.gz")
    materialize(instance, resources, "small-crawl-a.warc.gz")
    snapshot = rows(lake, "SELECT id FROM ducklake_current_snapshot('lake')")
    (landing_dir / "notes.warc.gz").write_text("these are my notes, not a crawl\n")

    result = materialize(instance, resources, "notes.warc.gz", raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "notes.warc.gz: not a crawl file" in str(failure.event_specific_data.error)
    assert rows(lake, "SELECT id FROM ducklake_current_snapshot('lake')") == snapshot
    assert rows(lake, "SELECT count(*) FROM crawl_files WHERE crawl_file = 'notes.warc.gz'") == [(0,)]


@BOTH_CATALOGS
def test_a_crash_mid_write_leaves_the_previous_snapshot_intact(instance, resources, landing_dir, lake, monkeypatch):
    land(landing_dir, "small-crawl-a.warc.gz")
    materialize(instance, resources, "small-crawl-a.warc.gz")
    snapshot = rows(lake, "SELECT id FROM ducklake_current_snapshot('lake')")
    pages = rows(lake, "SELECT page_id, html FROM raw_pages ORDER BY page_id")

    def disk_full(self):  # fails after raw_pages and quarantine were rewritten inside the transaction
        raise OSError("No space left on device")

    monkeypatch.setattr(ingest.CrawlRead, "stats_table", disk_full)
    # a smaller HTML cap: had the rewritten pages been committed, their html would differ
    result = materialize(instance, resources, "small-crawl-a.warc.gz", raise_on_error=False, html_cap_bytes=100)
    assert not result.success
    assert rows(lake, "SELECT id FROM ducklake_current_snapshot('lake')") == snapshot
    assert rows(lake, "SELECT page_id, html FROM raw_pages ORDER BY page_id") == pages


def _materialize_in_process(lake_catalog: str, lake_data: str, landing: str, key: str) -> None:
    """A child process's run; its exit code says whether it succeeded. It leaves through os._exit: a normal exit
    joins every leftover non-daemon library thread, and one such join once held a pool worker (and the suite)
    forever after its run had succeeded."""
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            resources = {
                "lake": LakeResource(catalog=lake_catalog, data_path=lake_data),
                "landing": LandingResource(path=landing, settle_seconds=0),
                "compute": ComputeResource(),
            }
            succeeded = materialize(instance, resources, key).success
    except BaseException:
        traceback.print_exc()
        succeeded = False
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if succeeded else 1)


def test_two_partitions_materializing_at_once_both_land(resources, landing_dir, lake):
    names = ["sample-pages-60.warc.gz", "cc-main-2019-30-extracted-697.jsonl.gz"]
    land(landing_dir, *names)
    lake_res = resources["lake"]
    spawn = multiprocessing.get_context("spawn")
    children = [
        spawn.Process(target=_materialize_in_process, args=(lake_res.catalog, lake_res.data_path, str(landing_dir), n))
        for n in names
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=300)
        if child.is_alive():
            child.kill()
            child.join()
    assert [child.exitcode for child in children] == [0, 0]
    assert rows(lake, "SELECT crawl_file, count(*) FROM raw_pages GROUP BY 1 ORDER BY 1") == [
        ("cc-main-2019-30-extracted-697.jsonl.gz", 670),
        ("sample-pages-60.warc.gz", 60),
    ]
