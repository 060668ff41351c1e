"""One `filtered_documents/<recipe>` asset per recipe file: a DuckLake view deciding from stored signals.

The recipe's fingerprint is the asset's code version, so editing a threshold marks only this asset (and what reads
it) stale; `quality_signals` and `documents` are not measured again. Recipes are validated once, when definitions
load, so a bad recipe is refused, with its field and reason, before any run can touch the lake.
"""

import dagster as dg

from assets.broken_recipe import broken_recipe_asset, safe_asset_name
from assets.filtered import GROUP
from assets.keys import filtered_documents_key
from assets.metadata import markdown_table
from assets.resources import LakeResource
from curation.filters import FINEWEB2
from curation.filters.language_settings import DEFAULT_KEY
from curation.filters.recipe import FilterRecipe
from curation.filters.sql import (
    VIEW_SCHEMA,
    kept_select,
    kept_view,
    language_settings_rows,
    list_rows,
    verdicts_select,
    verdicts_view,
)
from curation.lake import tables
from curation.recipes import Recipes

FILTERED_DOCUMENTS = tables.FILTERED_SCHEMA  # asset key prefix: filtered_documents/<recipe>
DOCUMENTS, QUALITY_SIGNALS = tables.DOCUMENTS.name, tables.QUALITY_SIGNALS.name
CHECK_VERDICT_PER_SIGNAL = "verdict_for_every_measured_document"

# New measurements, a new recipe, or an edited one: decide again (cheap: a view and a few counts)
RECIPE_AUTOMATION = (
    (
        dg.AutomationCondition.code_version_changed()
        | dg.AutomationCondition.any_deps_updated()
        | dg.AutomationCondition.newly_missing()
    ).since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("recipe edited or signals updated")


def _summary(con, recipe: FilterRecipe) -> dict:
    # decide once into session memory, then count: each query on the view would decide again
    con.execute(f"CREATE TEMP TABLE verdicts AS SELECT * FROM {verdicts_view(recipe)}")
    view = "temp.verdicts"
    total, kept = con.execute(f"SELECT count(*), count(*) FILTER (WHERE kept) FROM {view}").fetchone()
    drops = con.execute(
        f"SELECT split_part(reason, ':', 1), split_part(reason, ':', 2), count(*) FROM {view} "
        "WHERE NOT kept GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
    ).fetchall()
    any_rejection = con.execute(
        "SELECT " + ", ".join(f"count({name}_reason)" for name in recipe.filter_names) + f" FROM {view}"
    ).fetchone()
    languages = con.execute(
        f"SELECT language, count(*) FROM {view} WHERE kept GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"
    ).fetchall()
    signals = con.execute(f"SELECT count(*) FROM {QUALITY_SIGNALS}").fetchone()[0]
    per_language = {}
    if set(recipe.filter_names) & {f.name for f in FINEWEB2}:  # which languages' settings judged the documents
        keys = con.execute(
            f"SELECT coalesce(language_key, '{DEFAULT_KEY}'), count(*), count(*) FILTER (WHERE kept) FROM {view} "
            "GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
        per_language = {
            "documents_with_default_language_settings": sum(n for key, n, _ in keys if key == DEFAULT_KEY),
            "language_settings_used": markdown_table(["FineWeb-2 key", "documents", "kept"], keys[:20]),
        }
    examples = con.execute(
        f"SELECT reason, min(doc_id) FROM {view} WHERE NOT kept GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 10"
    ).fetchall()
    first_drops = {name: sum(n for f, _, n in drops if f == name) for name in recipe.filter_names}
    return {
        "total": total,
        "kept": kept,
        "signals": signals,
        "metadata": {
            "dagster/row_count": kept,
            "documents_measured": total,
            "kept_fraction": round(kept / total, 4) if total else None,
            **{f"dropped_by_{name}": n for name, n in first_drops.items()},
            "drops": markdown_table(["filter (first rejection)", "reason", "documents"], drops),
            "rejections_per_filter": markdown_table(
                ["filter", "first rejection", "rejects (on its own)"],
                [(name, first_drops[name], n) for name, n in zip(recipe.filter_names, any_rejection, strict=True)],
            ),
            "kept_by_language": markdown_table(["language", "documents"], languages),
            # every stage's view of one dropped document per reason: `curator explain` (curation/insight/explain.py)
            "explain_a_dropped_document": markdown_table(
                ["first rejection", "document", "why, stage by stage"],
                [(reason, doc_id, f"curator explain {doc_id}") for reason, doc_id in examples],
            ),
            **per_language,
        },
    }


def filtered_documents_asset(recipe: FilterRecipe) -> dg.AssetsDefinition:
    key = filtered_documents_key(recipe.name)

    @dg.asset(
        key=key,
        deps=[QUALITY_SIGNALS, DOCUMENTS],
        group_name=GROUP,
        code_version=recipe.fingerprint,
        kinds={"ducklake", "sql"},
        automation_condition=RECIPE_AUTOMATION,
        description=f"Documents kept by the `{recipe.name}` filter recipe ({recipe.source}): a view over "
        f"quality_signals and documents. {recipe.description}",
        metadata={
            "recipe_file": recipe.source,
            "filters": " -> ".join(recipe.filter_names),
            "dagster/table_name": f"lake.{kept_view(recipe)}",
            "verdicts_view": f"lake.{verdicts_view(recipe)}",
        },
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_VERDICT_PER_SIGNAL,
                asset=key,
                blocking=True,
                description="every measured document has exactly one verdict under the recipe",
            )
        ],
    )
    def _filtered_documents(context: dg.AssetExecutionContext, lake: LakeResource):
        filters = recipe.build()
        store = lake.lake()
        store.create_missing_tables({t.name: t.schema for t in (tables.DOCUMENTS, tables.QUALITY_SIGNALS)})
        snapshot = store.replace_partition(
            "recipe",
            recipe.name,
            {
                tables.URL_FILTER_LISTS.name: (tables.URL_FILTER_LISTS.schema, [list_rows(recipe, filters)]),
                tables.FILTER_LANGUAGE_SETTINGS.name: (
                    tables.FILTER_LANGUAGE_SETTINGS.schema,
                    [language_settings_rows(recipe, filters)],
                ),
            },
            message=f"filter recipe {recipe.name} ({recipe.fingerprint})",
            then=[
                f"CREATE SCHEMA IF NOT EXISTS {VIEW_SCHEMA}",
                f"CREATE OR REPLACE VIEW {verdicts_view(recipe)} AS {verdicts_select(recipe, filters)}",
                f"CREATE OR REPLACE VIEW {kept_view(recipe)} AS {kept_select(recipe)}",
            ],
        )
        with store.connect(read_only=True) as con:
            summary = _summary(con, recipe)
        yield dg.MaterializeResult(
            metadata={**summary["metadata"], "lake_snapshot_id": snapshot, "recipe_fingerprint": recipe.fingerprint}
        )
        yield dg.AssetCheckResult(
            check_name=CHECK_VERDICT_PER_SIGNAL,
            passed=summary["total"] == summary["signals"],
            metadata={"verdicts": summary["total"], "measured_documents": summary["signals"]},
        )

    return _filtered_documents


def filtered_documents_assets(recipes: Recipes) -> list[dg.AssetsDefinition]:
    """One asset per valid recipe; a refused recipe file becomes an asset that fails with the file, field and
    reason, while the rest of the pipeline loads."""
    return [filtered_documents_asset(recipe) for recipe in recipes.filters.values()] + [
        broken_recipe_asset(filtered_documents_key(safe_asset_name(stem)), GROUP, error)
        for stem, error in recipes.refused_filters.items()
    ]
