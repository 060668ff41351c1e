"""A recipe file that does not validate becomes an asset that fails with the reason, instead of taking the whole
code location (sensor and ingestion included) down with it. Its dependents are not defined until it is mended."""

import re

import dagster as dg


def safe_asset_name(stem: str) -> str:
    """A file stem as an asset key part (recipe names are validated; a broken file's stem may be anything)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", stem) or "_"


def broken_recipe_asset(key: dg.AssetKey, group: str, error: Exception) -> dg.AssetsDefinition:
    reason = str(error)

    @dg.asset(
        key=key,
        group_name=group,
        kinds={"yaml"},
        description=f"Refused recipe: {reason}. Mend the file; until then this asset fails and nothing downstream "
        "of it is defined.",
        metadata={"recipe_error": reason},
    )
    def _refused_recipe(context: dg.AssetExecutionContext):
        raise dg.Failure(description=f"recipe refused before any data was read: {reason}")

    return _refused_recipe
