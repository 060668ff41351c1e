"""Gopher repetition and quality rules: one test per rejection reason, built from a real English document
(the first of the bundled Common Crawl extract) reshaped just enough to trip that one rule."""

import re

import pytest
from support.samples import documents

from curation.filters import Document
from curation.filters.gopher_quality import GopherQualityFilter
from curation.filters.gopher_repetition import GopherRepetitionFilter
from curation.filters.words import split_words

REPETITION, QUALITY = GopherRepetitionFilter(), GopherQualityFilter()


@pytest.fixture(scope="module")
def real_text() -> str:
    return documents()[0]  # 'A New Home?' (English, 654 words): passes every rule as it is


@pytest.fixture(scope="module")
def sentences(real_text) -> list[str]:
    found = [" ".join(s.split()) for s in re.split(r"(?<=[.!?])\s+", real_text) if len(s.split()) >= 6]
    return list(dict.fromkeys(found))  # 27 distinct one-line sentences, in order


def repetition_reason(text: str) -> str | None:
    return REPETITION.judge(Document(text))


def quality_reason(text: str, language: str = "en") -> str | None:
    return QUALITY.judge(Document(text, language))


def test_the_real_document_passes_both(real_text):
    assert repetition_reason(real_text) is None
    assert quality_reason(real_text) is None


def test_repeated_paragraphs(sentences):
    assert repetition_reason("\n\n".join(sentences[:10] + sentences[:5])) == "dup_para_frac"


def test_one_long_paragraph_twice(sentences):
    long = " ".join(sentences[:8])
    paragraphs = [long, *sentences[8:], long]
    assert repetition_reason("\n\n".join(paragraphs)) == "dup_para_char_frac"


def test_repeated_lines(sentences):
    assert repetition_reason("\n".join(sentences[:10] + sentences[:5])) == "dup_line_frac"


def test_one_long_line_twice(sentences):
    long = " ".join(sentences[:8])
    assert repetition_reason("\n".join([long, *sentences[8:], long])) == "dup_line_char_frac"


def test_a_dominant_word_pair(sentences):
    lines = [f"data lake data lake data lake data lake {s}" for s in sentences[:20]]
    assert repetition_reason("\n".join(lines)) == "top_2_gram"


def test_repeated_five_word_runs(sentences):
    # each line repeats one five-word run of itself: no repeated line, no dominant pair, many repeated 5-grams
    lines = [f"{s} {' '.join(s.split()[:5])} {' '.join(s.split()[:5])}" for s in sentences[:30]]
    reason = repetition_reason("\n".join(lines))
    assert reason is not None and reason.startswith("duplicated_")


def test_empty_text():
    assert repetition_reason("") == "empty"


def test_too_short(sentences):
    short = next(s for s in sentences if len(s.split()) < 40)
    assert quality_reason(short) == "gopher_short_doc"


def test_too_long(real_text):
    assert quality_reason("\n".join([real_text] * 160)) == "gopher_long_doc"  # > 100,000 words


def test_words_too_short_on_average():
    assert quality_reason(" ".join(["a to be is it of an"] * 12)) == "gopher_below_avg_threshold"


def test_words_too_long_on_average():
    text = " ".join(["internationalization telecommunications institutionalization the and"] * 12)
    assert quality_reason(text) == "gopher_above_avg_threshold"


def test_too_many_hashes(real_text):
    words = real_text.split()
    tagged = " ".join(f"#{w}" if i % 5 == 0 else w for i, w in enumerate(words))
    assert quality_reason(tagged) == "gopher_too_many_hashes"


def test_too_many_ellipses(real_text):
    words = real_text.split()
    trailing = " ".join(f"{w}..." if i % 5 == 0 else w for i, w in enumerate(words))
    assert quality_reason(trailing) == "gopher_too_many_ellipsis"


def test_mostly_bullet_lines(sentences):
    assert quality_reason("\n".join(f"- {s}" for s in sentences[:30])) == "gopher_too_many_bullets"


def test_lines_ending_in_ellipsis(sentences):
    lines = [f"{s.rstrip('.!?')} …" if i % 2 else s for i, s in enumerate(sentences[:30])]
    assert quality_reason("\n".join(lines)) == "gopher_too_many_end_ellipsis"


def test_mostly_non_alphabetic_words(real_text):
    numbers = " ".join(str(1000 + i) for i in range(400))
    assert quality_reason(f"{real_text}\n{numbers} {numbers}") == "gopher_below_alpha_threshold"


def test_no_english_stop_words():
    text = " ".join(["Quarterly revenue figures showed steady growth across several regional markets"] * 8)
    assert quality_reason(text) == "gopher_enough_stop_words"


def test_german_is_judged_by_german_stop_words():
    german = next(t for t in documents() if " und " in t and " der " in t and len(t.split()) > 200)
    assert quality_reason(german, "de") is None
    assert quality_reason(german, "en") == "gopher_enough_stop_words"  # English stop words would drop it
    assert quality_reason(german, "sv") is None  # no list for the language: the rule does not apply


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("It doesn't matter, does it?", ["It", "does", "n't", "matter", ",", "does", "it", "?"]),
        (
            "A well-known 1,000-page book (e.g. this one).",
            ["A", "well", "-", "known", "1,000-page", "book", "(", "e.g.", "this", "one", ")", "."],
        ),
        ("See /tmp and python:3.7 ...", ["See", "/tmp", "and", "python:3.7", "..."]),
        # spaCy peels '=' off a word's front one by one, never off its end
        ("==== APOIA ==== a=b x=", ["=", "=", "=", "=", "APOIA", "=", "=", "=", "=", "a=b", "x="]),
    ],
)
def test_words_are_split_like_spacys_english_tokenizer(text, tokens):
    assert split_words(text) == tokens


def test_the_fast_duplicated_ngram_walk_matches_datatroves_loop():
    """The walk over repeated positions only must count exactly what datatrove's find_all_duplicate counts,
    including joined-key collisions ("ab c" and "a bc") and overlapping repeats."""
    import random

    from curation.filters.gopher_repetition import _duplicated_ngram_chars

    def datatrove_loop(words, n):
        seen, repeated, i = set(), 0, 0
        while i < len(words) - n + 1:
            ngram = "".join(words[i : i + n])
            if ngram in seen:
                repeated += len(ngram)
                i += n
            else:
                seen.add(ngram)
                i += 1
        return repeated

    rng = random.Random(7)
    vocabulary = ["a", "b", "ab", "c", "bc", "the", "cat"]
    for _ in range(400):
        words = rng.choices(vocabulary, k=rng.randint(0, 60))
        for n in range(1, 11):
            assert _duplicated_ngram_chars(words, n) == datatrove_loop(words, n), (words, n)


def test_vectorized_ngram_counts_equal_the_python_reference_and_survive_hash_collisions(monkeypatch):
    """NgramText (numpy, hashed keys) must give exactly what the Python reference counts: top n-grams with
    Counter's first-seen tie-break, duplicated n-grams with joined-key collisions; and when two different strings
    share a hash (forced here: every key equal) the strings still decide."""
    import random

    import numpy as np

    from curation.filters import ngrams
    from curation.filters.gopher_repetition import _duplicated_ngram_chars, _top_ngram_chars
    from curation.filters.ngrams import NgramText

    rng = random.Random(11)
    vocabulary = ["a", "b", "ab", "c", "bc", "the", "cat", "Über", "😀", "x y"]
    cases = [rng.choices(vocabulary, k=rng.randint(0, 80)) for _ in range(300)]
    cases.append(("the cat sat on the mat " * 40).split())

    def check():
        for words in cases:
            text = NgramText(words)
            for n in range(1, 11):
                assert text.top_chars(n, _top_ngram_chars) == _top_ngram_chars(words, n), (words, n)
                assert text.duplicated_chars(n) == _duplicated_ngram_chars(words, n), (words, n)

    check()
    monkeypatch.setattr(ngrams._PrefixHash, "keys", lambda self, begin, end: np.zeros(len(begin), dtype=np.uint64))
    check()


def test_word_classes_in_numpy_equal_the_per_word_python_rule():
    """Gopher quality's word counts (symbol words, average length, words with a letter) from WordArray's character
    tables equal the per-word Python rule, for ASCII, accents, CJK, punctuation beyond the BMP (𑁇), letters beyond
    it (𝐀), emoji and a lone surrogate."""
    import random

    from curation.filters.gopher_quality import _word_measures, _word_measures_python
    from curation.filters.word_array import WordArray

    pieces = ["a", "Über", "…", "--", "1,000", "#", "中文", "𑁇", "𝐀", "😀", "\ud800", "x1", "’", "ǅ", "²"]
    rng = random.Random(5)
    for _ in range(300):
        words = ["".join(rng.choices(pieces, k=rng.randint(1, 3))) for _ in range(rng.randint(0, 40))]
        assert _word_measures(WordArray(words)) == _word_measures_python(words), words
