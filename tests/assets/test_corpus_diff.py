"""`curator diff` on a small lake written the way stages write it (a partition replaced in one transaction): rows
added, removed, changed and rewritten unchanged; clusters merged and split; mixture cells; snapshots named by
id, time and commit message."""

from datetime import timedelta

import pyarrow as pa
import pytest

from curation import cli
from curation.insight.diff import diff, to_markdown
from curation.insight.snapshots import SnapshotError, resolve, snapshots
from curation.lake import tables

DOCS = tables.DOCUMENTS


def documents(rows: list[tuple[str, str, str]]) -> pa.Table:
    """(doc_id, crawl_file, text) rows as documents."""
    return pa.Table.from_pylist(
        [
            {"doc_id": d, "page_id": d, "crawl_file": f, "url": f"https://example.com/{d}", "text": t, "language": "en"}
            for d, f, t in rows
        ],
        schema=DOCS.schema,
    )


def clusters(assignment: dict[str, str]) -> pa.Table:
    sizes = {c: list(assignment.values()).count(c) for c in assignment.values()}
    return pa.Table.from_pylist(
        [
            {"doc_id": d, "crawl_file": "a", "cluster_id": c, "cluster_size": sizes[c], "is_representative": d == c}
            for d, c in assignment.items()
        ],
        schema=tables.DEDUP_CLUSTERS.schema,
    )


def write(lake, key: str, rows, message: str) -> int:
    return lake.replace_partition("crawl_file", key, {DOCS.name: (DOCS.schema, [documents(rows)])}, message=message)


def rewrite_clusters(lake, assignment: dict[str, str], message: str) -> None:
    """The whole table rewritten, as dedup_clusters is."""
    lake.create_missing_tables({tables.DEDUP_CLUSTERS.name: tables.DEDUP_CLUSTERS.schema})
    new = clusters(assignment)  # noqa: F841 (read by DuckDB's replacement scan)
    with lake.transaction(message) as con:
        con.execute("DELETE FROM dedup_clusters")
        con.execute("INSERT INTO dedup_clusters SELECT * FROM new")


@pytest.fixture
def history(lake):
    first = write(lake, "a", [("1", "a", "one"), ("2", "a", "two"), ("3", "a", "three")], "ingest a")
    write(lake, "b", [("4", "b", "four")], "ingest b")
    rewrite_clusters(lake, {"1": "1", "2": "2", "3": "3", "4": "4"}, "clusters: all unique")
    # a re-run of a: 1 unchanged, 2 changed, 3 removed, 5 added; b untouched; 1+2 merged into one cluster
    write(lake, "a", [("1", "a", "one"), ("2", "a", "two, edited"), ("5", "a", "five")], "re-ingest a")
    rewrite_clusters(lake, {"1": "1", "2": "1", "4": "4", "5": "5"}, "clusters: 1 and 2 merged")
    with lake.connect(read_only=True) as con:
        last = lake.snapshot_id(con)
    return first, last


def test_a_rerun_partition_counts_added_removed_and_changed_rows_not_rewritten_ones(lake, history):
    first, last = history
    stage = next(s for s in diff(lake, first, last)["stages"] if s["table"] == "documents")
    assert (stage["rows_before"], stage["rows_after"]) == (3, 4)
    assert (stage["added"], stage["removed"], stage["changed"]) == (2, 1, 1)  # 4 and 5 added, 3 removed, 2 changed
    result = diff(lake, "all unique", last)  # 1 rewritten unchanged, 4 untouched: neither counts
    stage = next(s for s in result["stages"] if s["table"] == "documents")
    assert (stage["added"], stage["removed"], stage["changed"]) == (1, 1, 1)
    assert result["dedup"]["merged"] == 1 and result["dedup"]["split"] == 0
    markdown = to_markdown(result)
    assert "| documents | 4 | 4 | 1 | 1 | 1 |" in markdown
    assert "1 merged, 0 split" in markdown
    assert diff(lake, first, first)["stages"][0]["changed"] == 0


def test_snapshots_must_be_given_oldest_first_and_a_cluster_pulled_apart_is_split(lake, history):
    first, last = history
    merged_at = resolve(_history(lake), "1 and 2 merged").id
    unique_at = resolve(_history(lake), "all unique").id
    assert merged_at == last
    assert diff(lake, unique_at, merged_at)["dedup"]["merged"] == 1
    with pytest.raises(ValueError, match="give the older snapshot first"):
        diff(lake, merged_at, unique_at)
    rewrite_clusters(lake, {"1": "1", "2": "2", "4": "4", "5": "5"}, "clusters: 1 and 2 apart again")
    assert diff(lake, merged_at, "latest")["dedup"] == {
        **diff(lake, merged_at, "latest")["dedup"],
        "merged": 0,
        "split": 1,
    }


def _history(lake):
    with lake.connect(read_only=True) as con:
        return snapshots(con)


def test_snapshots_are_named_by_id_time_or_commit_message(lake, history):
    first, last = history
    chain = _history(lake)
    assert resolve(chain, str(first)).id == first
    assert resolve(chain, "latest").id == last and resolve(chain, "previous").id == chain[-2].id
    assert resolve(chain, "RE-INGEST a").message == "re-ingest a"
    at = next(s for s in chain if s.message == "ingest b")
    assert resolve(chain, (at.time + timedelta(microseconds=1)).isoformat()).id == at.id
    with pytest.raises(SnapshotError, match="no snapshot 999"):
        resolve(chain, "999")
    with pytest.raises(SnapshotError, match="contains 'no such run'"):
        resolve(chain, "no such run")
    with pytest.raises(SnapshotError, match="no snapshot at or before"):
        resolve(chain, "2001-01-01T00:00:00")


def test_the_command_line_refuses_an_unknown_snapshot_without_a_traceback(lake, lake_resource, history, capsys):
    options = ["--catalog", lake_resource.catalog, "--data-path", lake_resource.data_path]
    assert cli.main(["diff", "--from", "no such run", *options]) == 1
    assert capsys.readouterr().err.startswith("error: no snapshot's commit message contains")
    assert cli.main(["diff", "--from", "ingest a", "--to", "re-ingest a", *options]) == 0
    assert "| documents | 3 | 4 | 2 | 1 | 1 |" in capsys.readouterr().out
