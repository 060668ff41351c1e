"""Deduplication across every crawl partition: fingerprints per partition (never recomputed for old ones), links
to everything stored before, clusters over all links, and per recipe the deduplicated corpus as a view."""

from functools import partial

import dagster as dg
from pydantic import Field

from assets.checks import expectation_check
from assets.dedup import GROUP
from assets.keys import deduplicated_documents_key, filtered_documents_key
from assets.metadata import column_schema, markdown_table
from assets.partitions import CRAWL_FILES
from assets.resources import ComputeResource, LakeResource
from curation.dedup import minhash as dedup
from curation.dedup.band_files import TABLE_OPTIONS as BAND_KEY_OPTIONS
from curation.dedup.band_files import BandKeyFiles
from curation.dedup.clusters import cluster_statements, link_partition
from curation.dedup.views import deduplicated_view_sql
from curation.filters.recipe import FilterRecipe
from curation.lake import tables
from curation.lake.client import read_partition
from curation.recipes import Recipes

DEDUP_FINGERPRINTS = "dedup_fingerprints"  # one asset writing three tables per partition
DEDUP_CLUSTERS = tables.DEDUP_CLUSTERS.name
DEDUPLICATED_DOCUMENTS = tables.DEDUPLICATED_SCHEMA  # asset key prefix: deduplicated_documents/<recipe>
DOCUMENTS, PARTITION_COLUMN = tables.DOCUMENTS.name, tables.CRAWL_PARTITION
SIGNATURES_TABLE, BAND_KEYS_TABLE = tables.DEDUP_SIGNATURES.name, tables.DEDUP_BAND_KEYS.name
PAIRS_TABLE, CLUSTERS_TABLE = tables.DEDUP_PAIRS.name, tables.DEDUP_CLUSTERS.name
CHECK_ONE_CLUSTER_ROW = "one_row_per_fingerprinted_document"
CHECK_ONE_REPRESENTATIVE = "one_representative_per_cluster"
CHECK_DEDUPLICATED_EXPECTATIONS = "deduplicated_corpus_expectations"
DOCUMENT_COLUMNS = ("doc_id", "crawl_file", "fetch_date", "text")
SIZE_BUCKETS = ((1, 1), (2, 2), (3, 5), (6, 10), (11, 100), (101, None))


class DedupConfig(dg.Config):
    """FineWeb's target (word 5-grams, Jaccard 0.75) with an LSH layout that finds a pair at 0.75 with probability
    0.99 (curation.dedup.lsh). Signatures made with another setting are never linked to these."""

    n_grams: int = Field(default=5, ge=1, le=32, description="words per shingle")
    num_bands: int = Field(default=17, ge=1, le=64, description="LSH bands")
    hashes_per_band: int = Field(default=5, ge=1, le=64, description="MinHash values per band")
    min_similarity: float = Field(
        default=0.75, ge=0, le=1, description="exact shingle Jaccard a candidate pair must reach to become a link"
    )

    def minhash(self) -> dedup.MinHashConfig:
        return dedup.MinHashConfig(self.n_grams, self.num_bands, self.hashes_per_band)


@dg.asset(
    name=DEDUP_FINGERPRINTS,
    deps=[DOCUMENTS],
    partitions_def=CRAWL_FILES,
    group_name=GROUP,
    kinds={"ducklake", "numpy"},
    description="Per document of the partition: normalised-text hash, MinHash signature and LSH band keys "
    "(dedup_signatures, dedup_band_keys), and the partition's verified links to every document stored before "
    "(dedup_pairs). Old partitions are not fingerprinted again.",
    metadata={
        "dagster/column_schema": column_schema(tables.DEDUP_SIGNATURES.schema),
        "dagster/table_name": f"lake.{tables.DEDUP_SIGNATURES.relation}",
    },
)
def dedup_fingerprints(
    context: dg.AssetExecutionContext, config: DedupConfig, lake: LakeResource, compute: ComputeResource
):
    key = context.partition_key
    minhash = config.minhash()
    engine = compute.compute()

    def fingerprints(cursor):
        # in storage order, one streamed query: a fingerprint does not depend on its neighbours
        rows = engine.rows_per_batch
        docs = read_partition(cursor, DOCUMENTS, DOCUMENT_COLUMNS, PARTITION_COLUMN, key, None, rows)
        band_files = BandKeyFiles()  # band keys in band order, a few batches per file: linking skips other bands

        def with_config(table):
            return table.append_column("minhash_config", [[minhash.name] * table.num_rows])

        for sigs, keys in engine.map_batches(partial(dedup.fingerprint, config=minhash), docs):
            batch = {SIGNATURES_TABLE: with_config(sigs)}  # memory is bounded by a few batches, not the partition
            full = band_files.add(keys, sigs.num_rows)
            yield batch if full is None else {**batch, BAND_KEYS_TABLE: with_config(full)}
        rest = band_files.flush()
        if rest is not None:
            yield {BAND_KEYS_TABLE: with_config(rest)}

    store = lake.lake()
    store.set_table_options(BAND_KEYS_TABLE, tables.DEDUP_BAND_KEYS.schema, BAND_KEY_OPTIONS)
    snapshot = store.replace_partition(
        PARTITION_COLUMN,
        key,
        {
            SIGNATURES_TABLE: (tables.DEDUP_SIGNATURES.schema, fingerprints),
            BAND_KEYS_TABLE: (tables.DEDUP_BAND_KEYS.schema, []),
            PAIRS_TABLE: (tables.DEDUP_PAIRS.schema, []),
        },
        message=f"dedup fingerprints and links of {key}",
        then=link_partition(key, config.min_similarity),
    )
    with store.connect(read_only=True) as con:
        docs = con.execute(f"SELECT count(*) FROM {SIGNATURES_TABLE} WHERE crawl_file = ?", [key]).fetchone()[0]
        links = dict(
            con.execute(
                f"SELECT kind, count(*) FROM {PAIRS_TABLE} WHERE crawl_file = ? GROUP BY kind", [key]
            ).fetchall()
        )
        older = con.execute(
            f"SELECT count(*) FROM {PAIRS_TABLE} p JOIN {SIGNATURES_TABLE} s ON s.doc_id = p.doc_b "
            "WHERE p.crawl_file = ? AND s.crawl_file <> ?",
            [key, key],
        ).fetchone()[0]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": docs,
            "lake_snapshot_id": snapshot,
            "minhash": minhash.name,
            "compute": engine.name,
            "exact_links": links.get("exact", 0),
            "fuzzy_links": links.get("fuzzy", 0),
            "links_to_older_partitions": older,
            "links": markdown_table(
                ["kind", "links found by this partition"], [(k, links.get(k, 0)) for k in ("exact", "fuzzy")]
            ),
        }
    )


@dg.asset(
    name=DEDUP_CLUSTERS,
    deps=[DEDUP_FINGERPRINTS],
    group_name=GROUP,
    kinds={"ducklake", "sql"},
    automation_condition=dg.AutomationCondition.eager(),
    description="One row per fingerprinted document: cluster_id (its representative's doc_id), cluster_size (kept "
    "for rehydration), is_representative (earliest fetch, then smallest doc_id) and match_kind "
    "(unique, exact, fuzzy). Connected components over all partitions' links.",
    metadata={
        "dagster/table_name": f"lake.{tables.DEDUP_CLUSTERS.relation}",
        "dagster/column_schema": column_schema(tables.DEDUP_CLUSTERS.schema),
    },
    check_specs=[
        dg.AssetCheckSpec(CHECK_ONE_CLUSTER_ROW, asset=DEDUP_CLUSTERS, blocking=True),
        dg.AssetCheckSpec(CHECK_ONE_REPRESENTATIVE, asset=DEDUP_CLUSTERS, blocking=True),
    ],
)
def dedup_clusters(context: dg.AssetExecutionContext, lake: LakeResource):
    store = lake.lake()
    store.create_missing_tables(
        {t.name: t.schema for t in (tables.DEDUP_SIGNATURES, tables.DEDUP_BAND_KEYS, tables.DEDUP_PAIRS)}
    )
    setup, propagate, finish = cluster_statements()
    rounds = 0
    with store.transaction(message="dedup clusters over all partitions") as con:
        for statement in setup:
            con.execute(statement)
        while True:
            rounds += 1
            con.execute(propagate)
            changed = con.execute(
                "SELECT count(*) FROM next_labels n JOIN labels l USING (node) WHERE n.label <> l.label"
            ).fetchone()[0]
            con.execute("CREATE OR REPLACE TEMP TABLE labels AS SELECT * FROM next_labels")
            if changed == 0:
                break
        for statement in finish:
            con.execute(statement)
    with store.connect(read_only=True) as con:
        docs, clusters, duplicates, exact, fuzzy = con.execute(
            f"SELECT count(*), count(DISTINCT cluster_id), count(*) FILTER (WHERE NOT is_representative), "
            f"count(*) FILTER (WHERE match_kind = 'exact'), count(*) FILTER (WHERE match_kind = 'fuzzy') "
            f"FROM {CLUSTERS_TABLE}"
        ).fetchone()
        sizes = con.execute(
            f"SELECT cluster_size, count(DISTINCT cluster_id) FROM {CLUSTERS_TABLE} GROUP BY 1 ORDER BY 1"
        ).fetchall()
        fingerprinted = con.execute(f"SELECT count(DISTINCT doc_id) FROM {SIGNATURES_TABLE}").fetchone()[0]
        bad_reps = con.execute(
            f"SELECT count(*) FROM (SELECT cluster_id FROM {CLUSTERS_TABLE} GROUP BY 1 "
            "HAVING count(*) FILTER (WHERE is_representative) <> 1)"
        ).fetchone()[0]
    histogram = []
    for low, high in SIZE_BUCKETS:
        n = sum(count for size, count in sizes if size >= low and (high is None or size <= high))
        histogram.append((f"{low}" if low == high else f"{low}-{high or ''}", n))
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": docs,
            "clusters": clusters,
            "duplicate_rate": round(duplicates / docs, 4) if docs else None,
            "documents_in_exact_clusters": exact,
            "documents_in_fuzzy_clusters": fuzzy,
            "largest_cluster": max((size for size, _ in sizes), default=0),
            "cluster_size_histogram": markdown_table(["cluster size", "clusters"], histogram),
            "propagation_rounds": rounds,
        }
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_ONE_CLUSTER_ROW,
        passed=docs == fingerprinted,
        metadata={"rows": docs, "fingerprinted_documents": fingerprinted},
    )
    yield dg.AssetCheckResult(
        check_name=CHECK_ONE_REPRESENTATIVE, passed=bad_reps == 0, metadata={"clusters_without_one": bad_reps}
    )


def deduplicated_documents_asset(recipe: FilterRecipe) -> dg.AssetsDefinition:
    key = deduplicated_documents_key(recipe.name)

    @dg.asset(
        key=key,
        deps=[filtered_documents_key(recipe.name), DEDUP_CLUSTERS],
        group_name=GROUP,
        kinds={"ducklake", "sql"},
        automation_condition=dg.AutomationCondition.eager(),
        description=f"The `{recipe.name}` recipe's documents, one per duplicate cluster (a view), with cluster_size "
        "for rehydration.",
        metadata={"dagster/table_name": f"lake.{tables.deduplicated_view(recipe.name)}"},
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_DEDUPLICATED_EXPECTATIONS,
                asset=key,
                blocking=True,
                description="Great Expectations suite expectations/deduplicated_documents.json: one document per "
                "cluster, sizes kept (blocks scoring)",
            )
        ],
    )
    def _deduplicated(context: dg.AssetExecutionContext, lake: LakeResource):
        store = lake.lake()
        view = tables.deduplicated_view(recipe.name)
        with store.transaction(message=f"deduplicated view of recipe {recipe.name}") as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {DEDUPLICATED_DOCUMENTS}")
            con.execute(f"CREATE OR REPLACE VIEW {view} AS {deduplicated_view_sql(recipe.name)}")
        with store.connect(read_only=True) as con:
            corpus = con.execute(f"SELECT * EXCLUDE (text) FROM {view}").to_arrow_table()
            filtered = con.execute(f"SELECT count(*) FROM {tables.filtered_view(recipe.name)}").fetchone()[0]
            languages = con.execute(
                f"SELECT language, count(*), sum(word_count) FROM {view} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"
            ).fetchall()
            sizes = con.execute(f"SELECT cluster_size, count(*) FROM {view} GROUP BY 1 ORDER BY 1 LIMIT 20").fetchall()
            preview = con.execute(
                f"SELECT url, language, word_count, cluster_size, left(text, 80) FROM {view} LIMIT 5"
            ).fetchall()
        kept = corpus.num_rows
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": kept,
                "filtered_documents": filtered,
                "duplicates_removed": filtered - kept,
                "duplicate_rate": round((filtered - kept) / filtered, 4) if filtered else None,
                "languages": markdown_table(["language", "documents", "words"], languages),
                "cluster_sizes": markdown_table(["cluster size", "documents kept"], sizes),
                "preview": markdown_table(["url", "language", "words", "cluster size", "text"], preview),
            }
        )
        yield expectation_check(CHECK_DEDUPLICATED_EXPECTATIONS, key, corpus, DEDUPLICATED_DOCUMENTS)

    return _deduplicated


def deduplicated_documents_assets(recipes: Recipes) -> list[dg.AssetsDefinition]:
    return [deduplicated_documents_asset(recipe) for recipe in recipes.filters.values()]
