"""A filter recipe compiled to SQL: DuckLake views over `quality_signals` + `documents`, so the filtered corpus is a
query, not a copy, and a new threshold is a new view over measurements already stored.

`<schema>.<recipe>__verdicts` has one row per measured document: each filter's reason (NULL: passes), `reason`,
the first rejection as `filter:reason` in the recipe's order, and `kept`. `<schema>.<recipe>` is the documents
it keeps, with every column of `documents`. The URL filter's lists live in `url_filter_lists`, one row per
(recipe, list, entry), so the views read no file and any DuckDB client attached to the lake can query them.
Views name tables with their schema (`main.documents`): DuckDB binds a view's names in the view's own catalog
and schema, so the views work under whatever alias a client attaches the lake.
"""

import pyarrow as pa

from assets.transforms.filters.url import LISTS, host_and_parents_sql
from assets.transforms.recipes import FilterRecipe

VIEW_SCHEMA = "filtered_documents"
LISTS_TABLE = "url_filter_lists"
LISTS_SCHEMA = pa.schema([("recipe", pa.string()), ("list", pa.string()), ("entry", pa.string())])


def verdicts_view(recipe: FilterRecipe) -> str:
    return f"{VIEW_SCHEMA}.{recipe.name}__verdicts"


def kept_view(recipe: FilterRecipe) -> str:
    return f"{VIEW_SCHEMA}.{recipe.name}"


def list_rows(recipe: FilterRecipe, filters: list) -> pa.Table:
    url = next((f for f in filters if f.name == "url"), None)
    rows = [] if url is None else [(recipe.name, name, e) for name in LISTS for e in sorted(getattr(url, name))]
    recipes, lists, entries = zip(*rows, strict=True) if rows else ((), (), ())
    return pa.table([list(recipes), list(lists), list(entries)], schema=LISTS_SCHEMA)


def _reason_sql(step) -> str:
    from assets.transforms.filters.rules import sql_case

    if step.name == "language":
        return step.reason_sql(lambda column: f"s.{column}")
    if step.name == "url":
        return step.reason_sql(
            "d.url",
            "s.doc_id IN (SELECT doc_id FROM blocked_hosts)",
            "s.doc_id IN (SELECT doc_id FROM blocked_urls)",
            lambda name: f"(SELECT coalesce(list(entry), []) FROM lists WHERE list = '{name}')",
        )
    return sql_case(step.rules(), lambda measure: f's."{step.name}__{measure}"')


def verdicts_select(recipe: FilterRecipe, filters: list) -> str:
    reasons = ",\n    ".join(f"{_reason_sql(step)} AS {step.name}_reason" for step in filters)
    first = ", ".join(f"'{step.name}:' || {step.name}_reason" for step in filters)
    return f"""
WITH lists AS (SELECT list, entry FROM main.{LISTS_TABLE} WHERE recipe = '{recipe.name}'),
blocked_hosts AS (
    SELECT DISTINCT h.doc_id
    FROM (
        SELECT doc_id, unnest({host_and_parents_sql("host")}) AS domain FROM main.documents WHERE host IS NOT NULL
    ) AS h
    JOIN lists ON lists.list = 'blocked_domains' AND lists.entry = h.domain
),
blocked_urls AS (
    SELECT DISTINCT d.doc_id FROM main.documents AS d JOIN lists ON lists.list = 'blocked_urls' AND lists.entry = d.url
),
decided AS (
    SELECT s.doc_id, s.crawl_file, s.language, s.language_score,
    {reasons}
    FROM main.quality_signals AS s
    JOIN main.documents AS d USING (crawl_file, doc_id)
)
SELECT *, coalesce({first}) AS reason, reason IS NULL AS kept, '{recipe.name}' AS recipe
FROM decided"""


def kept_select(recipe: FilterRecipe) -> str:
    return f"""
SELECT d.*
FROM main.documents AS d
JOIN {verdicts_view(recipe)} AS v USING (crawl_file, doc_id)
WHERE v.kept"""
