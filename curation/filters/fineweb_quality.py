"""FineWeb's own quality rules (Penedo et al. 2024, "The FineWeb Datasets", section 3.3), with datatrove 0.10's
semantics, run on the text C4's line pass left: few lines ending in punctuation, mostly short lines, duplicated
lines, or list-like text."""

from dataclasses import dataclass
from typing import ClassVar

from curation.filters.base import Document, Filter, Rule, measured_with, threshold
from curation.filters.c4 import c4_pass
from curation.filters.punctuation import TERMINAL_PUNCTUATION


def _duplicate_chars(lines: list[str]) -> int:
    seen, chars = set(), 0
    for line in lines:
        if line in seen:
            chars += len(line)
        else:
            seen.add(line)
    return chars


@dataclass(frozen=True)
class FineWebQualityFilter(Filter):
    """Few lines ending in punctuation, mostly short lines, duplicated lines, or list-like text (many newlines
    per word): FineWeb's own rules, run on the text C4 left."""

    name: ClassVar[str] = "fineweb_quality"
    paper: ClassVar[str] = "Penedo et al. 2024 (FineWeb), section 3.3"
    measures: ClassVar[tuple[str, ...]] = (
        "line_punct_ratio",
        "short_line_ratio",
        "char_dup_ratio",
        "newline_word_ratio",
    )

    line_punct_thr: float = threshold(0.12, 0, 1)
    short_line_thr: float = threshold(0.67, 0, 1)
    short_line_length: int = measured_with(30, "the share of short lines is measured against this length")
    char_duplicates_ratio: float = threshold(0.01, 0, 1)
    new_line_ratio: float = threshold(0.3)

    def measure(self, doc: Document) -> dict[str, float]:
        text, words, _ = c4_pass(doc)
        return self.measure_text(text, words)

    def measure_text(self, text: str, words: list[str]) -> dict[str, float]:
        """Measure text C4 already cleaned."""
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
