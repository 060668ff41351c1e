"""Line signals for span-level deduplication (the C4 / Dolma idea): one hash per line of a document's text, so that
lines repeated across many documents of a host (navigation, cookie banners, footers) or of the whole corpus can be
found in SQL and left out of the text a trainer reads, while the lake keeps the original.

A line is what `text.split("\\n")` yields (DuckDB's `string_split(text, chr(10))` yields the same list, so SQL can
drop lines by their 1-based position). Two lines are the same when they are equal after case folding and
whitespace collapsing; blank lines get no hash (NULL) and are never boilerplate. Hashes are xxh3-64, stable
across processes and machines, stored as signed 64-bit integers.
"""

import pyarrow as pa
import xxhash

from curation.lake import tables

DOCUMENT_COLUMNS = ("doc_id", "crawl_file", "host", "text")
SCHEMA = tables.DOCUMENT_LINES.schema


def normalized_line(line: str) -> str:
    """Case-folded, whitespace collapsed and trimmed: the form two lines are compared in."""
    return " ".join(line.casefold().split())


def line_hash(line: str) -> int | None:
    """The line's signed 64-bit xxh3 hash, None for a blank line."""
    normalized = normalized_line(line)
    return xxhash.xxh3_64_intdigest(normalized) - 2**63 if normalized else None


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def line_signals(documents: pa.Table | pa.RecordBatch) -> pa.Table:
    """documents (doc_id, crawl_file, host, text) -> one row per document: the text's hash, and per line its hash,
    characters and words."""
    columns = documents.select(list(DOCUMENT_COLUMNS)).to_pydict()
    hashes, chars, words, text_hashes = [], [], [], []
    for text in columns["text"]:
        text_hashes.append(xxhash.xxh3_64_intdigest(text or "") - 2**63)
        lines = lines_of(text or "")
        hashes.append([line_hash(line) for line in lines])
        chars.append([len(line) for line in lines])
        words.append([len(line.split()) for line in lines])
    return pa.table(
        {
            "doc_id": columns["doc_id"],
            "crawl_file": columns["crawl_file"],
            "host": columns["host"],
            "text_hash": text_hashes,
            "line_hashes": hashes,
            "line_chars": chars,
            "line_words": words,
        },
        schema=SCHEMA,
    )


def without_lines(text: str, line_numbers: list[int] | None) -> str:
    """The text with the lines at these 1-based positions left out (the reference for `clean_text_sql`)."""
    if not line_numbers:
        return text
    drop = set(line_numbers)
    return "\n".join(line for number, line in enumerate(lines_of(text), 1) if number not in drop)
