"""The output fixes in FineWeb-2's order (ftfy, PII, table lines), for a text and for batches of documents: the
text shards hold (and tokens are counted on), and per document what changed (`document_output_fixes`)."""

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from curation.lake import tables
from curation.lake.sql import sql_string
from curation.output.pii import anonymize
from curation.output.text_fixes import fix_mojibake, fix_table_lines, ftfy_version

if TYPE_CHECKING:  # the lake client (DuckDB) only where stored fixes are looked up: workers fixing texts skip it
    import duckdb

DOCUMENT_COLUMNS = ("doc_id", "crawl_file", "text")
SCHEMA = tables.DOCUMENT_OUTPUT_FIXES.schema
STEPS = ("ftfy", "pii", "table_lines")
RULES_VERSION = "1"  # bump when a pattern, placeholder or step changes: stored token counts are then stale
KNOWN = "known_output_text"  # optional column of a batch: the text's fixed form as stored, where it is current


@dataclass(frozen=True)
class Fixed:
    text: str
    mojibake_fixed: bool
    emails: int
    ipv4: int
    ipv6: int
    table_lines: int

    @property
    def changed(self) -> bool:
        return self.mojibake_fixed or bool(self.emails or self.ipv4 or self.ipv6 or self.table_lines)


def fix(text: str) -> Fixed:
    repaired = fix_mojibake(text)
    anonymized, pii = anonymize(repaired)
    tabled, table_lines = fix_table_lines(anonymized)
    return Fixed(tabled, repaired != text, pii.emails, pii.ipv4, pii.ipv6, table_lines)


def output_text(text: str) -> str:
    """The text as it leaves the lake (after any boilerplate lines were left out)."""
    return fix(text).text


def version() -> str:
    """What a stored count on fixed text depends on: the steps, their rules and ftfy's version."""
    return f"{'+'.join(STEPS)}:{RULES_VERSION}:ftfy{ftfy_version()}"


def output_texts(batch: pa.Table | pa.RecordBatch) -> pa.Table:
    """A batch with a `text` column -> the same batch, its texts fixed. Where the batch has a `known_output_text`
    column (`stored_fixes_sql`), its non-NULL values are the fixed texts already: only the others are fixed here
    (the column is dropped)."""
    table = pa.table(batch) if isinstance(batch, pa.RecordBatch) else batch
    texts = table.column("text").to_pylist()
    known = [None] * len(texts)
    if KNOWN in table.column_names:
        known = table.column(KNOWN).to_pylist()
        table = table.drop_columns([KNOWN])
    fixed = [output_text(text) if done is None else done for text, done in zip(texts, known, strict=True)]
    return table.set_column(table.schema.get_field_index("text"), "text", pa.array(fixed, pa.string()))


def stored_fixes_sql(con: "duckdb.DuckDBPyConnection", text: str, doc_id: str = "d.doc_id") -> tuple[str, str]:
    """(column, join) SQL that adds `known_output_text` to a query over documents: the fixed form of `text` (SQL)
    that `document_output_fixes` stored, where it was made by today's fixes from this very text (same md5), else
    NULL. A lake whose table predates these columns gets NULL everywhere (every text is fixed in Python)."""
    from curation.lake.client import table_columns

    if not {"text_md5", "fixes_version", "fixed_text"} <= table_columns(con, tables.DOCUMENT_OUTPUT_FIXES.name):
        return f"NULL::VARCHAR AS {KNOWN}", ""
    column = (
        f"CASE WHEN _fixes.fixes_version = {sql_string(version())} AND _fixes.text_md5 = md5({text}) "
        f"THEN coalesce(_fixes.fixed_text, {text}) END AS {KNOWN}"
    )
    join = f"LEFT JOIN {tables.DOCUMENT_OUTPUT_FIXES.relation} AS _fixes ON _fixes.doc_id = {doc_id}"
    return column, join


def text_md5(text: str) -> str:
    """What `md5(text)` gives in DuckDB: the hex md5 of the UTF-8 text."""
    return hashlib.md5(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def fix_signals(documents: pa.Table | pa.RecordBatch) -> pa.Table:
    """documents (doc_id, crawl_file, text) -> per document what the output fixes change in its whole text."""
    columns = documents.select(list(DOCUMENT_COLUMNS)).to_pydict()
    texts = [text or "" for text in columns["text"]]
    fixed = [fix(text) for text in texts]
    return pa.table(
        {
            "doc_id": columns["doc_id"],
            "crawl_file": columns["crawl_file"],
            "mojibake_fixed": [f.mojibake_fixed for f in fixed],
            "emails": [f.emails for f in fixed],
            "ipv4": [f.ipv4 for f in fixed],
            "ipv6": [f.ipv6 for f in fixed],
            "table_lines": [f.table_lines for f in fixed],
            "chars_before": [len(t or "") for t in columns["text"]],
            "chars_after": [len(f.text) for f in fixed],
            "text_md5": [text_md5(text) for text in texts],
            "fixes_version": [version()] * len(fixed),
            "fixed_text": [f.text if f.text != text else None for f, text in zip(fixed, texts, strict=True)],
        },
        schema=SCHEMA,
    )


def change_example(text: str, width: int = 30) -> tuple[str, str]:
    """Where the fixes first change a text: (before, after), `width` characters either side, both anonymized (an
    example shown in metadata never shows an address)."""
    after = output_text(text)
    start = next((i for i, (a, b) in enumerate(zip(text, after, strict=False)) if a != b), min(len(text), len(after)))
    tail = next((i for i, (a, b) in enumerate(zip(reversed(text), reversed(after), strict=False)) if a != b), 0)
    tail = min(tail, len(text) - start, len(after) - start)
    lo = max(0, start - width)

    def window(value: str) -> str:
        return anonymize(value[lo : max(start, len(value) - tail) + width])[0]

    return window(text), window(after)
