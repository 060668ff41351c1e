"""Gopher's quality filter (Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from Training
Gopher", Table A1 and section A.1.1), with datatrove 0.10's semantics and defaults, as FineWeb runs it.
Reason strings are datatrove's, so verdicts compare one to one.
"""

from dataclasses import dataclass
from typing import ClassVar

from curation.filters.base import Document, Filter, Rule, threshold
from curation.filters.punctuation import PUNCTUATION_SET
from curation.filters.word_array import WordArray, word_array

# Gopher's English stop words. Other languages get their most frequent function words, so German text is not
# judged by English ones (FineWeb2 derives such lists per language from data; these are a hand-made start).
STOP_WORDS = {
    "en": ("the", "be", "to", "of", "and", "that", "have", "with"),
    "de": ("der", "die", "und", "in", "den", "von", "zu", "das"),
    "es": ("de", "la", "que", "el", "en", "y", "los", "se"),
    "fr": ("de", "la", "le", "et", "les", "des", "en", "un"),
    "it": ("di", "e", "il", "la", "che", "in", "per", "un"),
    "pt": ("de", "a", "o", "que", "e", "do", "da", "em"),
    "nl": ("de", "van", "een", "het", "en", "in", "is", "op"),
    "pl": ("w", "i", "na", "z", "do", "się", "nie", "jest"),
}


def quality_measures(doc: Document, words: list[str], stop_words) -> dict[str, float]:
    """Gopher's quality measurements of the document split into `words`; `stop_words` None: that rule does not
    apply. What depends on the text alone is computed once per document, what depends on the words once per word
    split (FineWeb-2's filter reads the same split as this one for languages written with spaces)."""
    text_part = doc.shared.get("quality_text")
    if text_part is None:
        text_part = doc.shared["quality_text"] = _text_measures(doc.text)
    word_part = doc.shared.get(("quality_words", id(words)))
    if word_part is None:
        word_part = doc.shared[("quality_words", id(words))] = _word_measures(word_array(doc.shared, words))
    n_words = len(words) or 1
    hashes, ellipses, bullet_lines_ratio, end_ellipsis_lines_ratio = text_part
    return {
        **word_part,
        "hash_word_ratio": hashes / n_words,
        "ellipsis_word_ratio": ellipses / n_words,
        "bullet_lines_ratio": bullet_lines_ratio,
        "end_ellipsis_lines_ratio": end_ellipsis_lines_ratio,
        # None (NULL) where the language has no stop-word list: the rule does not apply
        "stop_words": len(set(stop_words) & _word_set(doc, words)) if stop_words else None,
    }


def _text_measures(text: str) -> tuple[int, int, float, float]:
    lines = text.splitlines() or [""]
    return (
        text.count("#"),
        text.count("...") + text.count("…"),
        sum(s.lstrip().startswith(("•", "-")) for s in lines) / len(lines),
        sum(s.rstrip().endswith(("...", "…")) for s in lines) / len(lines),
    )


def _word_measures(array: WordArray) -> dict[str, float]:
    """A word is a symbol when every character is punctuation (unless str.isalpha says it is a word); it has a
    letter when any character is alphabetic."""
    classes = array.character_classes()
    if classes is None:
        return _word_measures_python(array.words)
    all_alpha, any_alpha, any_non_punct = classes
    non_symbol = all_alpha | any_non_punct
    count = int(non_symbol.sum())
    return {
        "words": count,
        "avg_word_length": int(array.lengths[non_symbol].sum()) / count if count else 0.0,
        "alpha_words_ratio": int(any_alpha.sum()) / (array.count or 1),
    }


def _word_measures_python(words: list[str]) -> dict[str, float]:
    """The reference: what datatrove's GopherQualityFilter computes per word."""
    non_symbol = [w for w in words if w.isalpha() or any(ch not in PUNCTUATION_SET for ch in w)]
    return {
        "words": len(non_symbol),
        "avg_word_length": sum(map(len, non_symbol)) / len(non_symbol) if non_symbol else 0.0,
        "alpha_words_ratio": sum(w.isalpha() or any(c.isalpha() for c in w) for w in words) / (len(words) or 1),
    }


def _word_set(doc: Document, words: list[str]) -> set[str]:
    found = doc.shared.get(("word_set", id(words)))
    if found is None:
        found = doc.shared[("word_set", id(words))] = set(words)
    return found


@dataclass(frozen=True)
class GopherQualityFilter(Filter):
    """Remove documents that do not look like prose: length, word length, symbols, bullets, alphabetic words,
    stop words."""

    name: ClassVar[str] = "gopher_quality"
    paper: ClassVar[str] = "Rae et al. 2021 (Gopher), Table A1"
    measures: ClassVar[tuple[str, ...]] = (
        "words",
        "avg_word_length",
        "hash_word_ratio",
        "ellipsis_word_ratio",
        "bullet_lines_ratio",
        "end_ellipsis_lines_ratio",
        "alpha_words_ratio",
        "stop_words",
    )

    min_doc_words: int = threshold(50)
    max_doc_words: int = threshold(100_000)
    min_avg_word_length: float = threshold(3)
    max_avg_word_length: float = threshold(10)
    max_symbol_word_ratio: float = threshold(0.1)
    max_bullet_lines_ratio: float = threshold(0.9, 0, 1)
    max_ellipsis_lines_ratio: float = threshold(0.3, 0, 1)
    min_alpha_words_ratio: float = threshold(0.8, 0, 1)
    min_stop_words: int = threshold(2, 0, 8)

    def measure(self, doc: Document) -> dict[str, float]:
        return quality_measures(doc, doc.words, STOP_WORDS.get(doc.language))

    def rules(self) -> list[Rule]:
        return [
            Rule("gopher_short_doc", "words", "<", self.min_doc_words),
            Rule("gopher_long_doc", "words", ">", self.max_doc_words),
            Rule("gopher_below_avg_threshold", "avg_word_length", "<", self.min_avg_word_length),
            Rule("gopher_above_avg_threshold", "avg_word_length", ">", self.max_avg_word_length),
            Rule("gopher_too_many_hashes", "hash_word_ratio", ">", self.max_symbol_word_ratio),
            Rule("gopher_too_many_ellipsis", "ellipsis_word_ratio", ">", self.max_symbol_word_ratio),
            Rule("gopher_too_many_bullets", "bullet_lines_ratio", ">", self.max_bullet_lines_ratio),
            Rule("gopher_too_many_end_ellipsis", "end_ellipsis_lines_ratio", ">", self.max_ellipsis_lines_ratio),
            Rule("gopher_below_alpha_threshold", "alpha_words_ratio", "<", self.min_alpha_words_ratio),
            Rule("gopher_enough_stop_words", "stop_words", "<", self.min_stop_words),
        ]
