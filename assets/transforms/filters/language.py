"""FineWeb's language filter (datatrove's LanguageFilter over fastText lid.176): keep a document when its language
is one of the recipe's and the model's score for it is above the threshold (0.65 in FineWeb)."""

from dataclasses import dataclass, field

from assets.transforms.filters.rules import threshold


@dataclass(frozen=True)
class LanguageFilter:
    # None: any language (the multilingual reading); FineWeb keeps English only
    languages: tuple[str, ...] | None = field(default=("en",), metadata={"languages": True})
    language_threshold: float = threshold(0.65, 0, 1)
    name: str = field(default="language", init=False)

    def reason(self, language: str, score: float) -> str | None:
        if self.languages is not None and language not in self.languages:
            return "other_language"
        if score <= self.language_threshold:  # datatrove keeps score > threshold
            return "language_score"
        return None

    def reason_sql(self, column_of) -> str:
        whens = []
        if self.languages is not None:
            listed = ", ".join(f"'{code}'" for code in self.languages) or "NULL"
            whens.append(f"WHEN {column_of('language')} NOT IN ({listed}) THEN 'other_language'")
        score = f"CAST({column_of('language_score')} AS DOUBLE)"
        whens.append(f"WHEN {score} <= CAST({float(self.language_threshold)!r} AS DOUBLE) THEN 'language_score'")
        return f"CASE {' '.join(whens)} END"
