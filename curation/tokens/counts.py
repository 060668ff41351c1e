"""Real token counts per document, kept in the lake (`document_tokens`) and filled only where missing: for the
documents a recipe that counts with a tokenizer can select (its filter recipes' deduplicated documents), counted on
the text its shards will hold (without boilerplate lines unless the recipe keeps them, then the output fixes:
ftfy, PII placeholders, table lines; curation/output).

A count is keyed by document, tokenizer (name and file hash) and boilerplate setting, and carries `text_key`, the md5
of the text's hash, the lines left out and the output fixes' version: a re-extracted text, a changed boilerplate set
or changed fix rules make the stored count stale, and it is counted again; everything else is reused.
"""

import pyarrow as pa

from curation.dedup.boilerplate import clean_text_sql
from curation.lake import tables
from curation.lake.sql import sql_string
from curation.output import fixes
from curation.tokens.tokenizer_files import TokenizerFile, count_tokens

TOKENS, LINES, BOILERPLATE, DOCUMENTS = (
    tables.DOCUMENT_TOKENS,
    tables.DOCUMENT_LINES,
    tables.DOCUMENT_BOILERPLATE,
    tables.DOCUMENTS,
)
COUNTED = pa.schema(
    [("doc_id", pa.string()), ("crawl_file", pa.string()), ("text_key", pa.string()), ("tokens", pa.int64())]
)


def text_key_sql(mode: str, lines: str = "l", boilerplate: str = "b") -> str:
    """The text a count was made on, as SQL over document_lines (`lines`) and document_boilerplate (`boilerplate`)."""
    dropped = f"coalesce(array_to_string({boilerplate}.line_numbers, ','), '')" if mode == "drop" else "''"
    return f"md5(coalesce({lines}.text_hash, 0)::VARCHAR || ':' || {dropped} || ':' || {sql_string(fixes.version())})"


def output_text_sql(mode: str, documents: str = "d", boilerplate: str = "b") -> str:
    """The text that leaves the lake for a recipe with this boilerplate setting, before the output fixes (Python)."""
    text = f"{documents}.text"
    return clean_text_sql(text, f"{boilerplate}.line_numbers") if mode == "drop" else text


def has_text_sql(mode: str, boilerplate: str = "b") -> str:
    """False for a document every line of which is boilerplate (nothing left to train on)."""
    return f"coalesce({boilerplate}.boilerplate_lines < {boilerplate}.lines, TRUE)" if mode == "drop" else "TRUE"


def candidates_sql(filter_recipes: list[str], mode: str) -> str:
    """doc_id, crawl_file and text_key of every document these filter recipes' deduplicated corpora hold."""
    union = " UNION ".join(f"SELECT doc_id FROM {tables.deduplicated_view(name)}" for name in sorted(filter_recipes))
    return f"""
SELECT c.doc_id, l.crawl_file, {text_key_sql(mode)} AS text_key
FROM ({union}) AS c
JOIN {LINES.relation} AS l USING (doc_id)
LEFT JOIN {BOILERPLATE.relation} AS b USING (doc_id)
WHERE {has_text_sql(mode)}"""


def missing_texts_sql(
    filter_recipes: list[str], tokenizer_id: str, mode: str, stored_fixes: tuple[str, str] | None = None
) -> str:
    """The candidates with no current count, with the text to count (and its fixed form where stored:
    `stored_fixes`, the (column, join) of `fixes.stored_fixes_sql` over `output_text_sql(mode)`)."""
    known, join = stored_fixes or (f"NULL::VARCHAR AS {fixes.KNOWN}", "")
    return f"""
WITH candidates AS ({candidates_sql(filter_recipes, mode)})
SELECT c.doc_id, c.crawl_file, c.text_key, {output_text_sql(mode)} AS text, {known}
FROM candidates AS c
JOIN {DOCUMENTS.relation} AS d USING (doc_id)
LEFT JOIN {BOILERPLATE.relation} AS b USING (doc_id)
{join}
WHERE NOT EXISTS (
    SELECT 1 FROM {TOKENS.relation} AS t
    WHERE t.doc_id = c.doc_id AND t.tokenizer = {sql_string(tokenizer_id)} AND t.boilerplate_lines = {sql_string(mode)}
      AND t.text_key = c.text_key
)"""


def token_counts(batch: pa.RecordBatch | pa.Table, tokenizer: TokenizerFile) -> pa.Table:
    """(doc_id, crawl_file, text_key, text[, known_output_text]) -> the same rows with `tokens` of the fixed text
    instead of the text."""
    texts = [c for c in (fixes.KNOWN, "text") if c in batch.schema.names]
    counts = count_tokens(tokenizer, fixes.output_texts(batch.select(texts)).column("text").to_pylist())
    return pa.table(
        {
            "doc_id": batch.column("doc_id"),
            "crawl_file": batch.column("crawl_file"),
            "text_key": batch.column("text_key"),
            "tokens": pa.array(counts, pa.int64()),
        },
        schema=COUNTED,
    )


def gone_sql() -> str:
    """Stored counts of documents the lake no longer has."""
    return f"SELECT count(*) FROM {TOKENS.relation} WHERE doc_id NOT IN (SELECT doc_id FROM {LINES.relation})"


def store_statements(tokenizer_id: str, mode: str) -> list[str]:
    """Replace the counts of the documents in the registered `_counted` table, and drop those of documents gone."""
    where = f"tokenizer = {sql_string(tokenizer_id)} AND boilerplate_lines = {sql_string(mode)}"
    columns = ", ".join(TOKENS.schema.names)
    return [
        f"DELETE FROM {TOKENS.relation} WHERE {where} AND doc_id IN (SELECT doc_id FROM _counted)",
        f"INSERT INTO {TOKENS.relation} ({columns}) SELECT doc_id, crawl_file, {sql_string(tokenizer_id)}, "
        f"{sql_string(mode)}, text_key, tokens FROM _counted",
        f"DELETE FROM {TOKENS.relation} WHERE doc_id NOT IN (SELECT doc_id FROM {LINES.relation})",
    ]
