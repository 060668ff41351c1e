"""documents -> `document_output_fixes`: per document what its text changes on the way out of the lake (ftfy,
e-mail and IP anonymization, `|` table lines; curation/output), so the changes can be counted and queried before
any shard is written. The fixed text of every document the fixes change is stored too (with the md5 of the text it
came from), so token counts and shards take it instead of fixing the same text again."""

import dagster as dg

from assets.metadata import column_schema, markdown_table
from assets.partitions import CRAWL_FILES
from assets.resources import ComputeResource, LakeResource
from assets.signals import GROUP
from curation.lake import tables
from curation.lake.client import read_partition
from curation.output.fixes import DOCUMENT_COLUMNS, SCHEMA, change_example, fix_signals

OUTPUT_FIXES, DOCUMENTS, PARTITION_COLUMN = (
    tables.DOCUMENT_OUTPUT_FIXES.name,
    tables.DOCUMENTS.name,
    tables.CRAWL_PARTITION,
)
CHECK_ONE_ROW_PER_DOCUMENT = "output_fixes_for_every_document"
EXAMPLES = 5


@dg.asset(
    name=OUTPUT_FIXES,
    deps=[DOCUMENTS],
    partitions_def=CRAWL_FILES,
    group_name=GROUP,
    kinds={"ducklake", "ftfy"},
    description="Per document: whether ftfy repairs its text, how many e-mail, public IPv4 and IPv6 addresses the "
    "shards replace by FineWeb's placeholders, and how many `|` table-artifact lines they collapse; the fixed text "
    "where it differs, which token counts and shards read.",
    metadata={
        "dagster/column_schema": column_schema(SCHEMA),
        "dagster/table_name": f"lake.{tables.DOCUMENT_OUTPUT_FIXES.relation}",
    },
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_ONE_ROW_PER_DOCUMENT, asset=OUTPUT_FIXES, blocking=True, description="one row per document"
        )
    ],
)
def document_output_fixes(context: dg.AssetExecutionContext, lake: LakeResource, compute: ComputeResource):
    key = context.partition_key
    engine = compute.compute()

    def batches(cursor):
        docs = read_partition(cursor, DOCUMENTS, DOCUMENT_COLUMNS, PARTITION_COLUMN, key, None, engine.rows_per_batch)
        yield from engine.map_batches(fix_signals, docs)

    store = lake.lake()
    snapshot = store.replace_partition(
        PARTITION_COLUMN, key, {OUTPUT_FIXES: (SCHEMA, batches)}, message=f"output fixes of {key}"
    )
    with store.connect(read_only=True) as con:
        counts = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE mojibake_fixed OR emails + ipv4 + ipv6 + table_lines > 0), "
            "count(*) FILTER (WHERE mojibake_fixed), count(*) FILTER (WHERE emails > 0), "
            "count(*) FILTER (WHERE ipv4 + ipv6 > 0), count(*) FILTER (WHERE table_lines > 0), "
            "coalesce(sum(emails), 0), coalesce(sum(ipv4), 0), coalesce(sum(ipv6), 0), coalesce(sum(table_lines), 0) "
            f"FROM {OUTPUT_FIXES} WHERE {PARTITION_COLUMN} = ?",
            [key],
        ).fetchone()
        documents = con.execute(f"SELECT count(*) FROM {DOCUMENTS} WHERE {PARTITION_COLUMN} = ?", [key]).fetchone()[0]
        samples = con.execute(
            f"SELECT f.doc_id, CASE WHEN f.mojibake_fixed THEN 'ftfy' ELSE 'table lines' END, d.text "
            f"FROM {OUTPUT_FIXES} AS f JOIN {DOCUMENTS} AS d USING (doc_id) "
            f"WHERE f.{PARTITION_COLUMN} = ? AND (f.mojibake_fixed OR f.table_lines > 0) ORDER BY f.doc_id LIMIT ?",
            [key, EXAMPLES],
        ).fetchall()
    rows, changed, mojibake, with_emails, with_ips, with_tables, emails, ipv4, ipv6, table_lines = counts
    examples = [(doc_id, fix, *change_example(text)) for doc_id, fix, text in samples]
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "lake_snapshot_id": snapshot,
            "documents_changed": changed,
            "documents_mojibake_fixed": mojibake,
            "documents_with_emails": with_emails,
            "documents_with_ips": with_ips,
            "documents_with_table_lines": with_tables,
            "replaced": markdown_table(
                ["e-mails", "public IPv4", "public IPv6", "table lines"], [(emails, ipv4, ipv6, table_lines)]
            ),
            "examples": markdown_table(["doc_id", "fix", "before", "after"], examples, max_chars=90),
            "compute": engine.name,
        }
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_ONE_ROW_PER_DOCUMENT, passed=rows == documents, metadata={"rows": rows, "documents": documents}
    )
