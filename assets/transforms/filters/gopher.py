"""Gopher's repetition and quality rules (Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights
from Training Gopher", Table A1 and section A.1.1), with datatrove 0.10's semantics and defaults, as FineWeb runs
them. Each filter measures once (stored in quality_signals) and decides from the measurements, so a recipe can
change a threshold without measuring again. Reason strings are datatrove's, so verdicts compare one to one.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import compress

from assets.transforms.filters.punctuation import PUNCTUATION_SET
from assets.transforms.filters.rules import Rule, first_failed, threshold

_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")


def _duplicates(elements: list[str]) -> tuple[int, int]:
    """(duplicate elements, characters in them): every repeat after the first occurrence counts."""
    seen, elements_dup, chars_dup = set(), 0, 0
    for element in elements:
        if element in seen:
            elements_dup += 1
            chars_dup += len(element)
        else:
            seen.add(element)
    return elements_dup, chars_dup


def _ngrams(words: list[str], n: int, separator: str) -> list[str]:
    return list(map(separator.join, zip(*(words[k:] for k in range(n)), strict=False)))  # stops at the shortest


def _top_ngram_chars(words: list[str], n: int) -> int:
    ngrams = _ngrams(words, n, " ")
    if not ngrams:
        return 0
    top, count = Counter(ngrams).most_common(1)[0]
    return len(top) * count


def _duplicated_ngram_chars(words: list[str], n: int) -> int:
    """Characters covered by repeated n-grams, each repeat skipping its n words (datatrove's find_all_duplicate).

    Same walk as datatrove's, but only over positions whose n-gram occurs more than once: a unique n-gram can
    never be a repeat, and skipping it or not changes nothing. Keys are words joined without a separator, as
    datatrove joins them."""
    ngrams = _ngrams(words, n, "")
    counts = Counter(ngrams)
    if len(counts) == len(ngrams):
        return 0
    repeated_at = compress(range(len(ngrams)), map((1).__lt__, map(counts.__getitem__, ngrams)))
    seen, repeated, resume = set(), 0, 0
    for i in repeated_at:
        if i < resume:
            continue  # inside a repeat just counted: datatrove steps over it
        ngram = ngrams[i]
        if ngram in seen:
            repeated += len(ngram)
            resume = i + n
        else:
            seen.add(ngram)
    return repeated


@dataclass(frozen=True)
class GopherRepetition:
    """Remove documents with too much repeated content (lines, paragraphs, n-grams)."""

    dup_line_frac: float = threshold(0.30, 0, 1)
    dup_para_frac: float = threshold(0.30, 0, 1)
    dup_line_char_frac: float = threshold(0.20, 0, 1)
    dup_para_char_frac: float = threshold(0.20, 0, 1)
    # (n, max fraction of characters): the n are measured by quality_signals, a recipe sets the fractions
    top_n_grams: tuple[tuple[int, float], ...] = threshold(((2, 0.20), (3, 0.18), (4, 0.16)), 0, 1)
    dup_n_grams: tuple[tuple[int, float], ...] = threshold(
        ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)), 0, 1
    )
    name: str = field(default="gopher_repetition", init=False)

    def measure(self, text: str, words: list[str]) -> dict[str, float]:
        if not text:
            return {}
        paragraphs = _PARAGRAPHS.split(text.strip())
        para_dup, para_chars = _duplicates(paragraphs)
        lines = _LINES.split(text)
        line_dup, line_chars = _duplicates(lines)
        size = len(text)
        measures = {
            "dup_para_frac": para_dup / len(paragraphs),
            "dup_para_char_frac": para_chars / size,
            "dup_line_frac": line_dup / len(lines),
            "dup_line_char_frac": line_chars / size,
        }
        for n in MEASURED_TOP_N:
            measures[f"top_{n}_gram_char_frac"] = _top_ngram_chars(words, n) / size
        for n in MEASURED_DUP_N:
            measures[f"dup_{n}_gram_char_frac"] = _duplicated_ngram_chars(words, n) / size
        return measures

    def rules(self) -> list[Rule]:
        rules = [Rule("empty", "dup_para_frac", "missing")]
        rules += [Rule(key, key, ">", getattr(self, key)) for key in _LINE_AND_PARAGRAPH_KEYS]
        rules += [Rule(f"top_{n}_gram", f"top_{n}_gram_char_frac", ">", limit) for n, limit in self.top_n_grams]
        rules += [Rule(f"duplicated_{n}_n_grams", f"dup_{n}_gram_char_frac", ">", x) for n, x in self.dup_n_grams]
        return rules

    def reason(self, m: dict[str, float]) -> str | None:
        return first_failed(self.rules(), m)


_LINE_AND_PARAGRAPH_KEYS = ("dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac")
# n-gram sizes quality_signals measures; a recipe can drop some or move their thresholds, not add new ones
MEASURED_TOP_N = (2, 3, 4)
MEASURED_DUP_N = (5, 6, 7, 8, 9, 10)


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


@dataclass(frozen=True)
class GopherQuality:
    """Remove documents that do not look like prose: length, word length, symbols, bullets, alphabetic words,
    stop words."""

    min_doc_words: int = threshold(50)
    max_doc_words: int = threshold(100_000)
    min_avg_word_length: float = threshold(3)
    max_avg_word_length: float = threshold(10)
    max_symbol_word_ratio: float = threshold(0.1)
    max_bullet_lines_ratio: float = threshold(0.9, 0, 1)
    max_ellipsis_lines_ratio: float = threshold(0.3, 0, 1)
    min_alpha_words_ratio: float = threshold(0.8, 0, 1)
    min_stop_words: int = threshold(2, 0, 8)
    name: str = field(default="gopher_quality", init=False)

    def measure(self, text: str, words: list[str], language: str = "en") -> dict[str, float]:
        non_symbol = [w for w in words if w.isalpha() or any(ch not in PUNCTUATION_SET for ch in w)]
        n_words = len(words) or 1
        lines = text.splitlines() or [""]
        stop_words = STOP_WORDS.get(language)
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

    def reason(self, m: dict[str, float]) -> str | None:
        return first_failed(self.rules(), m)
