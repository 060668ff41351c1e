"""C4's quality rules in FineWeb's variant and FineWeb's own quality rules, with datatrove 0.10's semantics.

C4 (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer",
section 2.2) both drops lines and judges documents; FineWeb (Penedo et al. 2024) keeps C4's rules except the
terminal-punctuation line filter and runs its own rules on the text C4 left. So `C4Quality.apply` returns the
rewritten text with its measurements, and `FineWebQuality` measures that text.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from assets.transforms.filters.punctuation import SENTENCE_ENDS, TERMINAL_PUNCTUATION
from assets.transforms.filters.rules import Rule, first_failed, measured_with, threshold
from assets.transforms.filters.words import split_words

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
class C4Quality:
    """Drop lines with a 1000+ character word, fewer than 3 words, 'javascript' or a policy phrase; drop documents
    with 'lorem ipsum', a curly bracket, or fewer than 5 sentences left. No terminal-punctuation rule (FineWeb)."""

    min_num_sentences: int = threshold(5)
    min_words_per_line: int = measured_with(3, "C4 drops short lines before it counts sentences")
    max_word_length: int = measured_with(1000, "C4 drops lines with long words before it counts sentences")
    name: str = field(default="c4", init=False)

    def apply(self, text: str) -> tuple[str, dict[str, float]]:
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

    def reason(self, m: dict[str, float]) -> str | None:
        return first_failed(self.rules(), m)


def _duplicate_chars(lines: list[str]) -> int:
    seen, chars = set(), 0
    for line in lines:
        if line in seen:
            chars += len(line)
        else:
            seen.add(line)
    return chars


@dataclass(frozen=True)
class FineWebQuality:
    """Few lines ending in punctuation, mostly short lines, duplicated lines, or list-like text (many newlines
    per word): FineWeb's own rules, run on the text C4 left."""

    line_punct_thr: float = threshold(0.12, 0, 1)
    short_line_thr: float = threshold(0.67, 0, 1)
    short_line_length: int = measured_with(30, "the share of short lines is measured against this length")
    char_duplicates_ratio: float = threshold(0.01, 0, 1)
    new_line_ratio: float = threshold(0.3)
    name: str = field(default="fineweb_quality", init=False)

    def measure(self, text: str, words: list[str]) -> dict[str, float]:
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return {}
        return {
            "line_punct_ratio": sum(line.endswith(TERMINAL_PUNCTUATION) for line in lines) / len(lines),
            "short_line_ratio": sum(len(line) <= self.short_line_length for line in lines) / len(lines),
            "char_dup_ratio": _duplicate_chars(lines) / len(text.replace("\n", "")),
            "newline_word_ratio": text.count("\n") / len(words) if words else 0.0,
        }

    def rules(self) -> list[Rule]:
        return [
            Rule("empty", "line_punct_ratio", "missing"),
            Rule("line_punct_ratio", "line_punct_ratio", "<", self.line_punct_thr),
            Rule("short_line_ratio", "short_line_ratio", ">", self.short_line_thr),
            Rule("char_dup_ratio", "char_dup_ratio", ">", self.char_duplicates_ratio),
            Rule("list_ratio", "newline_word_ratio", ">", self.new_line_ratio),
        ]

    def reason(self, m: dict[str, float]) -> str | None:
        return first_failed(self.rules(), m)
