"""The corpus report: one self-contained HTML page of charts over the published statistics (`stats.*`), written
after each statistics build. Offline by construction: the charts are inline SVG drawn here, the page loads
nothing (no CDN, no font, no script from elsewhere); a few lines of inline script mark each chart drawn once the
browser has laid out its bars (`data-drawn`), which is what the headless-browser test reads.

Charts: the funnel per filter recipe (pages -> documents -> kept -> unique -> rated -> selected, one bar per crawl
partition), removals per filter and reason, documents per language, the overall rating by domain, duplicate
cluster sizes, and each mixture's target vs achieved share per phase and domain.
"""

import html
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from curation.lake.tables import STATISTICS_SCHEMA

REPORT_FILE = "corpus_report.html"
PALETTE = ("#3b6ea8", "#e08a2c", "#4c9a5b", "#b5485d", "#7a5ea8", "#8c6d46", "#4aa3a3", "#999999")
FUNNEL_STAGES = ("pages", "documents", "kept", "unique_documents", "rated", "selected")
MAX_BARS = 15


@dataclass
class Chart:
    """A horizontal bar chart: groups of bars (one per series), values formatted by `fmt`."""

    name: str
    title: str
    groups: list[tuple[str, list[float]]]
    series: list[str] = field(default_factory=lambda: [""])
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}"
    note: str = ""


def _svg(chart: Chart) -> str:
    label_w, bar_w, value_w, bar_h, gap = 230, 400, 90, 14, 8
    width = label_w + bar_w + value_w
    per_row, item_w = 3, (width - 10) // 3  # legend: three series a row, names cut to fit (full name on hover)
    legend_h = 20 * -(-len(chart.series) // per_row) if len(chart.series) > 1 else 0
    top = max((max(values, default=0) for _, values in chart.groups), default=0) or 1
    height = legend_h + sum(len(values) * bar_h + gap for _, values in chart.groups) + gap
    parts = []
    for i, name in enumerate(chart.series if legend_h else []):
        x, y_legend = 10 + (i % per_row) * item_w, 4 + 20 * (i // per_row)
        short = name if len(name) <= 32 else name[:31] + "…"
        parts.append(f'<rect x="{x}" y="{y_legend}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(
            f'<text x="{x + 16}" y="{y_legend + 10}"><title>{html.escape(name)}</title>{html.escape(short)}</text>'
        )
    y = legend_h + gap
    for label, values in chart.groups:
        block = len(values) * bar_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + block / 2 + 4:.1f}" text-anchor="end">{html.escape(label[:40])}</text>'
        )
        for i, value in enumerate(values):
            width = max(bar_w * value / top, 1 if value else 0)
            color = PALETTE[i % len(PALETTE)]
            parts.append(
                f'<rect class="bar" x="{label_w}" y="{y + i * bar_h}" width="{width:.1f}" height="{bar_h - 2}" '
                f'fill="{color}"><title>{html.escape(label)} {html.escape(chart.series[i])}: '
                f"{html.escape(chart.fmt(value))}</title></rect>"
            )
            parts.append(
                f'<text x="{label_w + width + 4:.1f}" y="{y + i * bar_h + bar_h - 4}" class="value">'
                f"{html.escape(chart.fmt(value))}</text>"
            )
        y += block + gap
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{html.escape(chart.title)}">{"".join(parts)}</svg>'
    )


def _figure(chart: Chart) -> str:
    bars = sum(1 for _, values in chart.groups for v in values if v)
    note = f"<p class='note'>{html.escape(chart.note)}</p>" if chart.note else ""
    body = _svg(chart) if chart.groups else "<p class='empty'>no rows in this build</p>"
    return (
        f'<figure class="chart" data-chart="{html.escape(chart.name)}" data-bars="{bars}" data-drawn="no">'
        f"<figcaption>{html.escape(chart.title)}</figcaption>{body}{note}</figure>"
    )


def _exists(con: duckdb.DuckDBPyConnection, model: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ? "
            "AND table_name = ?",
            [STATISTICS_SCHEMA, model],
        ).fetchone()[0]
        + con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() AND schema_name = ? "
            "AND view_name = ?",
            [STATISTICS_SCHEMA, model],
        ).fetchone()[0]
    )


def _query(con, model: str, sql: str) -> list[tuple]:
    return con.execute(sql.format(m=f"{STATISTICS_SCHEMA}.{model}")).fetchall() if _exists(con, model) else []


def _percent(v: float) -> str:
    return f"{100 * v:.1f}%"


def funnel_charts(con) -> list[Chart]:
    rows = _query(
        con, "corpus_funnel", f"SELECT recipe, crawl_file, {', '.join(FUNNEL_STAGES)} FROM {{m}} ORDER BY 1, 2"
    )
    by_recipe: dict[str, list[tuple]] = defaultdict(list)
    for recipe, crawl_file, *values in rows:
        by_recipe[recipe].append((crawl_file, values))
    charts = []
    for recipe, partitions in sorted(by_recipe.items()):
        names = [Path(p).name for p, _ in partitions]
        groups = [
            (stage.replace("_", " "), [float(v[i] or 0) for _, v in partitions])
            for i, stage in enumerate(FUNNEL_STAGES)
        ]
        charts.append(
            Chart(f"funnel-{recipe}", f"Funnel under the {recipe} filter recipe, per crawl partition", groups, names)
        )
    return charts


def removal_charts(con) -> list[Chart]:
    rows = _query(
        con,
        "filter_removals",
        "SELECT recipe, filter || ':' || reason, sum(removed)::BIGINT FROM {m} GROUP BY 1, 2 HAVING sum(removed) > 0 "
        "ORDER BY 1, 3 DESC, 2",
    )
    by_recipe: dict[str, list] = defaultdict(list)
    for recipe, rule, removed in rows:
        by_recipe[recipe].append((rule, [float(removed)]))
    return [
        Chart(
            f"removals-{recipe}",
            f"Documents removed by the {recipe} recipe, by first rejecting rule",
            groups[:MAX_BARS],
        )
        for recipe, groups in sorted(by_recipe.items())
    ]


def language_chart(con) -> Chart:
    rows = _query(
        con,
        "language_distribution",
        f"SELECT language, sum(documents)::BIGINT FROM {{m}} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MAX_BARS}",
    )
    return Chart("languages", "Documents per language (lid.176)", [(lang, [float(n)]) for lang, n in rows])


def rating_chart(con) -> Chart:
    rows = _query(
        con,
        "ratings_by_domain",
        "SELECT domain, mean_score, documents FROM {m} WHERE criterion = 'overall_score' ORDER BY 2 DESC, 1",
    )
    return Chart(
        "ratings",
        "Mean overall rating (1-5) by domain",
        [(f"{domain} ({n:,} docs)", [float(score or 0)]) for domain, score, n in rows],
        fmt=lambda v: f"{v:.2f}",
    )


def cluster_chart(con) -> Chart:
    rows = _query(
        con,
        "dedup_cluster_sizes",
        "SELECT size_bucket, sum(clusters)::BIGINT, sum(documents)::BIGINT FROM {m} "
        "GROUP BY 1 ORDER BY min(cluster_size)",
    )
    return Chart(
        "clusters",
        "Duplicate clusters by size",
        [(f"size {bucket}", [float(c), float(d)]) for bucket, c, d in rows],
        ["clusters", "documents"],
    )


def mixture_charts(con) -> list[Chart]:
    rows = _query(
        con,
        "mixture_composition",
        "SELECT recipe, phase, coalesce(domain, '-'), target_share, achieved_share FROM {m} ORDER BY 1, 2, 4 DESC, 3",
    )
    cells: dict[tuple[str, str], list] = defaultdict(list)
    for recipe, phase, domain, target, achieved in rows:
        cells[(recipe, phase)].append((domain, [float(target or 0), float(achieved or 0)]))
    return [
        Chart(
            f"mixture-{recipe}-{phase}",
            f"Mixture {recipe}, phase {phase}: target vs achieved share of tokens",
            groups[:MAX_BARS],
            ["target", "achieved"],
            fmt=_percent,
        )
        for (recipe, phase), groups in sorted(cells.items())
    ]


def charts(con: duckdb.DuckDBPyConnection) -> list[Chart]:
    """Every chart of the report, from the statistics as `con` sees them (the live `stats` schema)."""
    return [
        *funnel_charts(con),
        *removal_charts(con),
        language_chart(con),
        rating_chart(con),
        cluster_chart(con),
        *mixture_charts(con),
    ]


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
h1 { font-size: 22px; } figure { margin: 18px 0; padding: 12px; border: 1px solid #ddd; border-radius: 6px; }
figcaption { font-weight: 600; margin-bottom: 8px; } svg text { font-size: 12px; fill: #333; }
svg text.value { fill: #555; } .note, .empty { color: #666; }
"""
# marks each chart drawn once the browser has laid out as many visible bars as the chart holds
_CHECK = """
for (const figure of document.querySelectorAll("figure.chart")) {
  const drawn = [...figure.querySelectorAll("rect.bar")].filter(r => r.getBBox().width > 0).length;
  figure.dataset.drawn = drawn === Number(figure.dataset.bars) ? "yes" : "no";
}
"""


def render(chart_list: list[Chart], snapshot_id: int, built_at: datetime | None = None) -> str:
    built = (built_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    figures = "\n".join(_figure(c) for c in chart_list)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'\">"
        f"<title>Corpus report, lake snapshot {snapshot_id}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Corpus report</h1><p>Lake snapshot {snapshot_id}, statistics built {built}. "
        f"{len(chart_list)} charts from the dbt models in <code>lake.{STATISTICS_SCHEMA}</code>.</p>"
        f"{figures}<script>{_CHECK}</script></body></html>\n"
    )


def write_report(con: duckdb.DuckDBPyConnection, folder: Path, snapshot_id: int) -> tuple[Path, int]:
    """Write the report into `folder` (atomically: a reader never sees half a page); return its path and charts."""
    chart_list = charts(con)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REPORT_FILE
    staged = folder / f".{REPORT_FILE}.{os.getpid()}.tmp"
    staged.write_text(render(chart_list, snapshot_id), encoding="utf-8")
    os.replace(staged, path)
    return path, len(chart_list)
