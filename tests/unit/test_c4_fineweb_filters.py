"""C4 (FineWeb's variant) and FineWeb quality: one test per reason, from a real English document reshaped to trip
that one rule; C4 rewrites the text that FineWeb's rules then judge."""

import pytest
from support.samples import documents

from curation.filters import Document
from curation.filters.c4 import C4QualityFilter, count_sentences
from curation.filters.fineweb_quality import FineWebQualityFilter
from curation.filters.words import split_words

C4, FINEWEB = C4QualityFilter(), FineWebQualityFilter()


@pytest.fixture(scope="module")
def real_text() -> str:
    return documents()[0]


def c4(text: str):
    cleaned, measures = C4.apply(text)
    return cleaned, C4.reason(Document(text), measures)


def fineweb_reason(text: str) -> str | None:
    """FineWeb's verdict on text C4 already cleaned."""
    return FINEWEB.reason(Document(text), FINEWEB.measure_text(text, split_words(text)))


def test_the_real_document_passes_and_c4_drops_its_short_lines(real_text):
    cleaned, reason = c4(real_text.replace("A New Home?", "A New Home?\nShare this", 1))
    assert reason is None
    assert "Share this" not in cleaned  # fewer than 3 words
    assert "A New Home?" in cleaned.splitlines()
    assert fineweb_reason(cleaned) is None


def test_lorem_ipsum_drops_the_document(real_text):
    assert c4(real_text + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit.")[1] == "lorem_ipsum"


def test_a_curly_bracket_drops_the_document(real_text):
    assert c4(real_text + "\nfunction init() { return window.loaded; }")[1] == "curly_bracket"


def test_too_few_sentences_after_line_removal(real_text):
    lines = [line for line in real_text.splitlines() if len(line.split()) >= 3][:2]
    assert c4("\n".join(lines))[1] == "too_few_sentences"


def test_javascript_and_policy_lines_are_removed_not_the_document(real_text):
    extra = "Please enable JavaScript to view the comments.\nRead our privacy policy and terms of use here."
    text = f"{real_text}\n{extra}"
    cleaned, reason = c4(text)
    assert reason is None
    assert "JavaScript" not in cleaned and "privacy policy" not in cleaned


def test_few_lines_end_in_punctuation(real_text):
    lines = [line.rstrip(".!?\"'") + " and more" for line in real_text.splitlines() if line.strip()]
    assert fineweb_reason("\n".join(lines)) == "line_punct_ratio"


def test_mostly_short_lines(real_text):
    words = real_text.split()
    lines = [" ".join(words[i : i + 3]) + "." for i in range(0, len(words), 3)]
    assert fineweb_reason("\n".join(lines)) == "short_line_ratio"


def test_duplicated_lines(real_text):
    lines = [line for line in real_text.splitlines() if line.strip()]
    assert fineweb_reason("\n".join(lines + lines[:3])) == "char_dup_ratio"


def test_list_like_text(real_text):
    words = real_text.split()
    links = [f"https://groups.example.org/{words[i]}/{words[i + 1]}/{i}." for i in range(0, 80, 2)]
    assert fineweb_reason("\n".join(links)) == "list_ratio"  # a link list: one word per line


def test_empty_text():
    assert fineweb_reason("  \n ") == "empty"


@pytest.mark.parametrize(
    ("line", "sentences"),
    [
        ("One. Two! Three?", 3),
        ("A line with e.g. an abbreviation and 3.5 percent.", 1),
        ('He said "stop." Then he left.', 2),
        ("No end punctuation at all", 1),
    ],
)
def test_sentences_are_counted_like_spacys_sentencizer(line, sentences):
    assert count_sentences(line) == sentences
