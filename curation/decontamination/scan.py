"""Documents against every registered evaluation set: one `contamination` row per document and set that share at
least one n-gram. Free of Dagster, a batch function the compute engine maps (locally or on Ray workers)."""

import pyarrow as pa

from curation.decontamination.ngram_index import NGramIndex, find, ngram_hashes
from curation.lake import tables
from curation.lake.sql import sql_string

DOCUMENT_COLUMNS = ("doc_id", "crawl_file", "text")
SCHEMA = tables.CONTAMINATION.schema


def contamination_rows(documents: pa.Table | pa.RecordBatch, indexes: tuple[NGramIndex, ...]) -> pa.Table:
    columns = documents.select(list(DOCUMENT_COLUMNS)).to_pydict()
    rows = {name: [] for name in SCHEMA.names}
    sizes = sorted({index.n_grams for index in indexes})
    for doc_id, crawl_file, text in zip(columns["doc_id"], columns["crawl_file"], columns["text"], strict=True):
        hashes = {n: ngram_hashes(text or "", n) for n in sizes}  # each n-gram size once per document
        for index in indexes:
            match = find(index, hashes[index.n_grams])
            if match is None:
                continue
            for column, value in (
                ("doc_id", doc_id),
                ("crawl_file", crawl_file),
                ("benchmark", index.benchmark),
                ("benchmark_version", index.version),
                ("matched_ngrams", match.matched_ngrams),
                ("longest_span_words", match.longest_span_words),
                ("first_item", match.first_item),
                ("first_position", match.first_position),
            ):
                rows[column].append(value)
    return pa.table(rows, schema=SCHEMA)


def scans_sql(key_literal: str, indexes: tuple[NGramIndex, ...]) -> list[str]:
    """After a partition's contamination rows are written (same transaction): one `contamination_scans` row per
    set, saying the partition's documents were scanned against that version."""
    statements = []
    for index in indexes:
        name, version = sql_string(index.benchmark), sql_string(index.version)
        statements.append(
            f"INSERT INTO {tables.CONTAMINATION_SCANS.relation} "
            f"SELECT {key_literal}, {name}, {version}, {index.n_grams}, "
            f"(SELECT count(*) FROM {tables.DOCUMENTS.relation} WHERE crawl_file = {key_literal}), "
            f"(SELECT count(*) FROM {tables.CONTAMINATION.relation} WHERE crawl_file = {key_literal} "
            f"AND benchmark = {name}), now()"
        )
    return statements
