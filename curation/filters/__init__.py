"""The filter registry: every quality filter, in FineWeb's order (URL, language, Gopher repetition, Gopher quality,
C4, FineWeb quality). Measuring (quality_signals), deciding in Python, compiling recipes to SQL and validating
recipes all iterate this one list; a new filter is one file with a `Filter` subclass, its line here, and its test.
"""

from curation.filters.base import Document, Filter
from curation.filters.c4 import C4QualityFilter
from curation.filters.fineweb_quality import FineWebQualityFilter
from curation.filters.gopher_quality import GopherQualityFilter
from curation.filters.gopher_repetition import GopherRepetitionFilter
from curation.filters.language import LanguageFilter
from curation.filters.url import URLFilter

FILTERS: tuple[type[Filter], ...] = (
    URLFilter,
    LanguageFilter,
    GopherRepetitionFilter,
    GopherQualityFilter,
    C4QualityFilter,
    FineWebQualityFilter,
)
FILTER_CLASSES: dict[str, type[Filter]] = {cls.name: cls for cls in FILTERS}
FILTER_NAMES: tuple[str, ...] = tuple(FILTER_CLASSES)

__all__ = ["FILTERS", "FILTER_CLASSES", "FILTER_NAMES", "Document", "Filter"]
