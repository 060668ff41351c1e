"""Gopher's repetition filter as FineWeb-2 runs it (Penedo et al. 2025, "FineWeb2", section 3.4; the pipeline's
GopherRepetitionFilter step): over the language's own words, the paragraph rules and the line-character rule off,
`dup_line_frac`, `top_n_grams` and `dup_n_grams` from the language's config. Reason strings are datatrove's."""

from dataclasses import dataclass
from typing import ClassVar

from curation.filters.base import Document, Rule
from curation.filters.gopher_repetition import MEASURED_DUP_N, MEASURED_TOP_N, repetition_measures
from curation.filters.per_language import PerLanguageFilter, language_overrides

SETTINGS = ("dup_line_frac", *[f"top_{n}_gram" for n in MEASURED_TOP_N], *[f"dup_{n}_gram" for n in MEASURED_DUP_N])


@dataclass(frozen=True)
class Fineweb2RepetitionFilter(PerLanguageFilter):
    name: ClassVar[str] = "fineweb2_repetition"
    paper: ClassVar[str] = "Penedo et al. 2025 (FineWeb2), section 3.4; Rae et al. 2021 (Gopher), Table A1"
    settings: ClassVar[tuple[str, ...]] = SETTINGS
    measures: ClassVar[tuple[str, ...]] = (
        "dup_line_frac",
        *[f"top_{n}_gram_char_frac" for n in MEASURED_TOP_N],
        *[f"dup_{n}_gram_char_frac" for n in MEASURED_DUP_N],
    )

    languages: tuple = language_overrides(SETTINGS)

    def measure(self, doc: Document) -> dict[str, float]:
        measured = repetition_measures(doc, doc.language_words)
        return {m: measured[m] for m in self.measures} if measured else {}

    def rules(self) -> list[Rule]:
        rules = [Rule("empty", "dup_line_frac", "missing")]
        rules += [Rule("dup_line_frac", "dup_line_frac", ">", None, "dup_line_frac")]
        rules += [Rule(f"top_{n}_gram", f"top_{n}_gram_char_frac", ">", None, f"top_{n}_gram") for n in MEASURED_TOP_N]
        for n in MEASURED_DUP_N:
            rules.append(Rule(f"duplicated_{n}_n_grams", f"dup_{n}_gram_char_frac", ">", None, f"dup_{n}_gram"))
        return rules
