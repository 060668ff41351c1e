"""The URL filter's SQL (constant RE2 patterns for the word lists) decides as its Python rule (datatrove's) does, on
URLs that probe the token boundaries, case, adjacency and the long-list fallback."""

import duckdb
import pytest

from curation.filters import url as url_filter
from curation.filters.base import Document, SqlColumns
from curation.filters.url import URLFilter

URLS = [
    "https://example.com/news/2024/a-story",
    "https://example.com/2g1c/video",  # a banned word as a whole token
    "https://example.com/x2g1cx/video",  # inside a longer token: not a word match
    "https://example.com/2G1C/video",  # other case: datatrove's set lookup is case-sensitive
    "https://example.com/ass-babes",  # two soft words, adjacent tokens sharing one delimiter
    "https://example.com/babes",  # one soft word: below the threshold
    "https://example.com/babes/babes",  # the same soft word twice counts once
    "https://ass.example.com/page?babes=1",
    "https://example.com/alabama-hot-pocket",  # a banned sub-word across delimiters, once normalised
    "https://example.com/ALABAMAHOTPOCKET",
    "https://example.com/café-ass/über-babes",  # non-ASCII letters delimit tokens
    "babes://ass",
    "",
    None,
]


def sql_reasons(url_rule: URLFilter, urls: list[str | None]) -> list[str | None]:
    derived = URLFilter.derived_sql("url")
    con = duckdb.connect()
    con.execute("CREATE TABLE lists (list VARCHAR, entry VARCHAR)")
    rows = [(name, e) for name, entries in url_rule.lists().items() for e in sorted(entries)]
    con.executemany("INSERT INTO lists VALUES (?, ?)", rows)
    con.execute("CREATE TABLE pages (i INTEGER, url VARCHAR)")
    con.executemany("INSERT INTO pages VALUES (?, ?)", list(enumerate(urls)))
    columns = SqlColumns(
        measure=lambda step, measure: "NULL",
        column=lambda name: f"d.{name}",
        list_of=lambda name: f"(SELECT coalesce(list(entry), []) FROM lists WHERE list = '{name}')",
        host_blocked="false",
        url_blocked="false",
    )
    select = (
        f"SELECT {url_rule.reason_sql(columns)} FROM (SELECT i, url, "
        + ", ".join(f"{sql} AS {name}" for name, sql in derived.items())
        + " FROM pages) AS d ORDER BY i"
    )
    return [row[0] for row in con.execute(select).fetchall()]


def python_reasons(url_rule: URLFilter, urls: list[str | None]) -> list[str | None]:
    return [url_rule.reason(Document(text="", url=u)) for u in urls]


def test_the_inlined_patterns_decide_as_datatroves_rule():
    rule = URLFilter()
    expected = python_reasons(rule, URLS)
    assert sql_reasons(rule, URLS) == expected
    assert {"hard_blacklisted", "soft_blacklisted", "blacklisted_subword", None} <= set(expected)


@pytest.mark.parametrize("threshold", [1, 3])
def test_the_soft_threshold_is_honoured(threshold):
    rule = URLFilter(soft_word_threshold=threshold)
    assert sql_reasons(rule, URLS) == python_reasons(rule, URLS)


def test_lists_longer_than_the_inline_cap_are_read_from_the_lake_table(monkeypatch):
    monkeypatch.setattr(url_filter, "INLINE_MAX_WORDS", 3)
    rule = URLFilter()
    assert (
        "regexp_matches"
        not in rule.reason_sql(SqlColumns(lambda s, m: "", lambda n: n, lambda n: f"L_{n}", "false", "false")).split(
            "THEN 'hard_blacklisted'"
        )[0]
    )
    assert sql_reasons(rule, URLS) == python_reasons(rule, URLS)
