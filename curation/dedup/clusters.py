"""Duplicate links and clusters in SQL over the lake, so they scale past memory (DuckDB joins and aggregates spill).

A new crawl partition is linked against everything stored before it and against itself; old partitions are never
fingerprinted or compared again. Links (`dedup_pairs`) are kept per partition that found them:
- exact: a document -> the smallest doc_id with the same normalised text (a star, never all pairs of a group);
- fuzzy: documents sharing an LSH band key (candidates) whose shingle sets have an exact Jaccard similarity of at
  least `min_similarity`. The exact check rejects LSH's chance collisions without the MinHash estimate's noise
  (which at 0.75 +- 0.04 both lost true pairs and let clusters chain through lower ones). Only one document per
  exact group takes part, so exact copies never blow up a bucket.
Clusters are the connected components of all links, found by min-label propagation with pointer jumping.
"""

from collections.abc import Callable

import duckdb
import numpy as np
import pyarrow as pa

from curation.dedup.minhash import exact_jaccard
from curation.lake.sql import sql_string
from curation.lake.tables import DEDUP_BAND_KEYS, DEDUP_CLUSTERS, DEDUP_PAIRS, DEDUP_SIGNATURES

SIGNATURES_TABLE = DEDUP_SIGNATURES.name
BAND_KEYS_TABLE = DEDUP_BAND_KEYS.name
PAIRS_TABLE = DEDUP_PAIRS.name
CLUSTERS_TABLE = DEDUP_CLUSTERS.name
VERIFY_PAIRS_PER_BATCH = 20_000  # candidate pairs whose shingle sets are held at once
BANDS_PER_JOIN = 2  # bands whose keys one candidate join holds (17 bands: 9 joins)


def exact_links_sql() -> str:
    """Statement (parameter: the partition key, as $key) that inserts the partition's exact links."""
    # exact groups the partition touches: every member -> the group's smallest doc_id, for the partition's own
    # documents, and for older ones too when the smallest doc_id is new (so old copies join the new first)
    return f"""
INSERT INTO {PAIRS_TABLE}
WITH groups AS (
    SELECT exact_hash, min(doc_id) AS first_doc FROM {SIGNATURES_TABLE}
    GROUP BY exact_hash HAVING bool_or(crawl_file = $key)
)
SELECT $key AS crawl_file, s.doc_id AS doc_a, g.first_doc AS doc_b, 'exact' AS kind, 1.0 AS similarity
FROM {SIGNATURES_TABLE} AS s
JOIN groups AS g USING (exact_hash)
JOIN {SIGNATURES_TABLE} AS f ON f.doc_id = g.first_doc
WHERE s.doc_id <> g.first_doc AND (s.crawl_file = $key OR f.crawl_file = $key)"""


def candidate_statements() -> tuple[list[str], str, str]:
    """(setup, per-band-range insert, result) statements (parameters $key, and $low, $high for the insert) for the
    partition's candidate pairs: (new doc, other doc) sharing a band key of the same MinHash setting, one document
    per exact group, each pair once. A few bands at a time, so the join's hash table holds those bands' keys, not
    all of them (at 200,000 documents: 3.4M keys, about 580 MB in one join)."""
    setup = [
        f"""CREATE OR REPLACE TEMP TABLE candidate_firsts AS
        SELECT doc_id FROM {SIGNATURES_TABLE}
        QUALIFY row_number() OVER (PARTITION BY exact_hash ORDER BY doc_id) = 1""",
        "CREATE OR REPLACE TEMP TABLE candidate_pairs (doc_a VARCHAR, doc_b VARCHAR)",
    ]
    per_band = f"""
INSERT INTO temp.candidate_pairs
WITH keys AS (
    SELECT k.doc_id, k.crawl_file, k.band_key, k.minhash_config FROM {BAND_KEYS_TABLE} AS k
    SEMI JOIN temp.candidate_firsts USING (doc_id)
    WHERE k.band BETWEEN $low AND $high
)
SELECT n.doc_id, o.doc_id
FROM keys AS n
JOIN keys AS o USING (band_key, minhash_config)
WHERE n.crawl_file = $key AND n.doc_id <> o.doc_id AND (o.crawl_file <> $key OR n.doc_id < o.doc_id)"""
    result = "SELECT DISTINCT doc_a, doc_b FROM temp.candidate_pairs ORDER BY doc_a, doc_b"
    return setup, per_band, result


def partition_candidates(con: duckdb.DuckDBPyConnection, key: str) -> pa.Table:
    """The partition's candidate pairs (doc_a in the partition), each once, ordered."""
    setup, per_band, result = candidate_statements()
    for statement in setup:
        con.execute(statement)
    bands = con.execute(f"SELECT max(band) FROM {BAND_KEYS_TABLE} WHERE crawl_file = {sql_string(key)}").fetchone()[0]
    for low in range(0, -1 if bands is None else bands + 1, BANDS_PER_JOIN):
        con.execute(per_band, {"key": key, "low": low, "high": low + BANDS_PER_JOIN - 1})
    pairs = con.execute(result).to_arrow_table()
    con.execute("DROP TABLE temp.candidate_pairs")
    con.execute("DROP TABLE temp.candidate_firsts")
    return pairs


def verified_links(candidates: pa.Table, shingle_sets: dict[str, np.ndarray], min_similarity: float) -> pa.Table:
    """(doc_a, doc_b, similarity) of the candidate pairs whose exact shingle Jaccard reaches min_similarity."""
    left, right, similarity = [], [], []
    for a, b in zip(candidates.column("doc_a").to_pylist(), candidates.column("doc_b").to_pylist(), strict=True):
        j = exact_jaccard(shingle_sets[a], shingle_sets[b])
        if j >= min_similarity:
            left.append(a)
            right.append(b)
            similarity.append(j)
    return pa.table({"doc_a": left, "doc_b": right, "similarity": pa.array(similarity, pa.float64())})


def _shingle_sets(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> dict[str, np.ndarray]:
    wanted = pa.table({"doc_id": doc_ids})  # noqa: F841 (read by DuckDB's replacement scan)
    rows = con.execute(
        f"SELECT doc_id, shingle_set FROM {SIGNATURES_TABLE} SEMI JOIN wanted USING (doc_id)"
    ).fetch_arrow_table()
    sets = rows.column("shingle_set").combine_chunks()
    values = sets.values.to_numpy(zero_copy_only=False)
    offsets = sets.offsets.to_numpy()
    return {doc_id: values[offsets[i] : offsets[i + 1]] for i, doc_id in enumerate(rows.column("doc_id").to_pylist())}


def link_partition(key: str, min_similarity: float) -> list[Callable[[duckdb.DuckDBPyConnection], None]]:
    """Steps, each a function of the writing connection inside the partition's transaction, that insert the
    partition's links into dedup_pairs: exact links in SQL, then candidates verified in batches."""

    def exact(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(exact_links_sql(), {"key": key})

    def fuzzy(con: duckdb.DuckDBPyConnection) -> None:
        candidates = partition_candidates(con, key)
        for start in range(0, candidates.num_rows, VERIFY_PAIRS_PER_BATCH):
            batch = candidates.slice(start, VERIFY_PAIRS_PER_BATCH)
            ids = sorted(set(batch.column("doc_a").to_pylist()) | set(batch.column("doc_b").to_pylist()))
            links = verified_links(batch, _shingle_sets(con, ids), min_similarity)
            if links.num_rows:
                rows = links.num_rows
                con.from_arrow(
                    pa.table(
                        {
                            "crawl_file": [key] * rows,
                            "doc_a": links.column("doc_a"),
                            "doc_b": links.column("doc_b"),
                            "kind": ["fuzzy"] * rows,
                            "similarity": links.column("similarity"),
                        }
                    )
                ).insert_into(PAIRS_TABLE)

    return [exact, fuzzy]


def cluster_statements() -> tuple[list[str], str, list[str]]:
    """(setup, one propagation round returning the number of labels changed, finish) over temp tables; the finish
    statements rebuild dedup_clusters with one row per fingerprinted document."""
    setup = [
        f"""CREATE OR REPLACE TEMP TABLE edges AS
        SELECT doc_a AS node, doc_b AS neighbour FROM {PAIRS_TABLE}
        UNION SELECT doc_b, doc_a FROM {PAIRS_TABLE}""",
        "CREATE OR REPLACE TEMP TABLE labels AS "
        "SELECT node, least(node, min(neighbour)) AS label FROM edges GROUP BY node",
    ]
    # neighbours' labels, then the label's own label (pointer jumping): converges in a few rounds
    propagate = """
        CREATE OR REPLACE TEMP TABLE next_labels AS
        WITH spread AS (
            SELECT l.node, least(l.label, min(n.label)) AS label
            FROM labels AS l JOIN edges AS e ON e.node = l.node JOIN labels AS n ON n.node = e.neighbour
            GROUP BY l.node, l.label
        )
        SELECT s.node, least(s.label, coalesce(j.label, s.label)) AS label
        FROM spread AS s LEFT JOIN labels AS j ON j.node = s.label"""
    finish = [
        f"""CREATE OR REPLACE TABLE {CLUSTERS_TABLE} AS
        WITH members AS (
            SELECT s.doc_id, s.crawl_file, s.fetch_date, s.exact_hash, coalesce(l.label, s.doc_id) AS cluster_key
            FROM {SIGNATURES_TABLE} AS s LEFT JOIN temp.labels AS l ON l.node = s.doc_id
        ),
        ranked AS (
            SELECT *,
                count(*) OVER (PARTITION BY cluster_key) AS cluster_size,
                count(*) OVER (PARTITION BY cluster_key, exact_hash) AS same_text,
                row_number() OVER (PARTITION BY cluster_key ORDER BY fetch_date NULLS LAST, doc_id) AS rank
            FROM members
        )
        SELECT doc_id, crawl_file,
            first_value(doc_id) OVER (
                PARTITION BY cluster_key ORDER BY rank ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) AS cluster_id,
            cluster_size::INTEGER AS cluster_size,
            rank = 1 AS is_representative,
            CASE WHEN cluster_size = 1 THEN 'unique' WHEN same_text > 1 THEN 'exact' ELSE 'fuzzy' END AS match_kind
        FROM ranked""",
    ]
    return setup, propagate, finish
