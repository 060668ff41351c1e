"""documents -> `document_lines`: per line of every text its hash, characters and words, what span-level dedup
(assets/dedup/boilerplate.py) counts across documents without reading texts again."""

import dagster as dg

from assets.metadata import column_schema, markdown_table
from assets.partitions import CRAWL_FILES
from assets.resources import ComputeResource, LakeResource
from assets.signals import GROUP
from curation.dedup.lines import DOCUMENT_COLUMNS, SCHEMA, line_signals
from curation.lake import tables
from curation.lake.client import read_partition

DOCUMENT_LINES, DOCUMENTS, PARTITION_COLUMN = (
    tables.DOCUMENT_LINES.name,
    tables.DOCUMENTS.name,
    tables.CRAWL_PARTITION,
)
CHECK_ONE_ROW_PER_DOCUMENT = "lines_for_every_document"


@dg.asset(
    name=DOCUMENT_LINES,
    deps=[DOCUMENTS],
    partitions_def=CRAWL_FILES,
    group_name=GROUP,
    kinds={"ducklake", "parquet"},
    description="Per document: one xxh3 hash per line of its text (case folded, whitespace collapsed; NULL for "
    "blank lines) with the line's characters and words, in text order.",
    metadata={
        "dagster/column_schema": column_schema(SCHEMA),
        "dagster/table_name": f"lake.{tables.DOCUMENT_LINES.relation}",
    },
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_ONE_ROW_PER_DOCUMENT, asset=DOCUMENT_LINES, blocking=True, description="one row per document"
        )
    ],
)
def document_lines(context: dg.AssetExecutionContext, lake: LakeResource, compute: ComputeResource):
    key = context.partition_key
    engine = compute.compute()

    def batches(cursor):
        docs = read_partition(cursor, DOCUMENTS, DOCUMENT_COLUMNS, PARTITION_COLUMN, key, None, engine.rows_per_batch)
        yield from engine.map_batches(line_signals, docs)

    store = lake.lake()
    snapshot = store.replace_partition(
        PARTITION_COLUMN, key, {DOCUMENT_LINES: (SCHEMA, batches)}, message=f"line signals of {key}"
    )
    where = f"WHERE {PARTITION_COLUMN} = ?"
    with store.connect(read_only=True) as con:
        rows, lines, blank, median, most = con.execute(
            "SELECT count(*), sum(n), sum(blank), median(n - blank), max(n - blank) FROM ("
            "SELECT len(line_hashes) AS n, len(list_filter(line_hashes, lambda h: h IS NULL)) AS blank "
            f"FROM {DOCUMENT_LINES} {where})",
            [key],
        ).fetchone()
        documents = con.execute(f"SELECT count(*) FROM {DOCUMENTS} {where}", [key]).fetchone()[0]
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "lake_snapshot_id": snapshot,
            "lines": int(lines or 0),
            "blank_lines": int(blank or 0),
            "lines_per_document": markdown_table(
                ["documents", "lines", "blank lines", "median non-blank lines", "most non-blank lines"],
                [(rows, int(lines or 0), int(blank or 0), median, most)],
            ),
            "compute": engine.name,
        }
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_ONE_ROW_PER_DOCUMENT, passed=rows == documents, metadata={"rows": rows, "documents": documents}
    )
