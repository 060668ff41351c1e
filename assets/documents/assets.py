"""raw_pages -> `documents`: main text, language and counts per page, one crawl partition per run."""

import time
from collections import Counter
from functools import partial

import dagster as dg
from pydantic import Field

from assets.checks import expectation_check
from assets.documents import GROUP
from assets.metadata import column_schema, markdown_table
from assets.partitions import CRAWL_FILES
from assets.resources import ComputeResource, LakeResource
from curation.documents.extract import ExtractionMode, extractor_name
from curation.documents.pages import PAGE_COLUMNS, documents_and_counts
from curation.lake import tables
from curation.lake.client import read_partition

DOCUMENTS, RAW_PAGES, PARTITION_COLUMN = tables.DOCUMENTS.name, tables.RAW_PAGES.name, tables.CRAWL_PARTITION
CHECK_TEXT_PRESENT = "documents_have_text"
CHECK_EXPECTATIONS = "documents_expectations"


class DocumentsConfig(dg.Config):
    extractor: ExtractionMode = Field(
        default=ExtractionMode.quality,
        description="quality: trafilatura favor_precision (default); fast: resiliparse + boilerplate line pass",
    )


@dg.asset(
    name=DOCUMENTS,
    deps=[RAW_PAGES],
    partitions_def=CRAWL_FILES,
    group_name=GROUP,
    kinds={"ducklake", "parquet"},
    description="Main text of each page (or the crawl's own text), its language (lid.176) and size counts.",
    metadata={
        "dagster/column_schema": column_schema(tables.DOCUMENTS.schema),
        "dagster/table_name": f"lake.{tables.DOCUMENTS.relation}",
    },
    check_specs=[
        dg.AssetCheckSpec(CHECK_TEXT_PRESENT, asset=DOCUMENTS, blocking=True, description="no empty text"),
        dg.AssetCheckSpec(
            CHECK_EXPECTATIONS,
            asset=DOCUMENTS,
            description="Great Expectations suite expectations/documents.json over the partition (warns)",
        ),
    ],
)
def documents(context: dg.AssetExecutionContext, config: DocumentsConfig, lake: LakeResource, compute: ComputeResource):
    key = context.partition_key
    mode = ExtractionMode(config.extractor)
    started = time.perf_counter()
    stats = Counter()
    engine = compute.compute()

    def batches(cursor):
        pages = read_partition(
            cursor, RAW_PAGES, PAGE_COLUMNS, PARTITION_COLUMN, key, "record_offset", engine.rows_per_batch
        )
        for docs, counts in engine.map_batches(partial(documents_and_counts, mode=mode), pages):
            stats.update(counts)
            yield docs

    store = lake.lake()
    snapshot = store.replace_partition(
        PARTITION_COLUMN,
        key,
        {DOCUMENTS: (tables.DOCUMENTS.schema, batches)},
        message=f"documents of {key} ({mode.value})",
    )
    seconds = time.perf_counter() - started
    with store.connect(read_only=True) as con:
        where = f"WHERE {PARTITION_COLUMN} = ?"
        docs, empty = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE trim(text) = '') FROM {DOCUMENTS} {where}", [key]
        ).fetchone()
        pages = con.execute(f"SELECT count(*) FROM {RAW_PAGES} {where}", [key]).fetchone()[0]
        languages = con.execute(
            f"SELECT language, count(*), round(avg(language_score), 3) FROM {DOCUMENTS} {where} "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15",
            [key],
        ).fetchall()
        preview = con.execute(
            f"SELECT url, language, word_count, left(text, 80) FROM {DOCUMENTS} {where} LIMIT 5", [key]
        ).fetchall()
        written = con.execute(f"SELECT * EXCLUDE (text) FROM {DOCUMENTS} {where}", [key]).to_arrow_table()
    context.log.info(f"{key}: {docs} documents from {pages} pages in {seconds:.1f} s")
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": docs,
            "lake_snapshot_id": snapshot,
            "pages_without_text": pages - docs,
            "charset_fallbacks": stats["charset_fallbacks"],
            "extraction_failures": stats["extraction_failures"],
            "extractor": extractor_name(mode),
            "compute": engine.name,
            "documents_per_second": round(docs / seconds, 1) if seconds else None,
            "languages": markdown_table(["language", "documents", "mean score"], languages),
            "preview": markdown_table(["url", "language", "words", "text"], preview),
        }
    )
    yield dg.AssetCheckResult(check_name=CHECK_TEXT_PRESENT, passed=empty == 0, metadata={"empty_texts": empty})
    yield expectation_check(CHECK_EXPECTATIONS, DOCUMENTS, written, DOCUMENTS, severity=dg.AssetCheckSeverity.WARN)
