"""The output fixes in FineWeb-2's order (ftfy, PII, table lines), for a text and for batches of documents: the
text shards hold (and tokens are counted on), and per document what changed (`document_output_fixes`)."""

from dataclasses import dataclass

import pyarrow as pa

from curation.lake import tables
from curation.output.pii import anonymize
from curation.output.text_fixes import fix_mojibake, fix_table_lines, ftfy_version

DOCUMENT_COLUMNS = ("doc_id", "crawl_file", "text")
SCHEMA = tables.DOCUMENT_OUTPUT_FIXES.schema
STEPS = ("ftfy", "pii", "table_lines")
RULES_VERSION = "1"  # bump when a pattern, placeholder or step changes: stored token counts are then stale


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
    """A batch with a `text` column -> the same batch, its texts fixed."""
    table = pa.table(batch) if isinstance(batch, pa.RecordBatch) else batch
    texts = pa.array([output_text(t) for t in table.column("text").to_pylist()], pa.string())
    return table.set_column(table.schema.get_field_index("text"), "text", texts)


def fix_signals(documents: pa.Table | pa.RecordBatch) -> pa.Table:
    """documents (doc_id, crawl_file, text) -> per document what the output fixes change in its whole text."""
    columns = documents.select(list(DOCUMENT_COLUMNS)).to_pydict()
    fixed = [fix(text or "") for text in columns["text"]]
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
