"""quality_signals: measurements and verdicts of FineWeb's filters per document, stored in the lake."""

import pyarrow as pa
from support.samples import documents

from curation.documents.langid import identify
from curation.filters.signals import signals_from_documents


def docs_table(texts: list[str]) -> pa.Table:
    languages, scores = identify(texts)
    return pa.table(
        {
            "doc_id": [f"d{i}" for i in range(len(texts))],
            "crawl_file": ["f"] * len(texts),
            "url": [f"https://example.org/articles/{i}" for i in range(len(texts))],
            "host": ["example.org"] * len(texts),
            "text": texts,
            "language": languages,
            "language_score": pa.array(scores, pa.float32()),
        }
    )


def test_a_clean_english_document_is_kept_with_its_measurements():
    [row] = signals_from_documents(docs_table([documents()[0]])).to_pylist()
    assert row["language"] == "en" and row["fineweb_reason"] is None
    assert row["gopher_quality__words"] > 500 and row["c4__sentences"] >= 5
    assert 0 <= row["gopher_repetition__dup_line_frac"] <= 0.3


def first_with(predicate) -> str:
    texts = documents()
    languages, scores = identify(texts)
    return next(t for t, lang, score in zip(texts, languages, scores, strict=True) if predicate(t, lang, score))


def test_uncertain_language_is_the_first_rejection():
    uncertain = first_with(lambda text, lang, score: lang == "en" and score < 0.65)
    [row] = signals_from_documents(docs_table([uncertain])).to_pylist()
    assert row["language_reason"] == "language_score"
    assert row["fineweb_reason"] == "language:language_score"


def test_german_is_measured_with_german_stop_words():
    german = first_with(lambda text, lang, score: lang == "de" and len(text.split()) > 200)
    [row] = signals_from_documents(docs_table([german])).to_pylist()
    assert row["language"] == "de"
    assert row["gopher_quality__stop_words"] >= 2
    assert row["gopher_quality_reason"] != "gopher_enough_stop_words"
