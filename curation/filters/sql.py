"""A filter recipe compiled to SQL: DuckLake views over `quality_signals` + `documents`, so the filtered corpus is a
query, not a copy, and a new threshold is a new view over measurements already stored.

`<schema>.<recipe>__verdicts` has one row per measured document: each filter's reason (NULL: passes), `reason`,
the first rejection as `filter:reason` in the recipe's order, and `kept`. `<schema>.<recipe>` is the documents
it keeps, with every column of `documents`. The URL filter's lists live in `url_filter_lists`, one row per
(recipe, list, entry), and the per-language thresholds of FineWeb-2's filters in `filter_language_settings`, one
row per (recipe, language key), so the views read no file and any DuckDB client attached to the lake can query
them.
Views name tables with their schema (`main.documents`): DuckDB binds a view's names in the view's own catalog
and schema, so the views work under whatever alias a client attaches the lake.
"""

import pyarrow as pa

from curation.filters.base import SqlColumns
from curation.filters.language_settings import DEFAULT_KEY, THRESHOLDS
from curation.filters.per_language import PerLanguageFilter
from curation.filters.recipe import FilterRecipe
from curation.filters.url import LISTS, URLFilter, host_and_parents_sql
from curation.lake import tables

VIEW_SCHEMA = tables.FILTERED_SCHEMA
LISTS_TABLE = tables.URL_FILTER_LISTS.name
LISTS_SCHEMA = tables.URL_FILTER_LISTS.schema
SETTINGS_TABLE = tables.FILTER_LANGUAGE_SETTINGS
# values the URL rules read, computed once per document in the view's scan of documents
_DOCUMENT_DERIVED = URLFilter.derived_sql("url")
# what a recipe view decides from: quality_signals as s, documents as d, the recipe's URL lists
_COLUMNS = SqlColumns(
    measure=lambda step, measure: f's."{step}__{measure}"',
    column=lambda name: f"d.{name}" if name == "url" or name in _DOCUMENT_DERIVED else f"s.{name}",
    list_of=lambda name: f"(SELECT coalesce(list(entry), []) FROM lists WHERE list = '{name}')",
    host_blocked="s.doc_id IN (SELECT doc_id FROM blocked_hosts)",
    url_blocked="s.doc_id IN (SELECT doc_id FROM blocked_urls)",
)


def verdicts_view(recipe: FilterRecipe) -> str:
    return tables.verdicts_view(recipe.name)


def kept_view(recipe: FilterRecipe) -> str:
    return tables.filtered_view(recipe.name)


def list_rows(recipe: FilterRecipe, filters: list) -> pa.Table:
    url = next((f for f in filters if f.name == "url"), None)
    rows = [] if url is None else [(recipe.name, name, e) for name in LISTS for e in sorted(getattr(url, name))]
    recipes, lists, entries = zip(*rows, strict=True) if rows else ((), (), ())
    return pa.table([list(recipes), list(lists), list(entries)], schema=LISTS_SCHEMA)


def language_settings_rows(recipe: FilterRecipe, filters: list) -> pa.Table:
    """The recipe's per-language thresholds, one row per FineWeb-2 key (none where no filter reads them)."""
    per_language = [f for f in filters if isinstance(f, PerLanguageFilter)]
    merged: dict[str, dict] = {}
    for step in per_language:
        for key, values in step.settings_rows().items():
            merged.setdefault(key, {}).update(values)
    rows = [{"recipe": recipe.name, "key": key, **{n: v.get(n) for n in THRESHOLDS}} for key, v in merged.items()]
    return pa.Table.from_pylist(rows, schema=SETTINGS_TABLE.schema)


def verdicts_select(recipe: FilterRecipe, filters: list) -> str:
    reasons = ",\n    ".join(f"{step.reason_sql(_COLUMNS)} AS {step.name}_reason" for step in filters)
    first = ", ".join(f"'{step.name}:' || {step.name}_reason" for step in filters)
    docs, signals = tables.DOCUMENTS.relation, tables.QUALITY_SIGNALS.relation
    derived = ", ".join(f"{sql} AS {name}" for name, sql in _DOCUMENT_DERIVED.items())
    return f"""
WITH lists AS (SELECT list, entry FROM {tables.URL_FILTER_LISTS.relation} WHERE recipe = '{recipe.name}'),
settings AS (SELECT * FROM {SETTINGS_TABLE.relation} WHERE recipe = '{recipe.name}'),
blocked_hosts AS (
    SELECT DISTINCT h.doc_id
    FROM (
        SELECT doc_id, unnest({host_and_parents_sql("host")}) AS domain FROM {docs} WHERE host IS NOT NULL
    ) AS h
    JOIN lists ON lists.list = 'blocked_domains' AND lists.entry = h.domain
),
blocked_urls AS (
    SELECT DISTINCT d.doc_id FROM {docs} AS d JOIN lists ON lists.list = 'blocked_urls' AND lists.entry = d.url
),
decided AS (
    SELECT s.doc_id, s.crawl_file, s.language, s.language_score, s.language_key,
    {reasons}
    FROM {signals} AS s
    JOIN (SELECT doc_id, crawl_file, url, {derived} FROM {docs}) AS d USING (crawl_file, doc_id)
    LEFT JOIN settings AS t ON t.key = coalesce(s.language_key, '{DEFAULT_KEY}')
)
SELECT *, coalesce({first}) AS reason, reason IS NULL AS kept, '{recipe.name}' AS recipe
FROM decided"""


def kept_select(recipe: FilterRecipe) -> str:
    return f"""
SELECT d.*
FROM {tables.DOCUMENTS.relation} AS d
JOIN {verdicts_view(recipe)} AS v USING (crawl_file, doc_id)
WHERE v.kept"""
