"""A mixture manifest in the lake: its table, target cells and summary written in one transaction, read back
for the shards. Free of Dagster: the asset and the benchmark call the same `store_manifest`."""

import json

from curation.lake import tables
from curation.lake.client import Lake
from curation.lake.sql import sql_string
from curation.mixtures.manifest import Manifest
from curation.mixtures.recipe import MixtureRecipe


class ManifestMissingError(LookupError):
    pass


def read_manifest(lake: Lake, recipe: str):
    """(rows, summary) of a recipe's stored manifest."""
    with lake.connect(read_only=True) as con:
        rows = con.execute(
            f"SELECT * FROM {tables.manifest_table(recipe)} ORDER BY phase, stream, doc_id"
        ).to_arrow_table()
        found = con.execute(
            f"SELECT summary FROM {tables.MIXTURE_SUMMARIES.relation} WHERE recipe = {sql_string(recipe)}"
        ).fetchone()
    if found is None:
        raise ManifestMissingError(f"no manifest summary for recipe {recipe!r}: materialize its manifest first")
    return rows, json.loads(found[0])


def store_manifest(store: Lake, recipe: MixtureRecipe, result: Manifest) -> None:
    """Replace the recipe's manifest table, cells and summary in one lake transaction."""
    summary = result.summary
    cells = result.cells.add_column(0, "recipe", [[recipe.name] * result.cells.num_rows])
    store.create_missing_tables({t.name: t.schema for t in (tables.MIXTURE_CELLS, tables.MIXTURE_SUMMARIES)})
    snapshot = summary["lake_snapshot_id"]
    table = tables.manifest_table(recipe.name)
    with store.transaction(message=f"mixture manifest {recipe.name} from snapshot {snapshot}") as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {tables.MANIFESTS_SCHEMA}")
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.register("_rows", result.rows)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM _rows")
        con.register("_cells", cells)
        con.execute(f"DELETE FROM {tables.MIXTURE_CELLS.name} WHERE recipe = ?", [recipe.name])
        con.execute(f"INSERT INTO {tables.MIXTURE_CELLS.name} BY NAME SELECT * FROM _cells")
        con.execute(f"DELETE FROM {tables.MIXTURE_SUMMARIES.name} WHERE recipe = ?", [recipe.name])
        con.execute(
            f"INSERT INTO {tables.MIXTURE_SUMMARIES.name} VALUES (?, ?, ?, ?, ?)",
            [
                recipe.name,
                recipe.sha256,
                snapshot,
                summary["code_version"],
                json.dumps(summary, sort_keys=True, separators=(",", ":")),
            ],
        )
