"""A filter's decision as data: ordered rules over stored measurements, evaluated in Python or compiled to SQL.

Each filter measures a document once; its verdict is the first rule that fires. Writing the rules down once lets
`quality_signals` decide in Python while a recipe's view decides in SQL over the stored measurements, with one
definition behind both (and a test that they agree).
"""

from dataclasses import dataclass

from assets.transforms.sql_literals import double_literal

_OPERATORS = {"<": float.__lt__, ">": float.__gt__, "<=": float.__le__}


@dataclass(frozen=True)
class Rule:
    """Reject with `reason` when `measure <op> threshold`; op "missing" fires when the measure is absent (NULL).
    A NULL measure never fires a comparison: the rule does not apply (e.g. no stop-word list for a language)."""

    reason: str
    measure: str
    op: str
    threshold: float | None = None

    def fires(self, measures: dict) -> bool:
        value = measures.get(self.measure)
        if self.op == "missing":
            return value is None
        return value is not None and _OPERATORS[self.op](float(value), float(self.threshold))

    def sql(self, column: str) -> str:
        if self.op == "missing":
            return f"{column} IS NULL"
        return f"CAST({column} AS DOUBLE) {self.op} {double_literal(self.threshold)}"


def first_failed(rules: list[Rule], measures: dict) -> str | None:
    return next((rule.reason for rule in rules if rule.fires(measures)), None)


def sql_case(rules: list[Rule], column_of) -> str:
    """`CASE WHEN ... THEN 'reason' ... END`: NULL when the document passes."""
    if not rules:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {rule.sql(column_of(rule.measure))} THEN '{rule.reason}'" for rule in rules)
    return f"CASE {whens} END"


def threshold(default, low: float = 0.0, high: float | None = None):
    """A dataclass field a recipe may set: its accepted range travels with it."""
    from dataclasses import field

    return field(default=default, metadata={"range": (low, high)})


def measured_with(default, why: str):
    """A dataclass field fixed when quality_signals measures: a recipe cannot change it without re-measuring."""
    from dataclasses import field

    return field(default=default, metadata={"measured": why})
