"""Typed SQL literals for values spliced into SQL text where parameters cannot go (view definitions, generated
queries). Numbers are refused unless finite, so `nan` or `inf` never turns into an identifier or an always-true
comparison; strings are quoted."""

import math


def double_literal(value) -> str:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return f"CAST({number!r} AS DOUBLE)"


def string_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"
