"""Statistics are built into a staging schema and published in one lake transaction, so a crash or a failed dbt
test leaves the previous complete set in `stats` (dbt itself commits model by model). Free of Dagster.

Before a build the staging schema is made a copy of the live one (a subset build refers to models it does not
rebuild); after a build whose every node passed, the live schema becomes a copy of the staging one. Views are
copied with their schema name rewritten; tables are small aggregates, copied whole.
"""

import re

import duckdb

LIVE = "stats"
STAGING = "stats_build"
_CREATE_VIEW = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+.+?\s+AS\s+", re.IGNORECASE | re.DOTALL)


def _relations(con: duckdb.DuckDBPyConnection, schema: str) -> tuple[list[str], list[tuple[str, str]]]:
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake' AND schema_name = ? ORDER BY 1",
            [schema],
        ).fetchall()
    ]
    views = con.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE database_name = 'lake' AND schema_name = ? ORDER BY 1",
        [schema],
    ).fetchall()
    return tables, views


def _rename_schema(sql: str, source: str, target: str) -> str:
    body = _CREATE_VIEW.sub("", sql, count=1).rstrip().rstrip(";")
    return re.sub(rf'(?<![\w"]){source}(?=\.)|"{source}"(?=\.)', f'"{target}"', body)


def copy_schema(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """Make `target` hold exactly the relations of `source` (inside the caller's transaction)."""
    tables, views = _relations(con, source)
    old_tables, old_views = _relations(con, target)
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{target}"')
    for name, _ in old_views:
        con.execute(f'DROP VIEW "{target}"."{name}"')
    for name in old_tables:
        con.execute(f'DROP TABLE "{target}"."{name}"')
    for name in tables:
        con.execute(f'CREATE TABLE "{target}"."{name}" AS SELECT * FROM "{source}"."{name}"')
    for name, sql in views:
        con.execute(f'CREATE VIEW "{target}"."{name}" AS {_rename_schema(sql, source, target)}')


def stage(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("BEGIN")
    copy_schema(con, LIVE, STAGING)
    con.execute("CALL ducklake_set_commit_message('lake', 'curator', 'statistics: staged from the live set')")
    con.execute("COMMIT")


def publish(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("BEGIN")
    copy_schema(con, STAGING, LIVE)
    con.execute("CALL ducklake_set_commit_message('lake', 'curator', 'statistics: published a complete build')")
    con.execute("COMMIT")
