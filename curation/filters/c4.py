"""C4's quality rules in FineWeb's variant, with datatrove 0.10's semantics.

C4 (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer",
section 2.2) both drops lines and judges documents; FineWeb (Penedo et al. 2024) keeps C4's rules except the
terminal-punctuation line filter and runs its own rules on the text C4 left. So the line pass is kept on the
Document (`c4_pass`) for the FineWeb quality filter to measure.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from curation.filters.base import Document, Filter, Rule, measured_with, threshold
from curation.filters.punctuation import SENTENCE_ENDS
from curation.filters.words import split_words

_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
POLICY_SUBSTRINGS = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")


def _is_punct(token: str) -> bool:
    return all(unicodedata.category(c).startswith("P") for c in token)


def count_sentences(line: str) -> int:
    """Sentences as spaCy's Sentencizer splits them: a new one starts at the first non-punctuation token after a
    token that ends sentences."""
    return sentences_in(split_words(line))


def sentences_in(tokens: list[str]) -> int:
    if not tokens:
        return 0
    sentences, seen_end = 1, False
    for token in tokens:
        if seen_end and not _is_punct(token) and token not in SENTENCE_ENDS:
            sentences += 1
            seen_end = False
        elif token in SENTENCE_ENDS:
            seen_end = True
    return sentences


@dataclass(frozen=True)
class C4QualityFilter(Filter):
    """Drop lines with a 1000+ character word, fewer than 3 words, 'javascript' or a policy phrase; drop documents
    with 'lorem ipsum', a curly bracket, or fewer than 5 sentences left. No terminal-punctuation rule (FineWeb)."""

    name: ClassVar[str] = "c4"
    paper: ClassVar[str] = "Raffel et al. 2020 (C4), section 2.2, as FineWeb runs it"
    measures: ClassVar[tuple[str, ...]] = ("lorem_ipsum", "curly_bracket", "sentences", "lines_dropped")

    min_num_sentences: int = threshold(5)
    min_words_per_line: int = measured_with(3, "C4 drops short lines before it counts sentences")
    max_word_length: int = measured_with(1000, "C4 drops lines with long words before it counts sentences")

    def measure(self, doc: Document) -> dict[str, float]:
        return c4_pass(doc)[2]

    def apply(self, text: str) -> tuple[str, dict[str, float]]:
        """The text C4 leaves and its measurements."""
        cleaned, _, measures = self.apply_with_words(text)
        return cleaned, measures

    def apply_with_words(self, text: str) -> tuple[str, list[str], dict[str, float]]:
        """The text C4 leaves, its words (split_words of that text, from the lines already split) and measures."""
        kept, kept_words, sentences, lines_dropped = [], [], 0, 0
        lorem_ipsum = curly_bracket = False
        for raw in text.splitlines():
            line = raw.strip()
            words = line.split()
            if any(len(word) > self.max_word_length for word in words):
                lines_dropped += 1
                continue
            line = _CITATION.sub("", line)
            if len(words) < self.min_words_per_line:
                lines_dropped += 1
                continue
            lowered = line.lower()
            if "lorem ipsum" in lowered:
                lorem_ipsum = True
                break
            if "javascript" in lowered:
                lines_dropped += 1
                continue
            if "{" in line:
                curly_bracket = True
                break
            if any(phrase in lowered for phrase in POLICY_SUBSTRINGS):
                lines_dropped += 1
                continue
            tokens = split_words(line)
            sentences += sentences_in(tokens)
            kept.append(line)
            kept_words += tokens
        measures = {
            "lorem_ipsum": int(lorem_ipsum),
            "curly_bracket": int(curly_bracket),
            "sentences": sentences,
            "lines_dropped": lines_dropped,
        }
        return "\n".join(kept).strip(), kept_words, measures

    def rules(self) -> list[Rule]:
        return [
            Rule("lorem_ipsum", "lorem_ipsum", ">", 0),
            Rule("curly_bracket", "curly_bracket", ">", 0),
            Rule("too_few_sentences", "sentences", "<", self.min_num_sentences),
        ]


_LINE_PASS = C4QualityFilter()  # the line rules are fixed at measurement time (measured_with)


def c4_pass(doc: Document) -> tuple[str, list[str], dict[str, float]]:
    """C4's line pass over the document, once: (text left, its words, C4's measurements)."""
    if "c4" not in doc.shared:
        doc.shared["c4"] = _LINE_PASS.apply_with_words(doc.text)
    return doc.shared["c4"]
