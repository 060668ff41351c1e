"""A synthetic rated lake: the tables a mixture recipe reads, at any size, generated in SQL in seconds.

For the manifest benchmark (1M rated documents) and for trying a recipe's arithmetic at scale. Its shape: four
crawl files; 90% English, 5% German, 5% French; DataMan's 15 domains in a skewed mix (Coding 2%, Mathematics 1%);
overall scores mostly 3-4; cluster sizes mostly 1 with a long tail; a filter recipe `synthetic` that keeps
middle-sized clusters more often than singletons or huge ones (the pattern FineWeb2's rehydration exploits).
Every value comes from md5 of the row number and a seed, so the same call gives the same lake.
"""

from curation.decontamination.benchmarks import load_registry
from curation.lake import tables
from curation.lake.client import Lake
from curation.rating.criteria import CRITERIA, DOMAINS

RECIPE = "synthetic"
DOMAIN_PERCENT = {
    "Technology": 18,
    "Entertainment": 14,
    "Other": 13,
    "Education": 10,
    "Retail E-commerce": 8,
    "Culture": 7,
    "Finance": 6,
    "Government": 5,
    "Medicine": 5,
    "Law": 3,
    "Transportation": 3,
    "Telecommunication": 2,
    "Coding": 2,
    "Agriculture": 3,
    "Mathematics": 1,
}
assert sum(DOMAIN_PERCENT.values()) == 100 and set(DOMAIN_PERCENT) == set(DOMAINS)


def _u(i: str, salt: str, seed: int) -> str:
    """Uniform in [0, 1) from md5 of (seed, salt, row)."""
    return f"((md5_number_lower('{seed}:{salt}:' || {i}) >> 11)::DOUBLE / 9007199254740992.0)"


def _domain_case(u: str) -> str:
    cases, edge = [], 0
    for domain, percent in DOMAIN_PERCENT.items():
        edge += percent
        cases.append(f"WHEN {u} < {edge / 100!r} THEN '{domain}'")
    return "CASE " + " ".join(cases[:-1]) + f" ELSE '{list(DOMAIN_PERCENT)[-1]}' END"


def build_synthetic_lake(lake: Lake, documents: int, seed: int = 0) -> None:
    """Replace the lake's documents, quality_ratings, dedup_clusters, document_boilerplate and contamination
    (empty; every partition scanned against the registered evaluation sets) and the `synthetic` recipe views."""
    size = (
        f"CASE WHEN {_u('i', 'size', seed)} < 0.80 THEN 1 WHEN {_u('i', 'size', seed)} < 0.90 THEN 2 "
        f"WHEN {_u('i', 'size', seed)} < 0.95 THEN 3 + floor({_u('i', 'size2', seed)} * 3) "
        f"WHEN {_u('i', 'size', seed)} < 0.99 THEN 6 + floor({_u('i', 'size2', seed)} * 15) "
        f"ELSE 21 + floor({_u('i', 'size2', seed)} * 180) END"
    )
    overall = (
        f"CASE WHEN {_u('i', 'overall', seed)} < 0.05 THEN 1 WHEN {_u('i', 'overall', seed)} < 0.20 THEN 2 "
        f"WHEN {_u('i', 'overall', seed)} < 0.55 THEN 3 WHEN {_u('i', 'overall', seed)} < 0.90 THEN 4 ELSE 5 END"
    )
    criteria = ", ".join(
        f"least(5, greatest(1, overall + floor({_u('i', c, seed)} * 3)::INTEGER - 1))::TINYINT AS {c}"
        for c in CRITERIA
        if c != "overall_score"
    )
    with lake.transaction(message=f"synthetic rated lake of {documents} documents") as con:
        con.execute(
            f"""
CREATE OR REPLACE TEMP TABLE base AS
SELECT i, 'syn' || lpad(i::VARCHAR, 9, '0') AS doc_id,
       (300 + floor(pow({_u("i", "chars", seed)}, 2) * 12000))::INTEGER AS char_count,
       CASE WHEN {_u("i", "lang", seed)} < 0.90 THEN 'en' WHEN {_u("i", "lang", seed)} < 0.95 THEN 'de' ELSE 'fr' END
           AS language,
       {_domain_case(_u("i", "domain", seed))} AS domain,
       {overall}::TINYINT AS overall,
       ({size})::BIGINT AS cluster_size,
       {_u("i", "keep", seed)} AS keep_draw
FROM range({int(documents)}) AS t(i)"""
        )
        con.execute(
            """
CREATE OR REPLACE TABLE documents AS
SELECT doc_id, doc_id AS page_id, 'crawl-' || (i % 4) || '.warc.gz' AS crawl_file,
       'https://example.org/' || doc_id AS url, 'example.org' AS host,
       TIMESTAMPTZ '2024-03-01 00:00:00+00' AS fetch_date, 'synthetic document ' || doc_id AS text, language,
       0.9::FLOAT AS language_score, char_count, (char_count // 6)::INTEGER AS word_count,
       (char_count // 80)::INTEGER AS line_count, 'synthetic' AS extractor
FROM base"""
        )
        con.execute(
            f"""
CREATE OR REPLACE TABLE quality_ratings AS
SELECT doc_id, {criteria}, overall AS overall_score,
       (overall + {_u("i", "expected", seed)} - 0.5)::FLOAT AS overall_score_expected, domain,
       (0.5 + {_u("i", "dp", seed)} / 2)::FLOAT AS domain_probability,
       {_u("i", "fasttext", seed)}::FLOAT AS fasttext_quality, 'synthetic' AS rater_version,
       'synthetic' AS classifier_version
FROM (SELECT *, overall FROM base)"""
        )
        con.execute(
            """
CREATE OR REPLACE TABLE dedup_clusters AS
SELECT doc_id, doc_id AS cluster_id, cluster_size, TRUE AS is_representative,
       CASE WHEN cluster_size = 1 THEN 'unique' ELSE 'exact' END AS match_kind
FROM base"""
        )
        # kept more often for clusters of 2-20 than for singletons or very large clusters
        con.execute(
            """
CREATE OR REPLACE TABLE synthetic_verdicts AS
SELECT doc_id, keep_draw < CASE WHEN cluster_size = 1 THEN 0.6 WHEN cluster_size <= 5 THEN 0.8
                                WHEN cluster_size <= 20 THEN 0.9 ELSE 0.5 END AS kept
FROM base"""
        )
        con.execute("CREATE SCHEMA IF NOT EXISTS filtered_documents")
        con.execute("CREATE SCHEMA IF NOT EXISTS deduplicated_documents")
        con.execute(
            f"CREATE OR REPLACE VIEW filtered_documents.{RECIPE}__verdicts AS "
            "SELECT doc_id, kept FROM main.synthetic_verdicts"
        )
        con.execute(
            f"CREATE OR REPLACE VIEW filtered_documents.{RECIPE} AS SELECT d.* FROM main.documents AS d "
            "JOIN main.synthetic_verdicts AS v USING (doc_id) WHERE v.kept"
        )
        con.execute(
            f"CREATE OR REPLACE VIEW deduplicated_documents.{RECIPE} AS SELECT f.*, c.cluster_id, c.cluster_size "
            f"FROM filtered_documents.{RECIPE} AS f JOIN main.dedup_clusters AS c USING (doc_id)"
        )
        con.execute("DROP TABLE IF EXISTS document_boilerplate")  # no boilerplate lines in synthetic texts
        con.execute("DROP TABLE IF EXISTS contamination")  # no benchmark text in synthetic texts
        con.execute("DROP TABLE IF EXISTS contamination_scans")
    empty = (tables.DOCUMENT_BOILERPLATE, tables.CONTAMINATION, tables.CONTAMINATION_SCANS)
    lake.create_missing_tables({t.name: t.schema for t in empty})
    with lake.transaction(message="synthetic partitions scanned against every evaluation set") as con:
        for name, benchmark in load_registry().items():
            con.execute(
                "INSERT INTO contamination_scans SELECT crawl_file, ?, ?, ?, count(*), 0, now() FROM documents "
                "GROUP BY crawl_file",
                [name, benchmark.version, benchmark.n_grams],
            )
