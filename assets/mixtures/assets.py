"""Mixture manifests and training shards: one pair of assets per recipe file in recipes/mixtures/.

The recipes are validated when the code location loads (a bad recipe is refused before any data is touched, with
its field and reason); each manifest is computed from one pinned lake snapshot and gated by a blocking Great
Expectations suite and a target check before its shards are written.
"""

import dagster as dg
from pydantic import Field

from assets.broken_recipe import broken_recipe_asset, safe_asset_name
from assets.checks import expectation_check
from assets.keys import deduplicated_documents_key, manifest_key, shards_key
from assets.metadata import column_schema, markdown_table
from assets.mixtures import GROUP
from assets.mixtures.tokens import document_tokens_asset
from assets.resources import LakeResource, ShardStoreResource
from curation.decontamination.benchmarks import BenchmarkError
from curation.lake import tables
from curation.mixtures import manifest as mixture
from curation.mixtures import store as stored
from curation.mixtures.recipe import MixtureRecipe
from curation.mixtures.targets import documents_over_cap, largest_copy_tokens, target_problems
from curation.project import PROJECT_ROOT
from curation.recipes import Recipes

MIXTURE_MANIFESTS = tables.MANIFESTS_SCHEMA  # asset key prefix and lake schema: one table per recipe
TRAINING_SHARDS = "training_shards"
QUALITY_RATINGS = tables.QUALITY_RATINGS.name
CHECK_MANIFEST = "mixture_manifest_expectations"  # expectations/mixture_manifest.json
CHECK_TARGETS = "targets_met_or_shortfall_recorded"
CHECK_NO_ADDRESSES = "no_addresses_in_shards"
CHECK_DECONTAMINATED = "no_contaminated_documents"


class MixtureManifestConfig(dg.Config):
    lake_snapshot: int | None = Field(
        default=None,
        ge=0,
        description="Compute from this lake snapshot (to reproduce an earlier manifest); default: the current one",
    )


def read_manifest(lake: LakeResource, recipe: str):
    """(rows, summary) of a recipe's stored manifest."""
    try:
        return stored.read_manifest(lake.lake(), recipe)
    except stored.ManifestMissingError as error:
        raise dg.Failure(f"{error} ({manifest_key(recipe).to_user_string()})") from error


def mixture_manifest_asset(recipe: MixtureRecipe, source: str) -> dg.AssetsDefinition:
    key = manifest_key(recipe.name)
    deps = sorted({s.filter_recipe for s in recipe.streams})

    @dg.asset(
        key=key,
        deps=[
            *(deduplicated_documents_key(name) for name in deps),
            QUALITY_RATINGS,
            tables.DOCUMENT_BOILERPLATE.name,
            tables.CONTAMINATION.name,
            tables.CONTAMINATION_SCANS.name,
            *([tables.DOCUMENT_TOKENS.name] if recipe.token_counting.method == "tokenizer" else []),
        ],
        group_name=GROUP,
        code_version=recipe.sha256[:16],
        kinds={"ducklake", "sql"},
        description=f"The `{recipe.name}` mixture ({source}): which documents, how many copies, in which phase, "
        f"for {recipe.token_budget:,} tokens. {recipe.description}".strip(),
        metadata={
            "recipe_file": source,
            "recipe_sha256": recipe.sha256,
            "dagster/table_name": f"lake.{tables.manifest_table(recipe.name)}",
            "dagster/column_schema": column_schema(mixture.MANIFEST),
        },
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_MANIFEST,
                asset=key,
                blocking=True,
                description="Great Expectations suite expectations/mixture_manifest.json: schema, one row per "
                "document, phase and stream, repeats within the cap, tokens positive, known domains",
            ),
            dg.AssetCheckSpec(
                CHECK_TARGETS,
                asset=key,
                blocking=True,
                description="every target cell is met within 1% (or one document), or its shortfall is recorded",
            ),
            dg.AssetCheckSpec(
                CHECK_DECONTAMINATED,
                asset=key,
                blocking=True,
                description="no document of the manifest is flagged by the contamination scan for a registered "
                "evaluation set (unless the recipe says decontamination: keep, which the summary records)",
            ),
        ],
    )
    def _manifest(context: dg.AssetExecutionContext, config: MixtureManifestConfig, lake: LakeResource):
        try:  # a broken benchmarks/ registry fails the manifests before they read any data
            benchmarks = mixture.benchmark_versions()
        except BenchmarkError as error:
            raise dg.Failure(str(error)) from None
        store = lake.lake()
        with store.connect(read_only=True) as con:
            current = store.snapshot_id(con)
        snapshot = current if config.lake_snapshot is None else config.lake_snapshot
        if snapshot > current:
            raise dg.Failure(f"lake_snapshot {snapshot} is ahead of the lake (current snapshot {current})")
        with store.connect(snapshot=snapshot) as con:
            missing = [
                tables.deduplicated_view(name)
                for name in deps
                if not con.execute(
                    "SELECT count(*) FROM duckdb_views() WHERE database_name = 'lake' AND schema_name = ? "
                    "AND view_name = ?",
                    [tables.DEDUPLICATED_SCHEMA, name],
                ).fetchone()[0]
            ]
            inputs = store.table_snapshots(con, mixture.INPUT_TABLES)
            needed = ("documents", "dedup_clusters", "quality_ratings")
            needed += (tables.DOCUMENT_BOILERPLATE.name,) if recipe.boilerplate_lines == "drop" else ()
            needed += (tables.DOCUMENT_TOKENS.name,) if recipe.token_counting.method == "tokenizer" else ()
            if recipe.decontamination == "exclude" and benchmarks:
                needed += (tables.CONTAMINATION.name, tables.CONTAMINATION_SCANS.name)
            missing += [t for t in needed if inputs[t] is None]
            if missing:
                raise dg.Failure(f"snapshot {snapshot} has no {', '.join(missing)}: materialize the corpus and ratings")
            result = mixture.compute_manifest(con, recipe, snapshot, inputs)
            contaminated = mixture.contaminated_rows(con, result.rows, inputs)
        stored.store_manifest(store, recipe, result)
        summary = result.summary
        by_phase = [
            (p["phase"], d["domain"], d["target_tokens"], d["achieved_tokens"], d["target_share"], d["achieved_share"])
            for p in summary["phases"]
            for d in p["domains"]
        ]
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows.num_rows,
                "lake_snapshot_id": snapshot,
                "recipe_sha256": recipe.sha256,
                "code_version": summary["code_version"],
                "token_budget": recipe.token_budget,
                "achieved_tokens": summary["achieved_tokens"],
                "documents": summary["documents"],
                "copies": summary["copies"],
                "shortfalls": len(summary["shortfalls"]),
                "composition": markdown_table(
                    ["phase", "domain", "target tokens", "achieved tokens", "target share", "achieved share"],
                    by_phase,
                ),
                "languages": markdown_table(
                    ["language", "tokens", "share"], [tuple(x.values()) for x in summary["languages"][:15]]
                ),
                "summary": dg.MetadataValue.json(summary),
            }
        )
        yield expectation_check(CHECK_MANIFEST, key, result.rows, "mixture_manifest")
        decontaminated = summary["decontamination"]
        yield dg.AssetCheckResult(
            check_name=CHECK_DECONTAMINATED,
            asset_key=key,
            passed=contaminated == 0 or recipe.decontamination == "keep",
            metadata={
                "mode": recipe.decontamination,
                "contaminated_documents_in_manifest": contaminated,
                "benchmarks": markdown_table(["set", "version"], sorted(decontaminated["benchmarks"].items())),
            },
        )
        problems = target_problems(result.cells, largest_copy_tokens(result.rows))
        over_cap = documents_over_cap(result.rows, recipe.max_repeats)
        yield dg.AssetCheckResult(
            check_name=CHECK_TARGETS,
            asset_key=key,
            passed=not problems and over_cap == 0,
            metadata={
                "cells": result.cells.num_rows,
                "cells_with_shortfall": len(summary["shortfalls"]),
                "cells_off_target": markdown_table(["phase", "stream", "domain", "target", "gap"], problems[:20]),
                "documents_over_the_cap": over_cap,
            },
        )

    return _manifest


def training_shards_asset(recipe: MixtureRecipe) -> dg.AssetsDefinition:
    @dg.asset(
        key=shards_key(recipe.name),
        deps=[manifest_key(recipe.name)],
        group_name=GROUP,
        code_version=recipe.sha256[:16],
        kinds={recipe.shards.format},
        description=f"The `{recipe.name}` manifest written as shuffled {recipe.shards.format} shards (at most "
        f"{recipe.shards.max_bytes:,} text bytes each, plus one document) with index.json, readable without "
        "this project; texts fixed on the way out (ftfy, e-mail and IP placeholders, `|` table lines).",
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_NO_ADDRESSES,
                asset=shards_key(recipe.name),
                blocking=True,
                description="every shard read back (Megatron shards decoded): no e-mail or public IPv4/IPv6 address "
                "other than the placeholders",
            )
        ],
    )
    def _shards(context: dg.AssetExecutionContext, lake: LakeResource, shards: ShardStoreResource):
        from curation.mixtures.shards import ShardError, write_shards
        from curation.output.shard_scan import addresses_in_shards

        rows, summary = read_manifest(lake, recipe.name)
        if summary["recipe_sha256"] != recipe.sha256:
            raise dg.Failure(
                f"the stored manifest of {recipe.name} was computed from another version of the recipe: "
                f"materialize {manifest_key(recipe.name).to_user_string()} again"
            )
        folder = shards.folder(recipe.name)
        try:
            with lake.lake().connect(snapshot=summary["lake_snapshot_id"]) as con:
                index = write_shards(con, rows, recipe, summary, folder)
        except ShardError as error:
            raise dg.Failure(str(error)) from error
        table = [
            (phase["phase"], s["file"], s["rows"], s["tokens"], s["file_bytes"])
            for phase in index["phases"]
            for s in phase["shards"]
        ]
        yield dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(folder.resolve())),
                "lake_snapshot_id": summary["lake_snapshot_id"],
                "shards": len(table),
                "dagster/row_count": sum(t[2] for t in table),
                "tokens": sum(t[3] for t in table),
                "bytes_on_disk": sum(t[4] for t in table),
                "files": markdown_table(["phase", "file", "rows", "tokens", "bytes"], table[:30]),
                "output_fixes": index["output_fixes"],
            }
        )
        read, found = addresses_in_shards(folder)
        yield dg.AssetCheckResult(  # counts only: an address found is never quoted
            check_name=CHECK_NO_ADDRESSES,
            passed=not found,
            metadata={
                "texts_read": read,
                "texts_with_addresses": sum(f[1] for f in found),
                "files_with_addresses": markdown_table(["file", "texts", "addresses"], found[:20]),
            },
        )

    return _shards


def mixture_assets(recipes: Recipes) -> list[dg.AssetsDefinition]:
    """A manifest and a shards asset per mixture recipe, each validated first; a refused recipe file (or one whose
    filter recipe is refused) becomes a manifest asset that fails with the reason, the others load."""
    out = [document_tokens_asset(recipes)] + [
        broken_recipe_asset(manifest_key(safe_asset_name(stem)), GROUP, error)
        for stem, error in recipes.refused_mixtures.items()
    ]
    for name, recipe in recipes.mixtures.items():
        path = (recipes.mixture_folder / f"{name}.yaml").resolve()
        source = str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)
        out += [mixture_manifest_asset(recipe, source), training_shards_asset(recipe)]
    return out
