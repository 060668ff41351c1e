"""Asset keys of the per-recipe assets, named after the lake relations they make (curation.lake.tables), so that a
stage names its neighbours' assets without importing their modules."""

import dagster as dg

from curation.lake import tables


def filtered_documents_key(recipe: str) -> dg.AssetKey:
    return dg.AssetKey([tables.FILTERED_SCHEMA, recipe])


def deduplicated_documents_key(recipe: str) -> dg.AssetKey:
    return dg.AssetKey([tables.DEDUPLICATED_SCHEMA, recipe])


def manifest_key(recipe: str) -> dg.AssetKey:
    return dg.AssetKey([tables.MANIFESTS_SCHEMA, recipe])


def shards_key(recipe: str) -> dg.AssetKey:
    return dg.AssetKey(["training_shards", recipe])
