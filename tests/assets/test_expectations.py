"""Great Expectations suites as blocking asset checks: what passes, what fails, what a failure stops."""

import dagster as dg
import pyarrow as pa
from support.lake import materialize_partition
from support.samples import land

from assets.ingestion.assets import CHECK_EXPECTATIONS, ingest_crawl_file
from assets.partitions import CRAWL_FILES
from curation.expectations import validate
from curation.ingest import reader as ingest


@dg.asset(partitions_def=CRAWL_FILES, deps=["raw_pages"])
def downstream_of_raw_pages() -> None:
    """Stands in for the stages that read raw_pages (documents, filters, ...)."""


def run(instance, resources, key):
    return materialize_partition(
        [ingest_crawl_file, downstream_of_raw_pages], instance, resources, key, raise_on_error=False
    )


def gx_check(result):
    [evaluation] = [c for c in result.get_asset_check_evaluations() if c.check_name == CHECK_EXPECTATIONS]
    return evaluation


def test_a_clean_partition_passes_its_suite_and_downstream_runs(instance, resources, landing_dir):
    land(landing_dir, "small-crawl-a.warc.gz")
    result = run(instance, resources, "small-crawl-a.warc.gz")
    assert result.success
    check = gx_check(result)
    assert check.passed
    assert check.metadata["rows_checked"].value == 22
    assert check.metadata["expectations"].value == 14 and check.metadata["failed_expectations"].value == 0
    assert "downstream_of_raw_pages" in {
        e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
    }


def test_a_failing_expectation_blocks_downstream_and_shows_its_counts(instance, resources, landing_dir, monkeypatch):
    monkeypatch.setattr(ingest, "page_id", lambda crawl_file, record_id: "0" * 32)  # a bug: one id for all pages
    land(landing_dir, "small-crawl-b.warc.gz")
    result = run(instance, resources, "small-crawl-b.warc.gz")
    assert not result.success
    check = gx_check(result)
    assert not check.passed
    assert check.metadata["failed_expectations"].value == 1
    assert check.metadata["unexpected_rows"].value == 15
    failed_checks = {c.check_name for c in result.get_asset_check_evaluations() if not c.passed}
    assert failed_checks == {CHECK_EXPECTATIONS, "page_ids_unique"}
    assert "expect_column_values_to_be_unique | page_id | FAIL | 15" in check.metadata["results"].value
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "downstream_of_raw_pages" not in materialized


def test_suite_reports_each_broken_column():
    table = pa.table(
        {
            "page_id": ["a" * 32, "b" * 32, None],
            "crawl_file": ["f", "f", "f"],
            "record_offset": [0, 10, 10],
            "warc_record_id": ["<1>", "<2>", "<3>"],
            "url": ["https://x.org/", None, "https://y.org/"],
            "host": ["x.org", None, "y.org"],
            "fetch_date": pa.array([None, None, None], pa.timestamp("us", tz="UTC")),
            "http_status": pa.array([200, 999, None], pa.int16()),
            "content_type": ["text/html"] * 3,
            "charset": ["utf-8"] * 3,
            "payload_digest": ["sha1:X", "sha1:Y", "sha1:Z"],
            "payload_bytes": [1, 2, 3],
            "truncated": [False, False, False],
            "source_format": ["warc", "warc", "html"],
        }
    )
    failed = {(o.expectation, o.column): o.unexpected_count for o in validate(table, "raw_pages") if not o.success}
    assert failed == {
        ("expect_column_values_to_not_be_null", "page_id"): 1,
        ("expect_column_values_to_not_be_null", "url"): 1,
        ("expect_column_values_to_be_unique", "record_offset"): 2,
        ("expect_column_values_to_be_between", "http_status"): 1,
        ("expect_column_values_to_be_in_set", "source_format"): 1,
    }
