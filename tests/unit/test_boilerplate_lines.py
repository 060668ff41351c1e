"""Line signals and the SQL that leaves boilerplate lines out: the Python reference and DuckDB agree line for line."""

import duckdb
import pyarrow as pa
import pytest

from curation.dedup.boilerplate import BoilerplateRule, clean_text_sql
from curation.dedup.lines import line_hash, line_signals, without_lines

pytestmark = pytest.mark.unit

TEXTS = [
    "Accept all cookies\nThe article itself.\n\nShare on Facebook",
    "single line",
    "",
    "\n\ntrailing blank lines\n\n",
    "crlf line\r\nnext\r\n",
    "unicode: Grüße 😀\n\u00a0\nÜbersicht",
]


def test_lines_compare_case_folded_with_whitespace_collapsed():
    assert line_hash("  Jump to   navigation\tJump to search ") == line_hash("jump to navigation jump to search")
    assert line_hash("Hopp til navigering") != line_hash("Hopp til søk")
    assert line_hash("") is None and line_hash(" \t\r") is None and line_hash("\u00a0") is None
    assert line_hash("Home") == line_hash("HOME")


def test_one_hash_characters_and_words_per_line_in_text_order():
    table = line_signals(
        pa.table({"doc_id": ["d1"], "crawl_file": ["f"], "host": ["example.org"], "text": [TEXTS[0]]})
    ).to_pylist()[0]
    assert table["line_hashes"] == [line_hash("accept all cookies"), line_hash("The article itself."), None,
                                    line_hash("share on facebook")]  # fmt: skip
    assert table["line_chars"] == [18, 19, 0, 17]
    assert table["line_words"] == [3, 3, 0, 3]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("numbers", [None, [], [1], [2, 3], [1, 2, 3, 4, 5], [4, 99]])
def test_sql_leaves_out_the_same_lines_as_the_python_reference(text, numbers):
    con = duckdb.connect()
    got = con.execute(
        f"SELECT {clean_text_sql('t', 'n')} FROM (SELECT ?::VARCHAR AS t, ?::INTEGER[] AS n)", [text, numbers]
    ).fetchone()[0]
    assert got == without_lines(text, numbers)


def test_lines_are_left_out_by_position_and_the_rest_kept_as_it_was():
    assert without_lines(TEXTS[0], [1, 4]) == "The article itself.\n"
    assert without_lines("a\nb\nc", [2, 7]) == "a\nc"
    assert without_lines("a\nb", None) == "a\nb"


def test_a_line_needs_at_least_two_documents_to_be_boilerplate():
    with pytest.raises(ValueError, match=">= 2"):
        BoilerplateRule(host_min_documents=1)
