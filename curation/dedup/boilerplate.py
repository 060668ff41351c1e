"""Repeated boilerplate lines, found in SQL over every partition's `document_lines`, and the SQL that leaves them out
of a text.

C4 (Raffel et al. 2020, section 2.2) drops every three-sentence span seen more than once in the corpus; Dolma
(Soldaini et al. 2024) drops repeated paragraphs. Both remove repeated content too, such as quotations. Here a line
is boilerplate when it recurs in at least `host_min_documents` documents of one host (navigation, cookie banners,
footers: a site's template) or in at least `corpus_min_documents` documents of the whole corpus (the banners and
widgets many sites share). Documents are counted by duplicate cluster, so near-duplicate copies of one page do not
make its lines look like a template. Thresholds are ours, measured on the bundled sample (README: Boilerplate lines).
The lake keeps every text as it was; manifests and shards leave the lines out.
"""

from dataclasses import dataclass

from curation.lake import tables

LINES, CLUSTERS, DOCUMENTS = tables.DOCUMENT_LINES, tables.DEDUP_CLUSTERS, tables.DOCUMENTS
BOILERPLATE, PER_DOCUMENT = tables.BOILERPLATE_LINES, tables.DOCUMENT_BOILERPLATE
EXAMPLE_CHARS = 200
ALL_HOSTS = "*"


@dataclass(frozen=True)
class BoilerplateRule:
    host_min_documents: int = 3
    corpus_min_documents: int = 10

    def __post_init__(self):
        if self.host_min_documents < 2 or self.corpus_min_documents < 2:
            raise ValueError("a line is boilerplate only if at least 2 documents share it: thresholds must be >= 2")


def boilerplate_statements(rule: BoilerplateRule) -> list[str]:
    """Statements, run in one transaction, that rewrite `boilerplate_lines` and `document_boilerplate` whole."""
    host, corpus = int(rule.host_min_documents), int(rule.corpus_min_documents)
    return [
        f"""
CREATE OR REPLACE TEMP TABLE line_occurrences AS
SELECT * FROM (
    SELECT l.doc_id, l.crawl_file, l.host, coalesce(c.cluster_id, l.doc_id) AS cluster,
           list_sum(l.line_chars) + len(l.line_chars) - 1 AS text_chars,
           unnest(l.line_hashes) AS line_hash, unnest(l.line_chars) AS chars, unnest(l.line_words) AS words,
           generate_subscripts(l.line_hashes, 1) AS line_number
    FROM {LINES.relation} AS l LEFT JOIN {CLUSTERS.relation} AS c USING (doc_id)
)
WHERE line_hash IS NOT NULL""",
        f"""
CREATE OR REPLACE TEMP TABLE found_lines AS
SELECT 'host' AS scope, host, line_hash, count(DISTINCT cluster) AS documents, {host} AS min_documents,
       min(doc_id) AS example_doc_id
FROM line_occurrences
WHERE host IS NOT NULL
GROUP BY host, line_hash
HAVING count(DISTINCT cluster) >= {host}
UNION ALL
SELECT 'corpus', '{ALL_HOSTS}', line_hash, count(DISTINCT cluster), {corpus}, min(doc_id)
FROM line_occurrences
GROUP BY line_hash
HAVING count(DISTINCT cluster) >= {corpus}""",
        f"DELETE FROM {BOILERPLATE.relation}",
        f"""
INSERT INTO {BOILERPLATE.relation} ({", ".join(BOILERPLATE.schema.names)})
SELECT f.scope, f.host, f.line_hash, f.documents, f.min_documents, f.example_doc_id,
       left(trim(string_split(d.text, chr(10))[list_position(l.line_hashes, f.line_hash)]), {EXAMPLE_CHARS})
FROM found_lines AS f
JOIN {LINES.relation} AS l ON l.doc_id = f.example_doc_id
JOIN {DOCUMENTS.relation} AS d ON d.doc_id = f.example_doc_id""",
        f"DELETE FROM {PER_DOCUMENT.relation}",
        f"""
INSERT INTO {PER_DOCUMENT.relation} ({", ".join(PER_DOCUMENT.schema.names)})
WITH marked AS (
    SELECT o.*,
           EXISTS (SELECT 1 FROM found_lines AS f
                   WHERE f.scope = 'host' AND f.host = o.host AND f.line_hash = o.line_hash) AS in_host,
           EXISTS (SELECT 1 FROM found_lines AS f
                   WHERE f.scope = 'corpus' AND f.line_hash = o.line_hash) AS in_corpus
    FROM line_occurrences AS o
)
SELECT doc_id, any_value(crawl_file), any_value(host), count(*)::INTEGER,
       count(*) FILTER (WHERE in_host OR in_corpus)::INTEGER,
       count(*) FILTER (WHERE in_host)::INTEGER, count(*) FILTER (WHERE in_corpus)::INTEGER,
       least(sum(chars + 1) FILTER (WHERE in_host OR in_corpus), any_value(text_chars))::INTEGER,
       (sum(words) FILTER (WHERE in_host OR in_corpus))::INTEGER,
       list(line_number::INTEGER ORDER BY line_number) FILTER (WHERE in_host OR in_corpus)
FROM marked
GROUP BY doc_id
HAVING count(*) FILTER (WHERE in_host OR in_corpus) > 0""",
    ]


def clean_text_sql(text: str, line_numbers: str) -> str:
    """SQL for the text without the lines at the 1-based positions in the list `line_numbers` (NULL: as it is);
    the same as `curation.dedup.lines.without_lines`."""
    return (
        f"CASE WHEN {line_numbers} IS NULL THEN {text} ELSE array_to_string(list_filter(string_split({text}, chr(10)), "
        f"lambda line, number: NOT list_contains({line_numbers}, number)), chr(10)) END"
    )
