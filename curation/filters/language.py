"""FineWeb's language filter (datatrove's LanguageFilter over fastText lid.176): keep a document when its language
is one of the recipe's and the model's score for it is above the threshold (0.65 in FineWeb).

Penedo et al. 2024, "The FineWeb Datasets: Decanting the Web for the Finest Text Data at Scale", section 3.2."""

from dataclasses import dataclass, field
from typing import ClassVar

from curation.filters.base import Document, Filter, SqlColumns, threshold


@dataclass(frozen=True)
class LanguageFilter(Filter):
    name: ClassVar[str] = "language"
    paper: ClassVar[str] = "Penedo et al. 2024 (FineWeb), section 3.2"

    # None: any language (the multilingual reading); FineWeb keeps English only
    languages: tuple[str, ...] | None = field(default=("en",), metadata={"languages": True})
    language_threshold: float = threshold(0.65, 0, 1)

    def reason(self, doc: Document, measured: dict | None = None) -> str | None:
        if self.languages is not None and doc.language not in self.languages:
            return "other_language"
        if doc.language_score <= self.language_threshold:  # datatrove keeps score > threshold
            return "language_score"
        return None

    def reason_sql(self, sql: SqlColumns) -> str:
        whens = []
        if self.languages is not None:
            listed = ", ".join(f"'{code}'" for code in self.languages) or "NULL"
            whens.append(f"WHEN {sql.column('language')} NOT IN ({listed}) THEN 'other_language'")
        score = f"CAST({sql.column('language_score')} AS DOUBLE)"
        whens.append(f"WHEN {score} <= CAST({float(self.language_threshold)!r} AS DOUBLE) THEN 'language_score'")
        return f"CASE {' '.join(whens)} END"
