"""Gopher's quality filter (Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from Training
Gopher", Table A1 and section A.1.1), with datatrove 0.10's semantics and defaults, as FineWeb runs it.
Reason strings are datatrove's, so verdicts compare one to one.
"""

from dataclasses import dataclass
from typing import ClassVar

from curation.filters.base import Document, Filter, Rule, threshold
from curation.filters.punctuation import PUNCTUATION_SET

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


def quality_measures(text: str, words: list[str], stop_words) -> dict[str, float]:
    """Gopher's quality measurements of a text split into `words`; `stop_words` None: that rule does not apply."""
    non_symbol = [w for w in words if w.isalpha() or any(ch not in PUNCTUATION_SET for ch in w)]
    n_words = len(words) or 1
    lines = text.splitlines() or [""]
    return {
        "words": len(non_symbol),
        "avg_word_length": sum(map(len, non_symbol)) / len(non_symbol) if non_symbol else 0.0,
        "hash_word_ratio": text.count("#") / n_words,
        "ellipsis_word_ratio": (text.count("...") + text.count("…")) / n_words,
        "bullet_lines_ratio": sum(s.lstrip().startswith(("•", "-")) for s in lines) / len(lines),
        "end_ellipsis_lines_ratio": sum(s.rstrip().endswith(("...", "…")) for s in lines) / len(lines),
        "alpha_words_ratio": sum(w.isalpha() or any(c.isalpha() for c in w) for w in words) / n_words,
        # None (NULL) where the language has no stop-word list: the rule does not apply
        "stop_words": len(set(stop_words) & set(words)) if stop_words else None,
    }


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
        return quality_measures(doc.text, doc.words, STOP_WORDS.get(doc.language))

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
