"""The filter registry: every quality filter, FineWeb's in FineWeb's order (URL, language, Gopher repetition,
Gopher quality, C4, FineWeb quality), then FineWeb-2's per-language ones in FineWeb-2's order (language score,
Gopher repetition, FineWeb quality, Gopher quality). Measuring (quality_signals), deciding in Python, compiling
recipes to SQL and validating recipes all iterate this one list; a new filter is one file with a `Filter` subclass,
its line here, and its test.
"""

from curation.filters.base import Document, Filter
from curation.filters.c4 import C4QualityFilter
from curation.filters.fineweb2_gopher_quality import Fineweb2GopherQualityFilter
from curation.filters.fineweb2_language import Fineweb2LanguageFilter
from curation.filters.fineweb2_quality import Fineweb2QualityFilter
from curation.filters.fineweb2_repetition import Fineweb2RepetitionFilter
from curation.filters.fineweb_quality import FineWebQualityFilter
from curation.filters.gopher_quality import GopherQualityFilter
from curation.filters.gopher_repetition import GopherRepetitionFilter
from curation.filters.language import LanguageFilter
from curation.filters.url import URLFilter

FINEWEB: tuple[type[Filter], ...] = (  # `fineweb_reason` in quality_signals: the first rejection in this order
    URLFilter,
    LanguageFilter,
    GopherRepetitionFilter,
    GopherQualityFilter,
    C4QualityFilter,
    FineWebQualityFilter,
)
FINEWEB2: tuple[type[Filter], ...] = (
    Fineweb2LanguageFilter,
    Fineweb2RepetitionFilter,
    Fineweb2QualityFilter,
    Fineweb2GopherQualityFilter,
)
FILTERS: tuple[type[Filter], ...] = FINEWEB + FINEWEB2
FILTER_CLASSES: dict[str, type[Filter]] = {cls.name: cls for cls in FILTERS}
FILTER_NAMES: tuple[str, ...] = tuple(FILTER_CLASSES)

__all__ = ["FILTERS", "FINEWEB", "FINEWEB2", "FILTER_CLASSES", "FILTER_NAMES", "Document", "Filter"]
