"""The boilerplate SQL on a plain DuckDB (no lake): a banner becomes a host's template line only once enough
distinct pages share it (copies of one page, one duplicate cluster, count once); a line many hosts share is a corpus
line; thresholds are parameters; running it again gives the same tables."""

import duckdb
import pyarrow as pa
import pytest

from curation.dedup.boilerplate import BoilerplateRule, boilerplate_statements
from curation.dedup.lines import line_signals
from curation.lake import tables

pytestmark = pytest.mark.unit

BANNER = "We use cookies to improve your experience. Accept all or manage your preferences."
WIDGET = "Share this page on social media"


def lake_with(pages: dict[str, tuple[str, str, str]]) -> duckdb.DuckDBPyConnection:
    """pages: doc_id -> (host, text, cluster_id)."""
    con = duckdb.connect()
    docs = pa.table(
        {
            "doc_id": list(pages),
            "crawl_file": ["a.jsonl"] * len(pages),
            "host": [h for h, _, _ in pages.values()],
            "text": [t for _, t, _ in pages.values()],
        }
    )
    con.register("_lines", line_signals(docs))
    con.register("_docs", docs)
    con.execute("CREATE TABLE main.document_lines AS SELECT * FROM _lines")
    con.execute("CREATE TABLE main.documents AS SELECT * FROM _docs")
    clusters = [(d, c) for d, (_, _, c) in pages.items()]
    con.execute("CREATE TABLE main.dedup_clusters (doc_id VARCHAR, cluster_id VARCHAR)")
    con.executemany("INSERT INTO main.dedup_clusters VALUES (?, ?)", clusters)
    for table in (tables.BOILERPLATE_LINES, tables.DOCUMENT_BOILERPLATE):
        con.register("_empty", table.schema.empty_table())
        con.execute(f"CREATE TABLE {table.relation} AS SELECT * FROM _empty")
    return con


def run(con, **rule) -> tuple[list, list]:
    for statement in boilerplate_statements(BoilerplateRule(**rule)):
        con.execute(statement)
    lines = con.execute("SELECT scope, host, documents, example FROM main.boilerplate_lines ORDER BY ALL").fetchall()
    per_document = con.execute(
        "SELECT doc_id, line_numbers, boilerplate_chars, host_boilerplate_lines, corpus_boilerplate_lines "
        "FROM main.document_boilerplate ORDER BY doc_id"
    ).fetchall()
    return lines, per_document


@pytest.fixture
def con():
    pages = {
        f"p{i}": ("shop.example", f"{BANNER}\nArticle {i} about kettles number {i}.\n{WIDGET}", f"p{i}")
        for i in range(3)
    }
    pages["p0-copy"] = ("shop.example", pages["p0"][1], "p0")  # the same page crawled twice: cluster p0
    for i in range(2):  # other sites with the same widget line
        pages[f"o{i}"] = (f"site{i}.example", f"Other text {i}.\n{WIDGET}", f"o{i}")
    return lake_with(pages)


def test_copies_count_once_and_thresholds_decide(con):
    lines, per_document = run(con, host_min_documents=3, corpus_min_documents=5)
    assert lines == [
        ("corpus", "*", 5, WIDGET),
        ("host", "shop.example", 3, WIDGET),
        ("host", "shop.example", 3, BANNER),
    ]
    assert per_document[0] == ("o0", [2], len(WIDGET) + 1, 0, 1)
    assert per_document[2] == ("p0", [1, 3], len(BANNER) + len(WIDGET) + 2, 2, 1)
    assert [d for d, *_ in per_document] == ["o0", "o1", "p0", "p0-copy", "p1", "p2"]
    # four shop pages have the banner, but three distinct ones: not a template at 4; the widget (5 clusters of 6
    # documents) not a corpus line at 6
    lines, per_document = run(con, host_min_documents=4, corpus_min_documents=6)
    assert lines == [] and per_document == []


def test_running_again_gives_the_same_tables(con):
    first = run(con)
    assert first == run(con)


def test_a_document_that_is_only_boilerplate_is_counted_whole():
    con = lake_with({f"d{i}": ("x.example", "Processing Feedback ...", f"d{i}") for i in range(3)})
    _, per_document = run(con)
    assert [(d, n, c) for d, n, c, _, _ in per_document] == [(f"d{i}", [1], 23) for i in range(3)]  # not 24
