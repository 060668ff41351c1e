"""raw_pages -> documents: extraction in both modes, language ID, pass-through of extracted crawls."""

import pyarrow as pa
import pytest
from support.samples import sample

from curation.documents.extract import ExtractionMode, drop_boilerplate_lines
from curation.documents.langid import identify
from curation.documents.pages import PASS_THROUGH, documents_from_pages
from curation.ingest.reader import read_crawl_file
from curation.lake import tables


def pages_of(name: str) -> pa.Table:
    _, batches = read_crawl_file(sample(name))
    return pa.Table.from_batches(list(batches), schema=tables.RAW_PAGES.schema)


@pytest.fixture(scope="module")
def sample_pages() -> pa.Table:
    return pages_of("sample-pages-60.warc.gz").slice(0, 12)


@pytest.mark.parametrize("mode", list(ExtractionMode))
def test_pages_become_documents_with_language_and_counts(sample_pages, mode):
    docs = documents_from_pages(sample_pages, mode).to_pylist()
    assert 10 <= len(docs) <= 12
    assert {d["language"] for d in docs} <= {"de", "en", "es", "fr", "pl", "pt", "it", "zh", "ja", "ar"}
    german = [d for d in docs if d["language"] == "de"]
    assert german and all(d["language_score"] > 0.65 for d in german)
    assert all(d["word_count"] == len(d["text"].split()) and d["char_count"] == len(d["text"]) for d in docs)
    assert all(d["doc_id"] == d["page_id"] and d["extractor"].startswith(("trafilatura", "resiliparse")) for d in docs)
    assert not any("<div" in d["text"] or "<script" in d["text"] for d in docs)


def test_extracted_text_crawls_pass_through_unchanged():
    pages = pages_of("cc-main-2019-30-extracted-697.jsonl.gz").slice(0, 50)
    docs = documents_from_pages(pages).to_pylist()
    assert [d["text"] for d in docs] == [t.strip() for t in pages.column("text").to_pylist()]
    assert {d["extractor"] for d in docs} == {PASS_THROUGH}


def test_pages_without_main_text_are_dropped():
    page = {name: None for name in tables.RAW_PAGES.schema.names}
    html = b"<html><head><style>p{}</style></head><body><script>var x = 1;</script><img src=a.png></body></html>"
    empty = {**page, "page_id": "e" * 32, "html": html}
    table = pa.Table.from_pylist([empty], schema=tables.RAW_PAGES.schema)
    assert documents_from_pages(table).num_rows == 0


def test_language_id_names_languages_and_their_confidence():
    languages, scores = identify(
        ["Die Daten werden jeden Tag neu berechnet.", "The data is recomputed every day.", "  \n "]
    )
    assert languages == ["de", "en", "unknown"]
    assert scores[0] > 0.9 and scores[1] > 0.9 and scores[2] == 0.0


def test_fast_mode_drops_boilerplate_lines_around_the_article():
    text = "\n".join(
        [
            "Startseite",
            "Politik",
            "Der Stadtrat hat am Montag den Haushalt für das kommende Jahr mit großer Mehrheit beschlossen.",
            "Die Opposition kritisierte vor allem die geplanten Kürzungen bei der Jugendarbeit in den Stadtteilen.",
            "Teilen Sie diesen Artikel",
            "Schreibe einen Kommentar",
            "Mehr zum Thema",
        ]
    )
    assert drop_boilerplate_lines(text).splitlines() == text.splitlines()[2:4]


def test_extraction_does_not_depend_on_what_was_extracted_before(sample_pages):
    first = documents_from_pages(sample_pages).column("text").to_pylist()
    again = documents_from_pages(sample_pages).column("text").to_pylist()
    assert first == again
