"""The deduplicated corpus of a filter recipe, as SQL: a view, so it follows the recipe and the clusters."""

from curation.lake import tables


def deduplicated_view_sql(recipe: str) -> str:
    """The recipe's kept documents, one per cluster: the earliest fetched among those the recipe keeps, so a
    cluster whose overall representative was filtered out still contributes its best kept member."""
    return f"""
SELECT f.*, coalesce(c.cluster_id, f.doc_id) AS cluster_id, coalesce(c.cluster_size, 1) AS cluster_size
FROM {tables.filtered_view(recipe)} AS f
LEFT JOIN {tables.DEDUP_CLUSTERS.relation} AS c USING (doc_id)
QUALIFY row_number() OVER (
    PARTITION BY coalesce(c.cluster_id, f.doc_id) ORDER BY f.fetch_date NULLS LAST, f.doc_id
) = 1"""
