"""FineWeb-2's per-language filters: each document judged by its own language's key, words, stop words and
thresholds (curation/filters/fineweb2_*.py, language_settings.py)."""

import pytest

from curation.filters import Document
from curation.filters.base import Rule
from curation.filters.fineweb2_gopher_quality import Fineweb2GopherQualityFilter
from curation.filters.fineweb2_language import Fineweb2LanguageFilter
from curation.filters.fineweb2_repetition import Fineweb2RepetitionFilter
from curation.filters.language_settings import key_of, stop_words, thresholds, word_tokenizer

GERMAN = (
    "Der Hund und die Katze wohnen in dem Haus von meiner Großmutter. Sie wurde im Jahr 1950 geboren, und sie "
    "lebt noch immer mit den Tieren des Dorfes. " * 4
)


@pytest.mark.parametrize(
    ("language", "text", "key"),
    [
        ("de", GERMAN, "deu_Latn"),
        ("zh", "我们在北京大学学习。", "cmn_Hani"),
        ("no", "Dette er en tekst.", "nob_Latn"),
        ("en", "The cat.", "eng_Latn"),
        ("sr", "Ово је текст на српском језику.", "srp_Cyrl"),
        ("sr", "Ovo je tekst na srpskom jeziku.", "srp_Latn"),  # the text's letters choose the script
        ("xx", "Unknown.", "default"),
        (None, "", "default"),
    ],
)
def test_lid176_labels_map_to_fineweb2_keys(language, text, key):
    assert key_of(language, text) == key


def test_settings_are_fineweb2s_config_values():
    german = thresholds("deu_Latn")  # configs/deu_Latn.yml
    assert german["dup_line_frac"] == 0.263 and german["language_score"] == 0.821 and german["top_2_gram"] == 0.169
    assert stop_words("deu_Latn")[:3] == ("der", "und", "die")
    assert stop_words("eng_Latn") == ("the", "be", "to", "of", "and", "that", "have", "with")  # Gopher's
    assert stop_words("default") == () and thresholds("default") == thresholds("eng_Latn")


def test_chinese_is_segmented_by_jieba_and_other_languages_share_the_english_split():
    zh = Document("我们在北京大学学习自然语言处理。", language="zh")
    assert word_tokenizer(zh.language_key) == "SpaCyTokenizer:zh"
    assert zh.language_words[:4] == ["我们", "在", "北京大学", "学习"]
    es = Document("La casa de mi abuela, en el pueblo, tiene un jardín grande.", language="es")
    assert es.language_words is es.words  # measured once, shared with FineWeb's filters
    # spaCy's German tokenizer keeps hyphenated words and ordinals whole; its English one splits them
    de = Document("Am 3. Mai fährt die rot-grüne Koalition.", language="de")
    assert "rot-grüne" in de.language_words and "3." in de.language_words
    assert "rot-grüne" not in de.words and "3." not in de.words
    fr = Document("L'homme regarde l’affiche du grand-père.", language="fr")
    assert fr.language_words[:4] == ["L'", "homme", "regarde", "l’"] and "grand-père" in fr.language_words


def test_japanese_is_segmented_by_sudachi_in_datatroves_chunks():
    """spaCy's Japanese tokenizer as datatrove runs it: SudachiPy split mode A, blanks dropped, the text cut into
    chunks of at most 40,000 UTF-8 bytes (identical word lists on the sample's 11 Japanese documents and a 139 KB
    text, checked against datatrove 0.10.1 in the scratch venv)."""
    from curation.filters.segmentation import SUDACHI_CHUNK_BYTES, chunk_text_on_bytes, japanese_words

    ja = Document("東京都に行きました。 今日は  晴れです。", language="ja")
    assert word_tokenizer(ja.language_key) == "SpaCyTokenizer:ja"
    assert ja.language_words == ["東京", "都", "に", "行き", "まし", "た", "。", "今日", "は", "晴れ", "です", "。"]
    long = "日本語の文章です。" * 3000  # 81,000 bytes
    chunks = chunk_text_on_bytes(long, SUDACHI_CHUNK_BYTES)
    assert "".join(chunks) == long and all(len(c.encode()) <= SUDACHI_CHUNK_BYTES for c in chunks)
    assert len(chunks) == 3 and japanese_words(long)[:5] == ["日本", "語", "の", "文章", "です"]


def test_german_is_judged_by_german_stop_words_and_german_thresholds():
    doc = Document(GERMAN, language="de", language_score=0.9)
    step = Fineweb2GopherQualityFilter()
    measured = step.measure(doc)
    assert measured["stop_words"] >= 10  # der, und, die, in, von, im, den, des, mit, dem, wurde ...
    assert step.reason(doc, measured) is None
    # the same text called English: Gopher's English stop words are absent, the rule fires
    english = Document(GERMAN, language="en", language_score=0.9)
    assert step.reason(english, step.measure(english)) == "gopher_enough_stop_words"
    # the language score threshold is German's (0.821), not FineWeb's 0.65
    assert Fineweb2LanguageFilter().reason(Document(GERMAN, language="de", language_score=0.8), {}) == "language_score"
    assert Fineweb2LanguageFilter().reason(Document(GERMAN, language="en", language_score=0.8), {}) is None


def test_repeated_lines_are_judged_against_the_languages_threshold_and_an_override():
    text = "\n".join(["Eine Zeile, die sich wiederholt und wiederholt."] * 3 + [GERMAN])
    doc = Document(text, language="de", language_score=0.95)
    step = Fineweb2RepetitionFilter()
    measured = step.measure(doc)
    assert measured["dup_line_frac"] > 0.263  # 2 of 4 lines are repeats: above German's 0.263
    assert step.reason(doc, measured) == "dup_line_frac"
    looser = Fineweb2RepetitionFilter(languages=(("deu_Latn", (("dup_line_frac", 0.6),)),))
    assert looser.reason(doc, measured) != "dup_line_frac"


def test_a_setting_of_zero_turns_its_rule_off_as_in_datatrove():
    rule = Rule("line_punct_ratio", "line_punct_ratio", "<", None, "line_punct_thr")
    assert rule.fires({"line_punct_ratio": 0.0}, {"line_punct_thr": 0.1})
    assert not rule.fires({"line_punct_ratio": 0.0}, {"line_punct_thr": 0.0})  # German: line_punct_thr 0.0
    assert not rule.fires({"line_punct_ratio": None}, {"line_punct_thr": 0.1})
