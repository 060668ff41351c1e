"""Gopher's repetition filter (Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from
Training Gopher", Table A1 and section A.1.1), with datatrove 0.10's semantics and defaults, as FineWeb runs it.
It measures once (stored in quality_signals) and decides from the measurements, so a recipe can change a threshold
without measuring again. Reason strings are datatrove's, so verdicts compare one to one.
"""

import re
from collections import Counter
from dataclasses import dataclass
from itertools import compress
from typing import ClassVar

from curation.filters.base import Document, Filter, Rule, threshold
from curation.filters.ngrams import NgramText, repeat_walk
from curation.filters.word_array import word_array

# n-gram sizes quality_signals measures; a recipe can drop some or move their thresholds, not add new ones
MEASURED_TOP_N = (2, 3, 4)
MEASURED_DUP_N = (5, 6, 7, 8, 9, 10)
_LINE_AND_PARAGRAPH_KEYS = ("dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac")

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
    """The reference count (datatrove's find_top_duplicate); NgramText.top_chars falls back to it."""
    ngrams = _ngrams(words, n, " ")
    if not ngrams:
        return 0
    top, count = Counter(ngrams).most_common(1)[0]
    return len(top) * count


def _duplicated_ngram_chars(words: list[str], n: int) -> int:
    """Characters covered by repeated n-grams, each repeat skipping its n words (datatrove's find_all_duplicate);
    the reference that NgramText.duplicated_chars is held to in tests.

    Same walk as datatrove's, but only over positions whose n-gram occurs more than once: a unique n-gram can
    never be a repeat, and skipping it or not changes nothing. Keys are words joined without a separator, as
    datatrove joins them."""
    ngrams = _ngrams(words, n, "")
    counts = Counter(ngrams)
    if len(counts) == len(ngrams):
        return 0
    repeated_at = compress(range(len(ngrams)), map((1).__lt__, map(counts.__getitem__, ngrams)))
    return repeat_walk(repeated_at, ngrams.__getitem__, n)


def repetition_measures(doc: Document, words: list[str]) -> dict[str, float]:
    """Line, paragraph and n-gram repetition of the document's text split into `words`: the line and paragraph
    part once per document, the n-gram part once per word split (FineWeb-2's filter reads the same split for
    languages written with spaces)."""
    cached = doc.shared.get(("repetition", id(words)))
    if cached is not None:
        return cached
    text = doc.text
    if not text:
        return {}
    lines_part = doc.shared.get("repetition_lines")
    if lines_part is None:
        lines_part = doc.shared["repetition_lines"] = _line_measures(text)
    size = len(text)
    measures = dict(lines_part)
    ngrams = NgramText(word_array(doc.shared, words))
    for n in MEASURED_TOP_N:
        measures[f"top_{n}_gram_char_frac"] = ngrams.top_chars(n, _top_ngram_chars) / size
    for n in MEASURED_DUP_N:
        measures[f"dup_{n}_gram_char_frac"] = ngrams.duplicated_chars(n) / size
    doc.shared[("repetition", id(words))] = measures
    return measures


def _line_measures(text: str) -> dict[str, float]:
    paragraphs = _PARAGRAPHS.split(text.strip())
    para_dup, para_chars = _duplicates(paragraphs)
    lines = _LINES.split(text)
    line_dup, line_chars = _duplicates(lines)
    size = len(text)
    return {
        "dup_para_frac": para_dup / len(paragraphs),
        "dup_para_char_frac": para_chars / size,
        "dup_line_frac": line_dup / len(lines),
        "dup_line_char_frac": line_chars / size,
    }


@dataclass(frozen=True)
class GopherRepetitionFilter(Filter):
    """Remove documents with too much repeated content (lines, paragraphs, n-grams)."""

    name: ClassVar[str] = "gopher_repetition"
    paper: ClassVar[str] = "Rae et al. 2021 (Gopher), Table A1"
    measures: ClassVar[tuple[str, ...]] = (
        *_LINE_AND_PARAGRAPH_KEYS,
        *[f"top_{n}_gram_char_frac" for n in MEASURED_TOP_N],
        *[f"dup_{n}_gram_char_frac" for n in MEASURED_DUP_N],
    )

    dup_line_frac: float = threshold(0.30, 0, 1)
    dup_para_frac: float = threshold(0.30, 0, 1)
    dup_line_char_frac: float = threshold(0.20, 0, 1)
    dup_para_char_frac: float = threshold(0.20, 0, 1)
    # (n, max fraction of characters): the n are measured by quality_signals, a recipe sets the fractions
    top_n_grams: tuple[tuple[int, float], ...] = threshold(((2, 0.20), (3, 0.18), (4, 0.16)), 0, 1)
    dup_n_grams: tuple[tuple[int, float], ...] = threshold(
        ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)), 0, 1
    )

    def measure(self, doc: Document) -> dict[str, float]:
        return repetition_measures(doc, doc.words)

    def rules(self) -> list[Rule]:
        rules = [Rule("empty", "dup_para_frac", "missing")]
        rules += [Rule(key, key, ">", getattr(self, key)) for key in _LINE_AND_PARAGRAPH_KEYS]
        rules += [Rule(f"top_{n}_gram", f"top_{n}_gram_char_frac", ">", limit) for n, limit in self.top_n_grams]
        rules += [Rule(f"duplicated_{n}_n_grams", f"dup_{n}_gram_char_frac", ">", x) for n, x in self.dup_n_grams]
        return rules
