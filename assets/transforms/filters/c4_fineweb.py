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
from assets.transforms.filters.words import split_words

_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
POLICY_SUBSTRINGS = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")


def _is_punct(token: str) -> bool:
    return all(unicodedata.category(c).startswith("P") for c in token)


def count_sentences(line: str) -> int:
    """Sentences as spaCy's Sentencizer splits them: a new one starts at the first non-punctuation token after a
    token that ends sentences."""
    tokens = split_words(line)
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

    min_num_sentences: int = 5
    min_words_per_line: int = 3
    max_word_length: int = 1000
    name: str = field(default="c4", init=False)

    def apply(self, text: str) -> tuple[str, dict[str, float]]:
        kept, sentences, lines_dropped = [], 0, 0
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
            sentences += count_sentences(line)
            kept.append(line)
        measures = {
            "lorem_ipsum": int(lorem_ipsum),
            "curly_bracket": int(curly_bracket),
            "sentences": sentences,
            "lines_dropped": lines_dropped,
        }
        return "\n".join(kept).strip(), measures

    def reason(self, m: dict[str, float]) -> str | None:
        if m["lorem_ipsum"]:
            return "lorem_ipsum"
        if m["curly_bracket"]:
            return "curly_bracket"
        if m["sentences"] < self.min_num_sentences:
            return "too_few_sentences"
        return None


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

    line_punct_thr: float = 0.12
    short_line_thr: float = 0.67
    short_line_length: int = 30
    char_duplicates_ratio: float = 0.01
    new_line_ratio: float = 0.3
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

    def reason(self, m: dict[str, float]) -> str | None:
        if not m:
            return "empty"
        if m["line_punct_ratio"] < self.line_punct_thr:
            return "line_punct_ratio"
        if m["short_line_ratio"] > self.short_line_thr:
            return "short_line_ratio"
        if m["char_dup_ratio"] > self.char_duplicates_ratio:
            return "char_dup_ratio"
        if m["newline_word_ratio"] > self.new_line_ratio:
            return "list_ratio"
        return None
