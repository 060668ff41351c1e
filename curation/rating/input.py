"""What the rater scores, as SQL: every document some filter recipe keeps after deduplication, once."""

from curation.lake import tables


def rating_input_sql(recipes: list[str]) -> str:
    """Every document kept by at least one recipe after deduplication, once."""
    union = " UNION ".join(f"SELECT doc_id FROM {tables.deduplicated_view(name)}" for name in recipes)
    return f"""
SELECT d.doc_id, d.crawl_file, d.url, d.text, d.language, d.language_score
FROM {tables.DOCUMENTS.relation} AS d
WHERE d.doc_id IN ({union})"""
