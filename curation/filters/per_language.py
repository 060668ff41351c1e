"""What FineWeb-2's filters share: thresholds that depend on the document's language (FineWeb-2's per-language
settings, curation/filters/language_settings.py), which a recipe may override per language key, e.g.

    fineweb2_repetition: {languages: {deu_Latn: {dup_line_frac: 0.25}}}

In Python a rule reads the document's language's value; in SQL the recipe's language settings are a lake table
(`filter_language_settings`, one row per recipe and key) that the verdicts view joins on `language_key`, so a
changed value re-decides from the stored measurements."""

from dataclasses import field
from functools import cache
from typing import ClassVar

from curation.filters import language_settings
from curation.filters.base import Document, Filter


def language_overrides(settings: tuple[str, ...]):
    """A dataclass field: per language key, new values for some of `settings` (stored as sorted tuples)."""
    return field(default=(), metadata={"overrides": settings})


@cache
def _merged(key: str, overrides: tuple) -> dict[str, float]:
    values = language_settings.thresholds(key)
    for language, changes in overrides:
        if language == key:
            values.update(dict(changes))
    return values


class PerLanguageFilter(Filter):
    """A filter whose rules read per-language settings (`Rule(..., setting=name)`); `settings` lists the ones
    it owns, `languages` holds a recipe's overrides."""

    settings: ClassVar[tuple[str, ...]] = ()
    languages: tuple = ()

    def settings_for(self, doc: Document) -> dict:
        return _merged(doc.language_key, self.languages)

    def settings_rows(self) -> dict[str, dict[str, float]]:
        """Per language key, the values of this filter's settings after the recipe's overrides."""
        keys = language_settings.all_keys()
        return {key: {n: _merged(key, self.languages)[n] for n in self.settings} for key in keys}
