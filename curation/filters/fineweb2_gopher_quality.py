"""Gopher's quality filter as FineWeb-2 runs it (Penedo et al. 2025, "FineWeb2", section 3.4; the pipeline's
GopherQualityFilter step): over the language's own words, counting the language's FineWeb-2 stop words (at
least 2), word-length bounds and the alphabetic-word ratio (`max_non_alpha_words_ratio`, which datatrove compares
as a minimum share of words with a letter) from the language's config, Gopher's other thresholds unchanged."""

from dataclasses import dataclass
from typing import ClassVar

from curation.filters import language_settings
from curation.filters.base import Document, Rule, threshold
from curation.filters.gopher_quality import GopherQualityFilter, quality_measures
from curation.filters.per_language import PerLanguageFilter, language_overrides

SETTINGS = ("min_avg_word_length", "max_avg_word_length", "max_non_alpha_words_ratio")


@dataclass(frozen=True)
class Fineweb2GopherQualityFilter(PerLanguageFilter):
    name: ClassVar[str] = "fineweb2_gopher_quality"
    paper: ClassVar[str] = "Penedo et al. 2025 (FineWeb2), section 3.4; Rae et al. 2021 (Gopher), Table A1"
    settings: ClassVar[tuple[str, ...]] = SETTINGS
    measures: ClassVar[tuple[str, ...]] = GopherQualityFilter.measures

    min_doc_words: int = threshold(50)
    max_doc_words: int = threshold(100_000)
    max_symbol_word_ratio: float = threshold(0.1)
    max_bullet_lines_ratio: float = threshold(0.9, 0, 1)
    max_ellipsis_lines_ratio: float = threshold(0.3, 0, 1)
    min_stop_words: int = threshold(2, 0, 32)
    languages: tuple = language_overrides(SETTINGS)

    def measure(self, doc: Document) -> dict[str, float]:
        # the stop words are the language's FineWeb-2 list: measured with it, so they are not a recipe setting
        return quality_measures(doc, doc.language_words, language_settings.stop_words(doc.language_key))

    def rules(self) -> list[Rule]:
        return [
            Rule("gopher_short_doc", "words", "<", self.min_doc_words),
            Rule("gopher_long_doc", "words", ">", self.max_doc_words),
            Rule("gopher_below_avg_threshold", "avg_word_length", "<", None, "min_avg_word_length"),
            Rule("gopher_above_avg_threshold", "avg_word_length", ">", None, "max_avg_word_length"),
            Rule("gopher_too_many_hashes", "hash_word_ratio", ">", self.max_symbol_word_ratio),
            Rule("gopher_too_many_ellipsis", "ellipsis_word_ratio", ">", self.max_symbol_word_ratio),
            Rule("gopher_too_many_bullets", "bullet_lines_ratio", ">", self.max_bullet_lines_ratio),
            Rule("gopher_too_many_end_ellipsis", "end_ellipsis_lines_ratio", ">", self.max_ellipsis_lines_ratio),
            Rule("gopher_below_alpha_threshold", "alpha_words_ratio", "<", None, "max_non_alpha_words_ratio"),
            Rule("gopher_enough_stop_words", "stop_words", "<", self.min_stop_words),
        ]
