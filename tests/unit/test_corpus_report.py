"""The corpus report's page: self-contained (nothing loaded from elsewhere), one figure per chart with the number
of bars the browser check expects, numbers formatted for reading."""

import re

from curation.insight.report import Chart, render


def charts() -> list[Chart]:
    return [
        Chart("languages", "Documents per language", [("en", [120.0]), ("de", [30.0]), ("fr", [0.0])]),
        Chart(
            "mixture-mix-main",
            "Mixture mix, phase main",
            [("Law", [0.25, 0.2]), ("Medicine", [0.75, 0.8])],
            ["target", "achieved"],
            fmt=lambda v: f"{100 * v:.1f}%",
        ),
        Chart("clusters", "Duplicate clusters by size", []),
    ]


def test_each_chart_is_a_figure_with_its_bars_counted_for_the_browser_check():
    page = render(charts(), snapshot_id=42)
    figures = re.findall(r'<figure class="chart" data-chart="([^"]+)" data-bars="(\d+)" data-drawn="no">', page)
    assert figures == [("languages", "2"), ("mixture-mix-main", "4"), ("clusters", "0")]  # a zero draws no bar
    assert page.count('class="bar"') == 7  # the zero is a rect of no width, not counted as drawn
    assert "no rows in this build" in page and "lake snapshot 42" in page


def test_the_page_loads_nothing_from_elsewhere_and_shows_shares_as_percentages():
    page = render(charts(), snapshot_id=1)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "default-src 'none'" in page  # the page's own policy forbids fetching anything
    assert ">75.0%<" in page and ">80.0%<" in page and ">120<" in page


def test_labels_are_escaped():
    page = render([Chart("x", "<b>title</b>", [("<script>alert(1)</script>", [1.0])])], snapshot_id=1)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
