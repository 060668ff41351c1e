"""documents -> `quality_signals`: FineWeb's filter measurements and default verdicts per document."""

import time

import dagster as dg

from assets.documents.assets import DOCUMENTS
from assets.ingestion.assets import PARTITION_COLUMN
from assets.lakehouse import read_partition
from assets.metadata import column_schema, markdown_table
from assets.transforms.signals import DOCUMENT_COLUMNS, FILTERS, SCHEMA, signals_from_documents
from orchestration.partitions import CRAWL_FILES
from orchestration.resources import LakeResource

QUALITY_SIGNALS = "quality_signals"
CHECK_ONE_ROW_PER_DOCUMENT = "signals_for_every_document"


@dg.asset(
    name=QUALITY_SIGNALS,
    deps=[DOCUMENTS],
    partitions_def=CRAWL_FILES,
    group_name="filtering",
    kinds={"ducklake", "parquet"},
    description="Per document: every FineWeb filter's measurements (prefixed by filter) and its verdict under the "
    "published thresholds; fineweb_reason is the first rejection in FineWeb's order, NULL when kept.",
    metadata={"dagster/column_schema": column_schema(SCHEMA), "dagster/table_name": "lake.main.quality_signals"},
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_ONE_ROW_PER_DOCUMENT, asset=QUALITY_SIGNALS, blocking=True, description="one row per document"
        )
    ],
)
def quality_signals(context: dg.AssetExecutionContext, lake: LakeResource):
    key = context.partition_key
    started = time.perf_counter()

    def batches(cursor):
        for docs in read_partition(cursor, DOCUMENTS, DOCUMENT_COLUMNS, PARTITION_COLUMN, key, "doc_id"):
            yield signals_from_documents(docs)

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
    by_filter = {name: sum(n for f, _, n in drops if f == name) for name in FILTERS}
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": signals,
            "lake_snapshot_id": snapshot,
            "kept_by_fineweb_defaults": kept,
            "kept_fraction": round(kept / signals, 4) if signals else None,
            **{f"dropped_by_{name}": n for name, n in by_filter.items()},
            "drops": markdown_table(["filter", "reason", "documents"], drops),
            "documents_per_second": round(signals / seconds, 1) if seconds else None,
        }
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_ONE_ROW_PER_DOCUMENT,
        passed=signals == documents,
        metadata={"signals": signals, "documents": documents},
    )
