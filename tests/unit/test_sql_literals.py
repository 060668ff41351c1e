"""Values the lake splices into its statements as literals (curation/lake/sql.py) come back exactly, and can never
end the literal: a partition key or recipe name is data, never SQL."""

import duckdb
import pytest

from curation.lake.sql import sql_literal, sql_string

AWKWARD = ["plain.warc.gz", "it's", "''", "x'); DROP TABLE t; --", "back\\slash", "new\nline", "ünïcode 日本", ""]


@pytest.mark.parametrize("value", AWKWARD)
def test_a_string_literal_reads_back_as_the_value(value):
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k VARCHAR)")
    con.execute(f"INSERT INTO t VALUES ({sql_string(value)})")
    assert con.execute(f"SELECT k, k = {sql_string(value)} FROM t").fetchall() == [(value, True)]
    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)  # the table is still there


def test_integers_read_back_and_other_values_are_refused():
    con = duckdb.connect()
    assert con.execute(f"SELECT {sql_literal(-42)}, {sql_literal('a')}").fetchone() == (-42, "a")
    for bad in (1.5, True, None, b"x"):
        with pytest.raises(TypeError):
            sql_literal(bad)
    with pytest.raises(ValueError, match="NUL"):
        sql_string("a\x00b")
