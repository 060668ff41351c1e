"""Mixture manifests and training shards: one pair of assets per recipe file in recipes/mixtures/.

The recipes are validated when the code location loads (a bad recipe is refused before any data is touched, with
its field and reason); each manifest is computed from one pinned lake snapshot and gated by a blocking Great
Expectations suite and a target check before its shards are written.
"""

import json
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from assets.broken_recipe import broken_recipe_asset, safe_asset_name
from assets.dedup.assets import DEDUPLICATED_DOCUMENTS
from assets.metadata import column_schema, markdown_table
from assets.quality.checks import expectation_check
from assets.rating.assets import QUALITY_RATINGS
from assets.transforms.mixtures import manifest as mixture
from assets.transforms.mixtures.recipe import MixtureRecipe, load_mixture_recipes
from assets.transforms.recipes import load_recipes
from orchestration.resources import LakeResource, ShardStoreResource

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIXTURE_RECIPES_DIR = PROJECT_ROOT / "recipes" / "mixtures"
FILTER_RECIPES_DIR = PROJECT_ROOT / "recipes" / "filters"
MIXTURE_GROUP = "mixtures"
MIXTURE_MANIFESTS = "mixture_manifests"  # asset key prefix and lake schema: one table per recipe
TRAINING_SHARDS = "training_shards"
CELLS_TABLE = "mixture_cells"  # targets against achieved, per recipe, phase, stream, source and domain
SUMMARIES_TABLE = "mixture_summaries"  # one JSON summary per recipe
CHECK_MANIFEST = "mixture_manifest_expectations"  # expectations/mixture_manifest.json
CHECK_TARGETS = "targets_met_or_shortfall_recorded"
# a cell without a recorded shortfall must land within this share of its target, or within one document
TARGET_TOLERANCE = 0.01


class MixtureManifestConfig(dg.Config):
    lake_snapshot: int | None = Field(
        default=None,
        ge=0,
        description="Compute from this lake snapshot (to reproduce an earlier manifest); default: the current one",
    )


CELLS_SCHEMA = pa.schema([("recipe", pa.string()), *mixture.CELLS])
SUMMARIES_SCHEMA = pa.schema(
    [
        ("recipe", pa.string()),
        ("recipe_sha256", pa.string()),
        ("lake_snapshot_id", pa.int64()),
        ("code_version", pa.string()),
        ("summary", pa.string()),  # JSON: recipe, input snapshots, targets vs achieved, shortfalls
    ]
)


def manifest_key(recipe: str) -> dg.AssetKey:
    return dg.AssetKey([MIXTURE_MANIFESTS, recipe])


def shards_key(recipe: str) -> dg.AssetKey:
    return dg.AssetKey([TRAINING_SHARDS, recipe])


def read_manifest(lake: LakeResource, recipe: str):
    """(rows, summary) of a recipe's stored manifest."""
    with lake.lake().connect(read_only=True) as con:
        rows = con.execute(
            f"SELECT * FROM {MIXTURE_MANIFESTS}.{recipe} ORDER BY phase, stream, doc_id"
        ).to_arrow_table()
        found = con.execute(f"SELECT summary FROM main.{SUMMARIES_TABLE} WHERE recipe = ?", [recipe]).fetchone()
    if found is None:
        raise dg.Failure(f"no manifest summary for recipe {recipe!r}: materialize {manifest_key(recipe)} first")
    return rows, json.loads(found[0])


def store_manifest(store, recipe: MixtureRecipe, result: mixture.Manifest) -> None:
    """Replace the recipe's manifest table, cells and summary in one lake transaction."""
    summary = result.summary
    cells = result.cells.add_column(0, "recipe", [[recipe.name] * result.cells.num_rows])
    store.create_missing_tables({CELLS_TABLE: CELLS_SCHEMA, SUMMARIES_TABLE: SUMMARIES_SCHEMA})
    snapshot = summary["lake_snapshot_id"]
    with store.transaction(message=f"mixture manifest {recipe.name} from snapshot {snapshot}") as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {MIXTURE_MANIFESTS}")
        con.execute(f"DROP TABLE IF EXISTS {MIXTURE_MANIFESTS}.{recipe.name}")
        con.register("_rows", result.rows)
        con.execute(f"CREATE TABLE {MIXTURE_MANIFESTS}.{recipe.name} AS SELECT * FROM _rows")
        con.register("_cells", cells)
        con.execute(f"DELETE FROM {CELLS_TABLE} WHERE recipe = ?", [recipe.name])
        con.execute(f"INSERT INTO {CELLS_TABLE} BY NAME SELECT * FROM _cells")
        con.execute(f"DELETE FROM {SUMMARIES_TABLE} WHERE recipe = ?", [recipe.name])
        con.execute(
            f"INSERT INTO {SUMMARIES_TABLE} VALUES (?, ?, ?, ?, ?)",
            [
                recipe.name,
                recipe.sha256,
                snapshot,
                summary["code_version"],
                json.dumps(summary, sort_keys=True, separators=(",", ":")),
            ],
        )


def target_problems(cells, tokens_per_copy_max: dict) -> list[tuple]:
    """Cells without a recorded shortfall that missed their target by more than 1% and more than one document."""
    problems = []
    for cell in cells.to_pylist():
        if cell["shortfall_tokens"] > 0:
            continue
        gap = abs(cell["achieved_tokens"] - cell["target_tokens"])
        slack = max(TARGET_TOLERANCE * cell["target_tokens"], tokens_per_copy_max.get(cell["phase"], 0))
        if gap > slack:
            problems.append((cell["phase"], cell["stream"], cell["domain"], round(cell["target_tokens"]), gap))
    return problems


def mixture_manifest_asset(recipe: MixtureRecipe, source: str) -> dg.AssetsDefinition:
    key = manifest_key(recipe.name)
    deps = sorted({s.filter_recipe for s in recipe.streams})

    @dg.asset(
        key=key,
        deps=[*(dg.AssetKey([DEDUPLICATED_DOCUMENTS, name]) for name in deps), QUALITY_RATINGS],
        group_name=MIXTURE_GROUP,
        code_version=recipe.sha256[:16],
        kinds={"ducklake", "sql"},
        description=f"The `{recipe.name}` mixture ({source}): which documents, how many copies, in which phase, "
        f"for {recipe.token_budget:,} tokens. {recipe.description}".strip(),
        metadata={
            "recipe_file": source,
            "recipe_sha256": recipe.sha256,
            "dagster/table_name": f"lake.{MIXTURE_MANIFESTS}.{recipe.name}",
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
        ],
    )
    def _manifest(context: dg.AssetExecutionContext, config: MixtureManifestConfig, lake: LakeResource):
        store = lake.lake()
        with store.connect(read_only=True) as con:
            current = store.snapshot_id(con)
        snapshot = current if config.lake_snapshot is None else config.lake_snapshot
        if snapshot > current:
            raise dg.Failure(f"lake_snapshot {snapshot} is ahead of the lake (current snapshot {current})")
        with store.connect(snapshot=snapshot) as con:
            missing = [
                f"{DEDUPLICATED_DOCUMENTS}.{name}"
                for name in deps
                if not con.execute(
                    "SELECT count(*) FROM duckdb_views() WHERE database_name = 'lake' AND schema_name = ? "
                    "AND view_name = ?",
                    [DEDUPLICATED_DOCUMENTS, name],
                ).fetchone()[0]
            ]
            inputs = store.table_snapshots(con, mixture.INPUT_TABLES)
            missing += [t for t in ("documents", "dedup_clusters", "quality_ratings") if inputs[t] is None]
            if missing:
                raise dg.Failure(f"snapshot {snapshot} has no {', '.join(missing)}: materialize the corpus and ratings")
            result = mixture.compute_manifest(con, recipe, snapshot, inputs)
        store_manifest(store, recipe, result)
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
        contributions = result.rows.append_column(
            "copy_tokens", pc.multiply(result.rows["tokens"], result.rows["base_weight"].cast(pa.int64()))
        )
        largest = {
            r["phase"]: r["copy_tokens_max"]
            for r in contributions.group_by("phase").aggregate([("copy_tokens", "max")]).to_pylist()
        }
        problems = target_problems(result.cells, largest)
        per_document = result.rows.group_by("doc_id").aggregate([("repeats", "sum")])["repeats_sum"]
        over_cap = pc.sum(pc.greater(per_document, recipe.max_repeats)).as_py() or 0
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
        group_name=MIXTURE_GROUP,
        code_version=recipe.sha256[:16],
        kinds={recipe.shards.format},
        description=f"The `{recipe.name}` manifest written as shuffled {recipe.shards.format} shards (at most "
        f"{recipe.shards.max_bytes:,} text bytes each, plus one document) with index.json, readable without "
        "this project.",
    )
    def _shards(context: dg.AssetExecutionContext, lake: LakeResource, shards: ShardStoreResource):
        from assets.transforms.mixtures.shards import ShardError, write_shards

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
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(folder.resolve())),
                "lake_snapshot_id": summary["lake_snapshot_id"],
                "shards": len(table),
                "dagster/row_count": sum(t[2] for t in table),
                "tokens": sum(t[3] for t in table),
                "bytes_on_disk": sum(t[4] for t in table),
                "files": markdown_table(["phase", "file", "rows", "tokens", "bytes"], table[:30]),
            }
        )

    return _shards


def mixture_assets(
    folder: Path = MIXTURE_RECIPES_DIR, filter_folder: Path = FILTER_RECIPES_DIR
) -> list[dg.AssetsDefinition]:
    """A manifest and a shards asset per mixture recipe, each validated first; a refused recipe file (or one whose
    filter recipe is refused) becomes a manifest asset that fails with the reason, the others load."""
    errors = {}
    recipes = load_mixture_recipes(folder, set(load_recipes(filter_folder, errors={})), errors)
    out = [broken_recipe_asset(manifest_key(safe_asset_name(s)), MIXTURE_GROUP, e) for s, e in errors.items()]
    for name, recipe in recipes.items():
        path = (Path(folder) / f"{name}.yaml").resolve()
        source = str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)
        out += [mixture_manifest_asset(recipe, source), training_shards_asset(recipe)]
    return out
