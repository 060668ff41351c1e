"""documents batch -> quality_signals batch: every FineWeb filter's measurements and its verdict per document.

Keep signals, not deletions: the measurements are stored, so a recipe can move a threshold and decide again in
SQL without measuring. Verdicts here use the published defaults (FineWeb's order: URL, language (English, score
above 0.65), Gopher repetition, Gopher quality, C4, FineWeb quality); `fineweb_reason` is the first rejection,
NULL when the document is kept. Every filter measures every language; the Gopher stop-word rule counts the
document's own language's stop words (NULL, rule not applied, where there is no list).
"""

import pyarrow as pa

from assets.transforms.filters.c4_fineweb import C4Quality, FineWebQuality
from assets.transforms.filters.gopher import MEASURED_DUP_N, MEASURED_TOP_N, GopherQuality, GopherRepetition
from assets.transforms.filters.language import LanguageFilter
from assets.transforms.filters.url import URLFilter
from assets.transforms.filters.words import split_words

DOCUMENT_COLUMNS = ("doc_id", "crawl_file", "url", "host", "text", "language", "language_score")
URL, LANGUAGE = URLFilter(), LanguageFilter()
REPETITION, QUALITY, C4, FINEWEB = GopherRepetition(), GopherQuality(), C4Quality(), FineWebQuality()
FILTERS = (URL.name, LANGUAGE.name, REPETITION.name, QUALITY.name, C4.name, FINEWEB.name)

_MEASURES = {
    REPETITION.name: [
        "dup_para_frac",
        "dup_para_char_frac",
        "dup_line_frac",
        "dup_line_char_frac",
        *[f"top_{n}_gram_char_frac" for n in MEASURED_TOP_N],
        *[f"dup_{n}_gram_char_frac" for n in MEASURED_DUP_N],
    ],
    QUALITY.name: [
        "words",
        "avg_word_length",
        "hash_word_ratio",
        "ellipsis_word_ratio",
        "bullet_lines_ratio",
        "end_ellipsis_lines_ratio",
        "alpha_words_ratio",
        "stop_words",
    ],
    C4.name: ["lorem_ipsum", "curly_bracket", "sentences", "lines_dropped"],
    FINEWEB.name: ["line_punct_ratio", "short_line_ratio", "char_dup_ratio", "newline_word_ratio"],
}

SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("crawl_file", pa.string()),
        ("language", pa.string()),
        ("language_score", pa.float32()),
        *[(f"{name}__{m}", pa.float64()) for name, measures in _MEASURES.items() for m in measures],
        *[(f"{name}_reason", pa.string()) for name in FILTERS],
        ("fineweb_reason", pa.string()),  # first rejection in FineWeb's order; NULL: kept
    ]
)


def signals_of(
    text: str, language: str, language_score: float, url: str | None = None, host: str | None = None
) -> dict:
    words = split_words(text)
    c4_text, c4_words, c4_measures = C4.apply_with_words(text)
    measured = {
        REPETITION.name: REPETITION.measure(text, words),
        QUALITY.name: QUALITY.measure(text, words, language),
        C4.name: c4_measures,
        FINEWEB.name: FINEWEB.measure(c4_text, c4_words),
    }
    reasons = {
        URL.name: URL.reason(url, host),
        LANGUAGE.name: LANGUAGE.reason(language, language_score),
        REPETITION.name: REPETITION.reason(measured[REPETITION.name]),
        QUALITY.name: QUALITY.reason(measured[QUALITY.name]),
        C4.name: C4.reason(c4_measures),
        FINEWEB.name: FINEWEB.reason(measured[FINEWEB.name]),
    }
    row = {f"{name}__{m}": measured[name].get(m) for name, measures in _MEASURES.items() for m in measures}
    row.update({f"{name}_reason": reason for name, reason in reasons.items()})
    row["fineweb_reason"] = next((f"{name}:{reasons[name]}" for name in FILTERS if reasons[name]), None)
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
