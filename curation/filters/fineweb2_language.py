"""FineWeb-2's language-score threshold per language (Penedo et al. 2025, "FineWeb2: One Pipeline to Scale Them
All", section 3.2; `language_score` in each language's config): keep a document whose lid.176 score for its
language is at least its language's threshold. FineWeb-2 scored with GlotLID; this project applies the thresholds
to lid.176's scores (the model its documents carry), a documented difference."""

from dataclasses import dataclass
from typing import ClassVar

from curation.filters.base import Document, SqlColumns
from curation.filters.per_language import PerLanguageFilter, language_overrides

SETTINGS = ("language_score",)


@dataclass(frozen=True)
class Fineweb2LanguageFilter(PerLanguageFilter):
    name: ClassVar[str] = "fineweb2_language"
    paper: ClassVar[str] = "Penedo et al. 2025 (FineWeb2), section 3.2"
    settings: ClassVar[tuple[str, ...]] = SETTINGS

    languages: tuple = language_overrides(SETTINGS)

    def reason(self, doc: Document, measured: dict | None = None) -> str | None:
        limit = self.settings_for(doc)["language_score"]
        return "language_score" if doc.language_score < limit else None  # FineWeb-2 keeps score >= threshold

    def reason_sql(self, sql: SqlColumns) -> str:
        score = f"CAST({sql.column('language_score')} AS DOUBLE)"
        return f"CASE WHEN {score} < {sql.setting('language_score')} THEN 'language_score' END"
