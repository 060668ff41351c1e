"""documents -> `quality_signals`: FineWeb's filter measurements and default verdicts per document."""

import time

import dagster as dg

from assets.metadata import column_schema, markdown_table
from assets.partitions import CRAWL_FILES
from assets.resources import ComputeResource, LakeResource
from assets.signals import GROUP
from curation.filters import FILTER_NAMES
from curation.filters.signals import DOCUMENT_COLUMNS, SCHEMA, signals_from_documents
from curation.lake import tables
from curation.lake.client import read_partition

QUALITY_SIGNALS, DOCUMENTS, PARTITION_COLUMN = (
    tables.QUALITY_SIGNALS.name,
    tables.DOCUMENTS.name,
    tables.CRAWL_PARTITION,
)
CHECK_ONE_ROW_PER_DOCUMENT = "signals_for_every_document"


@dg.asset(
    name=QUALITY_SIGNALS,
    deps=[DOCUMENTS],
    partitions_def=CRAWL_FILES,
    group_name=GROUP,
    kinds={"ducklake", "parquet"},
    description="Per document: every FineWeb filter's measurements (prefixed by filter) and its verdict under the "
    "published thresholds; fineweb_reason is the first rejection in FineWeb's order, NULL when kept.",
    metadata={
        "dagster/column_schema": column_schema(SCHEMA),
        "dagster/table_name": f"lake.{tables.QUALITY_SIGNALS.relation}",
    },
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_ONE_ROW_PER_DOCUMENT, asset=QUALITY_SIGNALS, blocking=True, description="one row per document"
        )
    ],
)
def quality_signals(context: dg.AssetExecutionContext, lake: LakeResource, compute: ComputeResource):
    key = context.partition_key
    started = time.perf_counter()
    engine = compute.compute()

    def batches(cursor):
        docs = read_partition(
            cursor, DOCUMENTS, DOCUMENT_COLUMNS, PARTITION_COLUMN, key, "doc_id", engine.rows_per_batch
        )
        yield from engine.map_batches(signals_from_documents, docs)

    store = lake.lake()
    snapshot = store.replace_partition(
        PARTITION_COLUMN, key, {QUALITY_SIGNALS: (SCHEMA, batches)}, message=f"quality signals of {key}"
    )
    seconds = time.perf_counter() - started
    where = f"WHERE {PARTITION_COLUMN} = ?"
    with store.connect(read_only=True) as con:
        signals, kept = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE fineweb_reason IS NULL) FROM {QUALITY_SIGNALS} {where}", [key]
        ).fetchone()
        documents = con.execute(f"SELECT count(*) FROM {DOCUMENTS} {where}", [key]).fetchone()[0]
        drops = con.execute(
            f"SELECT split_part(fineweb_reason, ':', 1) AS filter, split_part(fineweb_reason, ':', 2) AS reason, "
            f"count(*) FROM {QUALITY_SIGNALS} {where} AND fineweb_reason IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC",
            [key],
        ).fetchall()
    by_filter = {name: sum(n for f, _, n in drops if f == name) for name in FILTER_NAMES}
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": signals,
            "lake_snapshot_id": snapshot,
            "kept_by_fineweb_defaults": kept,
            "kept_fraction": round(kept / signals, 4) if signals else None,
            **{f"dropped_by_{name}": n for name, n in by_filter.items()},
            "drops": markdown_table(["filter", "reason", "documents"], drops),
            "documents_per_second": round(signals / seconds, 1) if seconds else None,
            "compute": engine.name,
        }
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_ONE_ROW_PER_DOCUMENT,
        passed=signals == documents,
        metadata={"signals": signals, "documents": documents},
    )
