"""Duplicate links and clusters in SQL over the lake, so they scale past memory (DuckDB joins and aggregates spill).

A new crawl partition is linked against everything stored before it and against itself; old partitions are never
fingerprinted or compared again. Links (`dedup_pairs`) are kept per partition that found them:
- exact: a document -> the smallest doc_id with the same normalised text (a star, never all pairs of a group);
- fuzzy: documents sharing an LSH band key whose MinHash signatures agree on at least `min_similarity` of their
  values (the estimated Jaccard), which rejects LSH's chance collisions and keeps clusters from chaining through
  Jaccard 0.5-0.75 pairs. Only one document per exact group takes part, so exact copies never blow up a bucket.
Clusters are the connected components of all links, found by min-label propagation with pointer jumping.
"""

from curation.lake.tables import DEDUP_BAND_KEYS, DEDUP_CLUSTERS, DEDUP_PAIRS, DEDUP_SIGNATURES

SIGNATURES_TABLE = DEDUP_SIGNATURES.name
BAND_KEYS_TABLE = DEDUP_BAND_KEYS.name
PAIRS_TABLE = DEDUP_PAIRS.name
CLUSTERS_TABLE = DEDUP_CLUSTERS.name


def _similarity(left: str, right: str) -> str:
    return f"len(list_filter(range(1, len({left}) + 1), i -> {left}[i] = {right}[i])) / len({left})"


def link_partition_sql(min_similarity: float) -> list[str]:
    """Statements (parameter: the partition key, as $key) that insert the partition's links into dedup_pairs."""
    # exact groups the partition touches: every member -> the group's smallest doc_id, for the partition's own
    # documents, and for older ones too when the smallest doc_id is new (so old copies join the new first)
    exact = f"""
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
    fuzzy = f"""
INSERT INTO {PAIRS_TABLE}
WITH firsts AS (
    SELECT doc_id FROM {SIGNATURES_TABLE}
    QUALIFY row_number() OVER (PARTITION BY exact_hash ORDER BY doc_id) = 1
),
keys AS (SELECT k.* FROM {BAND_KEYS_TABLE} AS k SEMI JOIN firsts USING (doc_id)),
candidates AS (
    SELECT DISTINCT n.doc_id AS doc_a, o.doc_id AS doc_b
    FROM keys AS n
    JOIN keys AS o USING (band, band_key, minhash_config)
    WHERE n.crawl_file = $key AND n.doc_id <> o.doc_id AND (o.crawl_file <> $key OR n.doc_id < o.doc_id)
),
verified AS (
    SELECT c.doc_a, c.doc_b, {_similarity("a.signature", "b.signature")} AS similarity
    FROM candidates AS c
    JOIN {SIGNATURES_TABLE} AS a ON a.doc_id = c.doc_a
    JOIN {SIGNATURES_TABLE} AS b ON b.doc_id = c.doc_b
)
SELECT $key AS crawl_file, doc_a, doc_b, 'fuzzy' AS kind, similarity
FROM verified
WHERE similarity >= {float(min_similarity)!r}"""
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
