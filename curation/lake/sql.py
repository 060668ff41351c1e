"""Values written into SQL as literals.

The lake's own statements splice their few values (partition keys, recipe and table names, row bounds) as
literals rather than bind them as parameters: DuckDB 1.5.5's Python client imports pandas the first time a
process binds any parameter (about 0.2 CPU-s, more than reading a small partition), and a run's worker
processes pay that once each. A string literal is quoted the SQL way (a `'` doubled; DuckDB reads no backslash
escapes in it), so no value can end the literal.
"""


def sql_string(value: str) -> str:
    """A DuckDB string literal holding exactly `value`."""
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    if "\x00" in value:
        raise ValueError("a SQL string literal cannot hold a NUL character")
    return "'" + value.replace("'", "''") + "'"


def sql_literal(value: str | int) -> str:
    """A literal for a string or an integer (bounds of a partition's rows, counts)."""
    if isinstance(value, str):
        return sql_string(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))
    raise TypeError(f"no SQL literal for {type(value).__name__}")
