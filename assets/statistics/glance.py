"""What a data engineer reads at a glance on each dbt model's materialization: its row count, its first rows and,
for the distribution marts, the distribution itself as a Markdown table with a bar per row."""

import dagster as dg
import duckdb

from assets.metadata import markdown_table

SCHEMA = "stats"
PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 8
BAR_WIDTH = 24

# model -> (metadata key, query over stats.<model>, the numeric column drawn as a bar)
DISTRIBUTIONS: dict[str, tuple[str, str, str | None]] = {
    "corpus_funnel": (
        "funnel",
        "SELECT recipe, sum(pages) AS pages, sum(documents) AS documents, sum(kept) AS kept, "
        "sum(unique_documents) AS unique_documents, sum(rated) AS rated, sum(selected) AS selected "
        "FROM stats.corpus_funnel GROUP BY 1 ORDER BY 1",
        None,
    ),
    "filter_removals": (
        "top_removals",
        "SELECT recipe, filter, reason, sum(removed) AS removed, sum(failing) AS failing "
        "FROM stats.filter_removals GROUP BY ALL ORDER BY removed DESC, failing DESC LIMIT 15",
        "removed",
    ),
    "language_distribution": (
        "languages",
        "SELECT language, sum(documents) AS documents, sum(words) AS words "
        "FROM stats.language_distribution GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15",
        "documents",
    ),
    "recipe_languages": (
        "languages_kept",
        "SELECT recipe, language, kept, unique_documents, share_of_corpus FROM stats.recipe_languages "
        "WHERE unique_documents > 0 ORDER BY recipe, unique_documents DESC LIMIT 20",
        "unique_documents",
    ),
    "ratings_by_domain": (
        "overall_score_by_domain",
        "SELECT domain, documents, mean_score, score_1, score_2, score_3, score_4, score_5 "
        "FROM stats.ratings_by_domain WHERE criterion = 'overall_score' ORDER BY documents DESC, domain",
        "documents",
    ),
    "dedup_cluster_sizes": (
        "cluster_size_histogram",
        "SELECT size_bucket, sum(clusters) AS clusters, sum(documents) AS documents, sum(duplicates) AS duplicates "
        "FROM stats.dedup_cluster_sizes GROUP BY 1 ORDER BY min(cluster_size)",
        "documents",
    ),
    "mixture_composition": (
        "composition_vs_target",
        "SELECT recipe, phase, domain, target_share, achieved_share, share_gap, round(shortfall_tokens) AS shortfall "
        "FROM stats.mixture_composition ORDER BY recipe, phase, target_tokens DESC LIMIT 30",
        "achieved_share",
    ),
    "concept_terms": (
        "top_terms_per_domain",
        "SELECT domain, string_agg(term || ' (' || term_documents || ')', ', ' ORDER BY rank) AS top_terms "
        "FROM stats.concept_terms WHERE rank <= 8 GROUP BY 1 ORDER BY 1",
        None,
    ),
    "concept_pairs": (
        "top_pairs_per_domain",
        "SELECT domain, string_agg(term_a || '+' || term_b || ' ' || pmi, ', ' ORDER BY rank) AS top_pairs_by_pmi "
        "FROM stats.concept_pairs WHERE rank <= 5 GROUP BY 1 ORDER BY 1",
        None,
    ),
}


def readable(column: str, value):
    """A number as people read it in a preview: shares and rates as percentages, tokens as whole numbers with
    thousands separators, other fractions to four significant digits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    name = column.lower()
    if isinstance(value, float) and ("share" in name or name.endswith(("_rate", "_fraction", "_gap"))):
        return f"{100 * value:.1f}%"
    if "tokens" in name or "shortfall" in name:
        return f"{round(value):,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return value


def readable_rows(columns: list[str], rows: list[tuple]) -> list[tuple]:
    return [tuple(readable(c, v) for c, v in zip(columns, row, strict=True)) for row in rows]


def bar(value: float | None, largest: float) -> str:
    if not value or not largest or value <= 0:
        return ""
    return "█" * max(1, round(BAR_WIDTH * value / largest))


def distribution_table(con: duckdb.DuckDBPyConnection, query: str, bar_column: str | None) -> dg.MetadataValue:
    result = con.execute(query)
    columns = [d[0] for d in result.description]
    rows = result.fetchall()
    if bar_column is None:
        return markdown_table(columns, readable_rows(columns, rows), max_chars=240)
    at = columns.index(bar_column)
    largest = max((r[at] or 0 for r in rows), default=0)
    return markdown_table(
        [*columns, ""], [(*r, bar(raw[at], largest)) for r, raw in zip(readable_rows(columns, rows), rows, strict=True)]
    )


def model_metadata(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, dg.MetadataValue | int]:
    """Row count and preview of `stats.<name>` (a model or seed just built), plus its distribution if it has one;
    nothing where dbt did not build it."""
    exists = con.execute(
        "SELECT count(*) FROM (SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake' "
        "AND schema_name = ? AND table_name = ? UNION ALL SELECT view_name FROM duckdb_views() "
        "WHERE database_name = 'lake' AND schema_name = ? AND view_name = ?)",
        [SCHEMA, name, SCHEMA, name],
    ).fetchone()[0]
    if not exists:
        return {}
    relation = f'{SCHEMA}."{name}"'
    rows = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
    preview = con.execute(f"SELECT * FROM {relation} LIMIT {PREVIEW_ROWS}")
    columns = [d[0] for d in preview.description]
    keep = [i for i, c in enumerate(columns) if c != "text"][:PREVIEW_COLUMNS]
    metadata: dict = {
        "dagster/row_count": rows,
        "preview": markdown_table(
            [columns[i] for i in keep],
            readable_rows([columns[i] for i in keep], [tuple(r[i] for i in keep) for r in preview.fetchall()]),
        ),
    }
    if name in DISTRIBUTIONS:
        key, query, bar_column = DISTRIBUTIONS[name]
        metadata[key] = distribution_table(con, query, bar_column)
    return metadata
