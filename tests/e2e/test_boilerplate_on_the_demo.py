"""Repeated boilerplate lines on the demo lake's real crawl pages (Common Crawl 2019-30): Stack Exchange's
cookie-policy line across many sites, Norwegian Wikipedia's navigation line within one, found, counted per host by
dbt, and left out of the texts the lake hands on while the lake keeps them."""

import pytest

from curation.dedup.lines import normalized_line, without_lines

COOKIE_LINE = "by clicking “post your answer”, you agree to our terms of service, privacy policy and cookie policy"
NORWEGIAN_NAVIGATION = "hopp til navigering hopp til søk"


@pytest.fixture(scope="module")
def con(demo_lake):
    with demo_lake["lake"].lake().connect(read_only=True) as connection:
        yield connection


def found(con) -> dict[tuple[str, str], tuple[str, int]]:
    return {
        (scope, normalized_line(example)): (host, documents)
        for scope, host, example, documents in con.execute(
            "SELECT scope, host, example, documents FROM boilerplate_lines"
        ).fetchall()
    }


def test_a_banner_many_sites_share_and_one_sites_navigation_are_boilerplate(con):
    lines = found(con)
    assert lines[("corpus", COOKIE_LINE)] == ("*", 12)  # 12 Stack Exchange pages of 11 hosts
    assert lines[("host", NORWEGIAN_NAVIGATION)] == ("no.wikipedia.org", 8)  # every page of the host
    assert ("corpus", NORWEGIAN_NAVIGATION) not in lines  # 8 documents: below the corpus threshold (10)


def test_each_page_loses_exactly_its_boilerplate_lines_and_keeps_its_article(con):
    pages = con.execute(
        "SELECT d.doc_id, d.text, b.line_numbers, b.boilerplate_chars FROM documents d "
        "LEFT JOIN document_boilerplate b USING (doc_id) WHERE d.host = 'no.wikipedia.org' "
        "OR d.text ILIKE '%agree to our terms of service, privacy policy and cookie policy%'"
    ).fetchall()
    assert len(pages) == 8 + 12
    for doc_id, text, numbers, chars in pages:
        whole = [normalized_line(line) for line in text.split("\n")]
        assert COOKIE_LINE in whole or NORWEGIAN_NAVIGATION in whole  # the lake keeps the text whole
        cleaned = without_lines(text, numbers)
        left = {normalized_line(line) for line in cleaned.split("\n")}
        assert COOKIE_LINE not in left and NORWEGIAN_NAVIGATION not in left, doc_id
        assert chars == len(text) - len(cleaned)  # each dropped line with one line break
        assert len(cleaned) > 0.3 * len(text), doc_id  # the article stays
    total, dropped, documents = con.execute(
        "SELECT (SELECT sum(char_count) FROM documents), sum(boilerplate_chars), count(*) FROM document_boilerplate"
    ).fetchone()
    assert 0 < dropped < 0.1 * total and 20 <= documents < con.execute("SELECT count(*) FROM documents").fetchone()[0]


def test_the_dbt_mart_counts_boilerplate_per_host_as_the_lake_tables_do(con):
    marts = {
        host: (documents, with_boilerplate, lines, chars, templates)
        for host, documents, with_boilerplate, lines, chars, templates in con.execute(
            "SELECT host, documents, documents_with_boilerplate, boilerplate_lines, boilerplate_chars, "
            "template_lines FROM stats.boilerplate_by_host"
        ).fetchall()
    }
    expected = con.execute(
        "SELECT coalesce(d.host, '(no host)'), count(*), count(b.doc_id), coalesce(sum(b.boilerplate_lines), 0), "
        "coalesce(sum(b.boilerplate_chars), 0) FROM documents d LEFT JOIN document_boilerplate b USING (doc_id) "
        "GROUP BY 1"
    ).fetchall()
    assert {h: row[:4] for h, row in marts.items()} == {h: (n, w, lines, c) for h, n, w, lines, c in expected}
    templates = dict(
        con.execute("SELECT host, count(*) FROM boilerplate_lines WHERE scope = 'host' GROUP BY 1").fetchall()
    )
    assert {h: row[4] for h, row in marts.items() if row[4]} == templates
    assert marts["no.wikipedia.org"][:2] == (8, 8)
