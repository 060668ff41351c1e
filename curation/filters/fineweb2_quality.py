"""FineWeb's quality rules as FineWeb-2 runs them (Penedo et al. 2025, "FineWeb2", section 3.4; the pipeline's
FineWebQualityFilter step): on the whole text (FineWeb-2 runs no C4 pass before it), over the language's own
words, the short-line rule off, `char_duplicates_ratio` 0.1 (FineWeb: 0.01), `line_punct_thr` and
`new_line_ratio` from the language's config. Reason strings are datatrove's."""

from dataclasses import dataclass
from typing import ClassVar

from curation.filters.base import Document, Rule, threshold
from curation.filters.fineweb_quality import FineWebQualityFilter
from curation.filters.per_language import PerLanguageFilter, language_overrides

SETTINGS = ("line_punct_thr", "new_line_ratio")
_MEASURE = FineWebQualityFilter()


@dataclass(frozen=True)
class Fineweb2QualityFilter(PerLanguageFilter):
    name: ClassVar[str] = "fineweb2_quality"
    paper: ClassVar[str] = "Penedo et al. 2025 (FineWeb2), section 3.4; Penedo et al. 2024 (FineWeb), section 3.3"
    settings: ClassVar[tuple[str, ...]] = SETTINGS
    measures: ClassVar[tuple[str, ...]] = ("line_punct_ratio", "char_dup_ratio", "newline_word_ratio")

    char_duplicates_ratio: float = threshold(0.1, 0, 1)
    languages: tuple = language_overrides(SETTINGS)

    def measure(self, doc: Document) -> dict[str, float]:
        measured = _MEASURE.measure_text(doc.text, doc.language_words)
        return {m: measured[m] for m in self.measures} if measured else {}

    def rules(self) -> list[Rule]:
        return [
            Rule("empty", "line_punct_ratio", "missing"),
            Rule("line_punct_ratio", "line_punct_ratio", "<", None, "line_punct_thr"),
            Rule("char_dup_ratio", "char_dup_ratio", ">", self.char_duplicates_ratio),
            Rule("list_ratio", "newline_word_ratio", ">", None, "new_line_ratio"),
        ]
