"""A filter's decision as data: ordered rules over stored measurements, evaluated in Python or compiled to SQL.

Each filter measures a document once; its verdict is the first rule that fires. Writing the rules down once lets
`quality_signals` decide in Python while a recipe's view decides in SQL over the stored measurements, with one
definition behind both (and a test that they agree).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

from curation.filters.words import split_words, split_words_twice
from curation.lake.sql_literals import double_literal

_OPERATORS = {"<": float.__lt__, ">": float.__gt__, "<=": float.__le__}


@dataclass(frozen=True)
class Rule:
    """Reject with `reason` when `measure <op> threshold`; op "missing" fires when the measure is absent (NULL).
    A NULL measure never fires a comparison: the rule does not apply (e.g. no stop-word list for a language).
    With `setting`, the threshold is the document's language's (a column of the recipe's language settings);
    a setting of 0 or none turns the rule off for that language, as a falsy threshold does in datatrove."""

    reason: str
    measure: str
    op: str
    threshold: float | None = None
    setting: str | None = None

    def fires(self, measures: dict, settings: dict | None = None) -> bool:
        value = measures.get(self.measure)
        if self.op == "missing":
            return value is None
        limit = self.threshold if self.setting is None else (settings or {}).get(self.setting)
        if self.setting is not None and not limit:
            return False
        return value is not None and _OPERATORS[self.op](float(value), float(limit))

    def sql(self, column: str, setting_of: Callable[[str], str] | None = None) -> str:
        if self.op == "missing":
            return f"{column} IS NULL"
        if self.setting is None:
            return f"CAST({column} AS DOUBLE) {self.op} {double_literal(self.threshold)}"
        limit = setting_of(self.setting)
        return f"(coalesce({limit}, 0) <> 0 AND CAST({column} AS DOUBLE) {self.op} {limit})"


def first_failed(rules: list[Rule], measures: dict, settings: dict | None = None) -> str | None:
    return next((rule.reason for rule in rules if rule.fires(measures, settings)), None)


def sql_case(rules: list[Rule], column_of, setting_of=None) -> str:
    """`CASE WHEN ... THEN 'reason' ... END`: NULL when the document passes."""
    if not rules:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {rule.sql(column_of(rule.measure), setting_of)} THEN '{rule.reason}'" for rule in rules)
    return f"CASE {whens} END"


def threshold(default, low: float = 0.0, high: float | None = None):
    """A dataclass field a recipe may set: its accepted range travels with it."""
    return field(default=default, metadata={"range": (low, high)})


def measured_with(default, why: str):
    """A dataclass field fixed when quality_signals measures: a recipe cannot change it without re-measuring."""
    return field(default=default, metadata={"measured": why})


@dataclass
class Document:
    """What the filters look at. What several filters share (the word split, the text C4 leaves) is computed once
    per document, on first use."""

    text: str
    language: str = "en"
    language_score: float = 1.0
    url: str | None = None
    host: str | None = None
    shared: dict = field(default_factory=dict, repr=False)

    @cached_property
    def words(self) -> list[str]:
        """The spaCy-English-shaped split; where the language splits its own way (German, French, Italian), its
        `language_words` come out of the same pass."""
        from curation.filters.segmentation import profile_of

        profile = profile_of(self.language_key)
        if profile is None:
            return split_words(self.text)
        english, own = split_words_twice(self.text, profile)
        self.__dict__.setdefault("language_words", own)
        return english

    @cached_property
    def language_key(self) -> str:
        """FineWeb-2's key for the document's language and script (`deu_Latn`; `default` where it has none)."""
        from curation.filters.language_settings import key_of

        return key_of(self.language, self.text)

    @cached_property
    def language_words(self) -> list[str]:
        """The words as FineWeb-2 splits this language: the same split as `words` where the language is written
        with spaces, a segmenter where it is not (curation/filters/segmentation.py)."""
        from curation.filters.segmentation import language_words

        return language_words(self)


@dataclass(frozen=True)
class SqlColumns:
    """How a recipe view names what a filter decides from: `measure(filter, name)` a stored measurement,
    `column(name)` a column of quality_signals or documents, `list_of(name)` a URL list as LIST(VARCHAR), and two
    SQL booleans from joins against the (possibly millions of entries) blocked domain and URL lists."""

    measure: Callable[[str, str], str]
    column: Callable[[str], str]
    list_of: Callable[[str], str]
    host_blocked: str
    url_blocked: str
    setting: Callable[[str], str] = lambda name: f't."{name}"'  # the document's language's threshold


class Filter:
    """datatrove's shape: one small class per file, thresholds as typed dataclass fields with the published
    defaults, stable reason strings. A subclass (a frozen dataclass) names itself, lists the measurements it stores
    in quality_signals (`<name>__<measure>`), measures a Document once and states its rules; deciding in Python and
    in SQL both follow from the rules. Filters that decide from document fields override `reason`/`reason_sql`."""

    name: ClassVar[str]
    measures: ClassVar[tuple[str, ...]] = ()
    paper: ClassVar[str] = ""

    def measure(self, doc: Document) -> dict[str, float]:
        return {}

    def rules(self) -> list[Rule]:
        return []

    def settings_for(self, doc: Document) -> dict | None:
        """The document's language's thresholds, for rules with a `setting` (None: the filter has none)."""
        return None

    def reason(self, doc: Document, measured: dict) -> str | None:
        """The first rule that fires (a stable reason string), or None: the document passes."""
        rules = self.__dict__.get("_rules")
        if rules is None:  # a filter's thresholds are fixed once built: its rules are built once too
            rules = self.__dict__["_rules"] = self.rules()
        return first_failed(rules, measured, self.settings_for(doc))

    def reason_sql(self, sql: SqlColumns) -> str:
        return sql_case(self.rules(), lambda measure: sql.measure(self.name, measure), sql.setting)

    def judge(self, doc: Document) -> str | None:
        """Measure and decide in one step."""
        return self.reason(doc, self.measure(doc))
