"""quality_signals: measurements and verdicts of FineWeb's filters per document, stored in the lake."""

import pyarrow as pa
from conftest import land, materialize_partition
from test_gopher_filters import documents
from test_ingestion_assets import rows

from assets.documents.assets import documents as documents_asset
from assets.filtering.assets import QUALITY_SIGNALS, quality_signals
from assets.ingestion.assets import ingest_crawl_file
from assets.transforms.langid import identify
from assets.transforms.signals import FILTERS, signals_from_documents


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


def test_signals_land_per_partition_and_thresholds_can_move_in_sql(instance, resources, landing_dir, lake):
    land(landing_dir, "cc-main-2019-30-extracted-697.jsonl.gz")
    result = materialize_partition(
        [ingest_crawl_file, documents_asset, quality_signals],
        instance,
        resources,
        "cc-main-2019-30-extracted-697.jsonl.gz",
    )
    assert result.success
    assert rows(lake, "SELECT count(*) FROM quality_signals") == rows(lake, "SELECT count(*) FROM documents")
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == QUALITY_SIGNALS]
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    kept = rows(lake, "SELECT count(*) FROM quality_signals WHERE fineweb_reason IS NULL")[0][0]
    assert metadata["kept_by_fineweb_defaults"] == kept and 0 < kept < 670
    dropped = {f: metadata[f"dropped_by_{f}"] for f in FILTERS}
    assert sum(dropped.values()) + kept == 670
    assert dropped["language"] > 0 and dropped["gopher_quality"] > 0
    # a stricter language threshold, decided from the stored score without measuring again
    stricter = rows(lake, "SELECT count(*) FROM quality_signals WHERE fineweb_reason IS NULL AND language_score >= 0.9")
    assert stricter[0][0] < kept
