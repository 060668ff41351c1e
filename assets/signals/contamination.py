"""documents -> `contamination` (+ `contamination_scans`): every document's word n-grams looked up in every
registered evaluation set (benchmarks/benchmarks.yaml), per crawl partition. Mixture recipes leave flagged
documents out; `contamination_scans` records which set versions a partition was scanned against, so a manifest
can tell "clean" from "never scanned"."""

from functools import partial

import dagster as dg

from assets.metadata import column_schema, markdown_table
from assets.partitions import CRAWL_FILES
from assets.resources import ComputeResource, LakeResource
from assets.signals import GROUP
from curation.decontamination.benchmarks import BenchmarkError, load_registry
from curation.decontamination.ngram_index import index_of
from curation.decontamination.scan import DOCUMENT_COLUMNS, SCHEMA, contamination_rows, scans_sql
from curation.lake import tables
from curation.lake.client import read_partition

CONTAMINATION, SCANS, DOCUMENTS, PARTITION_COLUMN = (
    tables.CONTAMINATION.name,
    tables.CONTAMINATION_SCANS.name,
    tables.DOCUMENTS.name,
    tables.CRAWL_PARTITION,
)
CHECK_SCANNED = "every_benchmark_scanned"


def _spec(table: tables.Table, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        table.name,
        description=description,
        deps=[DOCUMENTS],
        partitions_def=CRAWL_FILES,
        group_name=GROUP,
        kinds={"ducklake", "numpy"},
        metadata={
            "dagster/table_name": f"lake.{table.relation}",
            "dagster/column_schema": column_schema(table.schema),
        },
    )


@dg.multi_asset(
    name=CONTAMINATION,
    specs=[
        _spec(
            tables.CONTAMINATION,
            "Documents sharing a word n-gram (13 by default) with a registered evaluation set "
            "(benchmarks/benchmarks.yaml: GSM8K's test set ships): matched n-grams, longest matched span, the item.",
        ),
        _spec(
            tables.CONTAMINATION_SCANS,
            "Per crawl partition and evaluation set: the set's version it was scanned against, documents scanned "
            "and flagged (what makes a document not in `contamination` clean rather than unscanned).",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_SCANNED,
            asset=SCANS,
            blocking=True,
            description="the partition's scan is recorded for every registered set, at its current version",
        )
    ],
)
def contamination(context: dg.AssetExecutionContext, lake: LakeResource, compute: ComputeResource):
    key = context.partition_key
    try:  # every set read and indexed before any document is: a bad file is refused with its line and reason
        indexes = tuple(index_of(b) for _, b in sorted(load_registry().items()))
    except BenchmarkError as error:
        raise dg.Failure(str(error)) from None
    engine = compute.compute()
    scan = partial(contamination_rows, indexes=indexes)

    def batches(cursor):
        docs = read_partition(cursor, DOCUMENTS, DOCUMENT_COLUMNS, PARTITION_COLUMN, key, None, engine.rows_per_batch)
        yield from engine.map_batches(scan, docs)

    literal = "'" + key.replace("'", "''") + "'"
    store = lake.lake()
    snapshot = store.replace_partition(
        PARTITION_COLUMN,
        key,
        {CONTAMINATION: (SCHEMA, batches), SCANS: (tables.CONTAMINATION_SCANS.schema, iter(()))},
        message=f"contamination scan of {key}",
        then=scans_sql(literal, indexes),
    )
    with store.connect(read_only=True) as con:
        found = con.execute(
            f"SELECT benchmark, count(*), max(matched_ngrams), max(longest_span_words) FROM {CONTAMINATION} "
            f"WHERE {PARTITION_COLUMN} = ? GROUP BY 1 ORDER BY 1",
            [key],
        ).fetchall()
        scan_rows = con.execute(
            f"SELECT benchmark, benchmark_version, documents, contaminated_documents FROM {SCANS} "
            f"WHERE {PARTITION_COLUMN} = ? ORDER BY 1",
            [key],
        ).fetchall()
    scanned = {name: version for name, version, _, _ in scan_rows}
    counts = {name: (n, most, span) for name, n, most, span in found}
    per_set = [
        (i.benchmark, i.version, i.item_count, i.hashes.size, *counts.get(i.benchmark, (0, None, None)))
        for i in indexes
    ]
    yield dg.MaterializeResult(
        asset_key=CONTAMINATION,
        metadata={
            "dagster/row_count": sum(n for _, n, _, _ in found),
            "lake_snapshot_id": snapshot,
            "benchmarks": markdown_table(
                ["set", "version", "items", "n-grams", "documents flagged", "most n-grams", "longest span (words)"],
                per_set,
            ),
            "compute": engine.name,
        },
    )
    yield dg.MaterializeResult(
        asset_key=SCANS,
        metadata={
            "dagster/row_count": len(scan_rows),
            "lake_snapshot_id": snapshot,
            "scans": markdown_table(["set", "version", "documents", "flagged"], scan_rows),
        },
    )
    expected = {i.benchmark: i.version for i in indexes}
    yield dg.AssetCheckResult(
        asset_key=SCANS,
        check_name=CHECK_SCANNED,
        passed=scanned == expected,
        metadata={"registered": len(expected), "scanned": len(scanned)},
    )
