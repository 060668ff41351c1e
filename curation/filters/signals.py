"""documents batch -> quality_signals batch: every registered filter's measurements and verdict per document.

Keep signals, not deletions: the measurements are stored, so a recipe can move a threshold and decide again in
SQL without measuring. Verdicts here use the published defaults (FineWeb's order: URL, language (English, score
above 0.65), Gopher repetition, Gopher quality, C4, FineWeb quality); `fineweb_reason` is the first rejection,
NULL when the document is kept. FineWeb-2's filters measure with the document's language (`language_key`, its
FineWeb-2 key: its words, its stop words) and decide with its language's settings. Every filter measures every
language; the Gopher stop-word rule counts the document's own language's stop words (NULL, rule not applied,
where there is no list).
"""

import pyarrow as pa

from curation.filters import FILTERS, FINEWEB
from curation.filters.base import Document
from curation.lake.tables import QUALITY_SIGNALS

DOCUMENT_COLUMNS = ("doc_id", "crawl_file", "url", "host", "text", "language", "language_score")
DEFAULTS = tuple(cls() for cls in FILTERS)  # the published thresholds
SCHEMA = QUALITY_SIGNALS.schema


def signals_of(
    text: str, language: str, language_score: float, url: str | None = None, host: str | None = None
) -> dict:
    doc = Document(text, language, language_score, url, host)
    row, first = {}, None
    for step in DEFAULTS:
        measured = step.measure(doc)
        for measure in step.measures:
            row[f"{step.name}__{measure}"] = measured.get(measure)
        reason = step.reason(doc, measured)
        row[f"{step.name}_reason"] = reason
        if reason and first is None and type(step) in FINEWEB:
            first = f"{step.name}:{reason}"
    row["fineweb_reason"] = first
    row["language_key"] = doc.language_key
    return row


def signals_from_documents(documents: pa.RecordBatch | pa.Table) -> pa.Table:
    rows = [
        {
            "doc_id": doc["doc_id"],
            "crawl_file": doc["crawl_file"],
            "language": doc["language"],
            "language_score": doc["language_score"],
            **signals_of(doc["text"], doc["language"], doc["language_score"], doc["url"], doc["host"]),
        }
        for doc in documents.select(list(DOCUMENT_COLUMNS)).to_pylist()
    ]
    return pa.Table.from_pylist(rows, schema=SCHEMA)
