"""`document_tokens`: real token counts for every document a tokenizer-counting mixture recipe can select, filled
only where a count is missing or stale (curation.tokens.counts), so a new crawl partition costs its own documents."""

from functools import partial

import dagster as dg
import pyarrow as pa

from assets.keys import deduplicated_documents_key
from assets.metadata import column_schema, markdown_table
from assets.mixtures import GROUP
from assets.resources import ComputeResource, LakeResource
from curation.lake import tables
from curation.mixtures.recipe import MixtureRecipe
from curation.output import fixes
from curation.recipes import Recipes
from curation.tokens import counts
from curation.tokens.tokenizer_files import TokenizerError, open_tokenizer

DOCUMENT_TOKENS = tables.DOCUMENT_TOKENS


def tokenizer_uses(mixtures: dict[str, MixtureRecipe]) -> dict[tuple[str, str, str], set[str]]:
    """(tokenizer name, end-of-document token, boilerplate setting) -> the filter recipes whose documents need it."""
    uses: dict[tuple[str, str, str], set[str]] = {}
    for recipe in mixtures.values():
        counting = recipe.token_counting
        if counting.method == "tokenizer":
            key = (counting.tokenizer, counting.eos_token, recipe.boilerplate_lines)
            uses.setdefault(key, set()).update(s.filter_recipe for s in recipe.streams)
    return uses


def document_tokens_asset(recipes: Recipes) -> dg.AssetsDefinition:
    uses = tokenizer_uses(recipes.mixtures)
    filters = sorted(set().union(*uses.values())) if uses else []

    @dg.asset(
        name=DOCUMENT_TOKENS.name,
        deps=[
            *(deduplicated_documents_key(name) for name in filters),
            tables.DOCUMENT_LINES.name,
            tables.DOCUMENT_BOILERPLATE.name,
            tables.DOCUMENT_OUTPUT_FIXES.name,  # texts it found unchanged skip the fixes
        ],
        group_name=GROUP,
        kinds={"ducklake", "tokenizers"},
        description="Tokens per document and tokenizer (Hugging Face tokenizers, tokenizers/<name>.json), counted on "
        "the text shards hold, for the documents tokenizer-counting mixture recipes can select; only missing or "
        "stale counts are computed.",
        metadata={
            "dagster/table_name": f"lake.{DOCUMENT_TOKENS.relation}",
            "dagster/column_schema": column_schema(DOCUMENT_TOKENS.schema),
        },
    )
    def document_tokens(context: dg.AssetExecutionContext, lake: LakeResource, compute: ComputeResource):
        store = lake.lake()
        store.create_missing_tables(
            {t.name: t.schema for t in (DOCUMENT_TOKENS, tables.DOCUMENT_LINES, tables.DOCUMENT_BOILERPLATE)}
        )
        engine = compute.compute()
        done = []
        for (name, eos, mode), needed in sorted(uses.items()):
            try:
                tokenizer = open_tokenizer(name, eos)
            except TokenizerError as error:
                raise dg.Failure(str(error)) from None
            with store.connect(read_only=True) as con:
                con.execute("SET SESSION preserve_insertion_order = false")
                stored_fixes = fixes.stored_fixes_sql(con, counts.output_text_sql(mode))
                texts = con.execute(counts.missing_texts_sql(sorted(needed), tokenizer.id, mode, stored_fixes))
                reader = texts.to_arrow_reader(engine.rows_per_batch)
                batches = (b for b in reader if b.num_rows)
                counted = pa.concat_tables(
                    [counts.COUNTED.empty_table()]
                    + list(engine.map_batches(partial(counts.token_counts, tokenizer=tokenizer), batches))
                )
                gone = con.execute(counts.gone_sql()).fetchone()[0]
            done.append((tokenizer.id, mode, ", ".join(sorted(needed)), counted.num_rows))
            if not counted.num_rows and not gone:
                continue  # nothing to write: no new lake snapshot
            with store.transaction(message=f"token counts by {tokenizer.id} ({mode} boilerplate lines)") as con:
                con.register("_counted", counted)
                for statement in counts.store_statements(tokenizer.id, mode):
                    con.execute(statement)
                con.unregister("_counted")
        with store.connect(read_only=True) as con:
            stored = con.execute(
                f"SELECT tokenizer, boilerplate_lines, count(*), sum(tokens) FROM {DOCUMENT_TOKENS.relation} "
                "GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": sum(n for _, _, n, _ in stored),
                "counted_this_run": sum(d[3] for d in done),
                "counted": markdown_table(["tokenizer", "boilerplate lines", "filter recipes", "counted now"], done),
                "stored": markdown_table(["tokenizer", "boilerplate lines", "documents", "tokens"], stored),
                "compute": engine.name,
            }
        )

    return document_tokens
