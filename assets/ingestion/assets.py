"""Crawl file -> `raw_pages`, `quarantine` and `crawl_files` lake tables, one partition per file, one commit."""

import time

import dagster as dg
from pydantic import Field

from assets.checks import expectation_check
from assets.ingestion import GROUP
from assets.metadata import column_schema, markdown_table
from assets.partitions import CRAWL_FILES
from assets.resources import LakeResource, LandingResource
from curation.ingest.formats import NotACrawlFileError
from curation.ingest.reader import (
    DEFAULT_BATCH_BYTES,
    DEFAULT_HTML_CAP_BYTES,
    DEFAULT_MAX_RECORD_BYTES,
    IngestOptions,
    read_crawl_file,
)
from curation.lake import tables

RAW_PAGES, QUARANTINE, CRAWL_FILE_LOG = tables.RAW_PAGES.name, tables.QUARANTINE.name, tables.CRAWL_FILES.name
PARTITION_COLUMN = tables.CRAWL_PARTITION

CHECK_PAGE_IDS_UNIQUE = "page_ids_unique"
CHECK_REQUIRED_FIELDS = "required_fields_present"
CHECK_ALL_PAGES_WRITTEN = "all_pages_written"
CHECK_EXPECTATIONS = "raw_pages_expectations"  # Great Expectations suite expectations/raw_pages.json
_EXPECTATION_COLUMNS = ", ".join(n for n in tables.RAW_PAGES.schema.names if n not in ("html", "text"))


class IngestConfig(dg.Config):
    html_cap_bytes: int = Field(default=DEFAULT_HTML_CAP_BYTES, description="HTML kept per page; the rest is cut")
    max_record_bytes: int = Field(
        default=DEFAULT_MAX_RECORD_BYTES, description="Records larger than this are quarantined unread"
    )
    batch_bytes: int = Field(default=DEFAULT_BATCH_BYTES, description="Payload bytes per Parquet file written")


def _spec(key: str, description: str, schema) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        description=description,
        group_name=GROUP,
        kinds={"ducklake", "parquet"},
        partitions_def=CRAWL_FILES,
        metadata={"dagster/column_schema": column_schema(schema), "dagster/table_name": f"lake.main.{key}"},
    )


@dg.multi_asset(
    name="ingest_crawl_file",
    specs=[
        _spec(
            RAW_PAGES,
            "One row per HTML response record of a crawl file (HTML capped, `truncated` flag).",
            tables.RAW_PAGES.schema,
        ),
        _spec(
            QUARANTINE, "Malformed records kept aside with file, offset and a stable reason.", tables.QUARANTINE.schema
        ),
        _spec(
            CRAWL_FILE_LOG,
            "One row per crawl file: records by type, stored, skipped, quarantined.",
            tables.CRAWL_FILES.schema,
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(CHECK_PAGE_IDS_UNIQUE, asset=RAW_PAGES, blocking=True, description="page_id is a key"),
        dg.AssetCheckSpec(
            CHECK_REQUIRED_FIELDS,
            asset=RAW_PAGES,
            blocking=True,
            description="page_id, url, host of http URLs, fetch_date of WARC pages",
        ),
        dg.AssetCheckSpec(
            CHECK_ALL_PAGES_WRITTEN, asset=RAW_PAGES, blocking=True, description="lake rows = pages the reader kept"
        ),
        dg.AssetCheckSpec(
            CHECK_EXPECTATIONS,
            asset=RAW_PAGES,
            blocking=True,
            description="Great Expectations suite expectations/raw_pages.json over the partition just written",
        ),
    ],
    partitions_def=CRAWL_FILES,
)
def ingest_crawl_file(
    context: dg.AssetExecutionContext, config: IngestConfig, lake: LakeResource, landing: LandingResource
):
    """Parse the crawl file and replace its partition in all three tables in a single lake transaction."""
    key = context.partition_key
    path = landing.file(key)
    options = IngestOptions(config.html_cap_bytes, config.max_record_bytes, config.batch_bytes)
    started = time.perf_counter()
    try:
        read, batches = read_crawl_file(path, key, options)
    except NotACrawlFileError as e:
        raise dg.Failure(description=str(e)) from e
    store = lake.lake()
    snapshot = store.replace_partition(
        PARTITION_COLUMN,
        key,
        {
            RAW_PAGES: (tables.RAW_PAGES.schema, batches),
            QUARANTINE: (tables.QUARANTINE.schema, read.after_pages(read.quarantine_table)),
            CRAWL_FILE_LOG: (tables.CRAWL_FILES.schema, read.after_pages(read.stats_table)),
        },
        message=f"ingest crawl file {key}",
    )
    seconds = time.perf_counter() - started
    counts = read.counts
    context.log.info(f"{key}: {counts['pages_stored']} pages, {counts['quarantined']} quarantined in {seconds:.2f} s")
    yield from _results(store, key, read, snapshot, seconds)


def _results(store, key: str, read, snapshot: int, seconds: float):
    with store.connect(read_only=True) as con:

        def one(sql: str):
            return con.execute(sql, [key]).fetchone()[0]

        where = f"WHERE {PARTITION_COLUMN} = ?"
        pages = one(f"SELECT count(*) FROM {RAW_PAGES} {where}")
        duplicate_ids = one(f"SELECT count(*) - count(DISTINCT page_id) FROM {RAW_PAGES} {where}")
        missing = one(
            f"SELECT count(*) FROM {RAW_PAGES} {where} AND (page_id IS NULL OR url IS NULL "
            "OR (url LIKE 'http%' AND host IS NULL) OR (source_format = 'warc' AND fetch_date IS NULL))"
        )
        preview = con.execute(
            f"SELECT url, http_status, payload_bytes, truncated FROM {RAW_PAGES} {where} "
            "ORDER BY record_offset LIMIT 5",
            [key],
        ).fetchall()
        reasons = con.execute(
            f"SELECT reason, count(*), min(record_offset) FROM {QUARANTINE} {where} GROUP BY 1 ORDER BY 2 DESC", [key]
        ).fetchall()
        written = con.execute(
            f"SELECT {_EXPECTATION_COLUMNS} FROM {RAW_PAGES} {where} ORDER BY record_offset", [key]
        ).to_arrow_table()
        totals = dict(
            con.execute(
                f"SELECT 'raw_pages', count(*) FROM {RAW_PAGES} "
                f"UNION ALL SELECT 'quarantine', count(*) FROM {QUARANTINE}"
            ).fetchall()
        )
    c = read.counts
    common = {"lake_snapshot_id": snapshot, "crawl_file": key}
    yield dg.MaterializeResult(
        asset_key=RAW_PAGES,
        metadata={
            **common,
            "dagster/row_count": pages,
            "rows_in_table": totals["raw_pages"],
            "truncated_pages": c["truncated_pages"],
            "records_per_second": round(c["records_seen"] / seconds, 1) if seconds else None,
            "megabytes_per_second": round(read.file_bytes / 1e6 / seconds, 2) if seconds else None,
            "preview": markdown_table(["url", "status", "bytes", "truncated"], preview),
        },
    )
    yield dg.MaterializeResult(
        asset_key=QUARANTINE,
        metadata={
            **common,
            "dagster/row_count": c["quarantined"],
            "rows_in_table": totals["quarantine"],
            "reasons": markdown_table(["reason", "records", "first offset"], reasons),
        },
    )
    yield dg.MaterializeResult(
        asset_key=CRAWL_FILE_LOG,
        metadata={
            **common,
            "dagster/row_count": 1,
            "records": markdown_table(
                ["records seen", "responses", "pages stored", "non-HTML", "empty text", "quarantined"],
                [
                    (
                        c["records_seen"],
                        c["response"],
                        c["pages_stored"],
                        c["non_html_skipped"],
                        c["empty_text_skipped"],
                        c["quarantined"],
                    )
                ],
            ),
            "parser": read.parser,
        },
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_PAGE_IDS_UNIQUE,
        asset_key=RAW_PAGES,
        passed=duplicate_ids == 0,
        metadata={"duplicate_page_ids": duplicate_ids},
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_REQUIRED_FIELDS,
        asset_key=RAW_PAGES,
        passed=missing == 0,
        metadata={"rows_missing_fields": missing},
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_ALL_PAGES_WRITTEN,
        asset_key=RAW_PAGES,
        passed=pages == c["pages_stored"],
        metadata={"rows_in_lake": pages, "pages_read": c["pages_stored"]},
    )
    yield expectation_check(CHECK_EXPECTATIONS, RAW_PAGES, written, suite=RAW_PAGES)
