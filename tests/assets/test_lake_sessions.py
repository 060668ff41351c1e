"""Lake sessions share a DuckDB instance per process and lake (attaching costs ~50 ms a session): what one session
does must not reach the next, and every session must see the lake as it is now."""

import multiprocessing
import shutil

import pyarrow as pa
import pytest
from support.lake import BOTH_CATALOGS

from curation.lake.client import Lake

SCHEMA = pa.schema([("k", pa.string()), ("v", pa.int64())])


def write_rows(lake: Lake, n: int) -> None:
    lake.replace_partition("k", "a", {"t": (SCHEMA, [pa.table({"k": ["a"] * n, "v": range(n)})])}, message=f"{n}")


def count(lake: Lake) -> int:
    with lake.connect(read_only=True) as con:
        return con.execute("SELECT count(*) FROM t").fetchone()[0]


@BOTH_CATALOGS
def test_a_session_sees_what_another_process_committed_since_the_last(lake):
    write_rows(lake, 3)
    assert count(lake) == 3
    other = multiprocessing.get_context("spawn").Process(target=write_rows, args=(lake, 7))
    other.start()
    other.join(120)
    assert other.exitcode == 0
    assert count(lake) == 7  # the same process's instance, a new snapshot


@BOTH_CATALOGS
def test_what_a_session_leaves_behind_does_not_reach_the_next(lake):
    write_rows(lake, 3)
    with lake.connect() as con:
        con.execute("SET SESSION preserve_insertion_order = false")
        con.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS x")
        con.execute("BEGIN")
        con.execute("INSERT INTO t VALUES ('a', 99)")  # never committed: the session ends inside the transaction
    with lake.connect() as con:
        assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is True
        temporary = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'scratch'").fetchone()[0]
        assert temporary == 0
        assert con.execute("SELECT current_database()").fetchone()[0] == "lake"
    assert count(lake) == 3
    with pytest.raises(Exception, match="boom"), lake.transaction("fails") as con:
        con.execute("INSERT INTO t VALUES ('a', 100)")
        raise RuntimeError("boom")
    assert count(lake) == 3


def test_a_lake_deleted_and_made_again_at_the_same_path_is_read_as_the_new_one(tmp_path):
    lake = Lake("sqlite:" + str(tmp_path / "lake" / "catalog.sqlite"), str(tmp_path / "lake" / "files"))
    write_rows(lake, 5)
    assert count(lake) == 5
    shutil.rmtree(tmp_path / "lake")
    with pytest.raises(Exception, match="no lake"):
        count(lake)
    write_rows(lake, 2)
    assert count(lake) == 2
    with lake.connect(read_only=True) as con:  # only the new lake's history
        assert con.execute("SELECT count(*) FROM lake.snapshots() WHERE commit_message = '5'").fetchone()[0] == 0
