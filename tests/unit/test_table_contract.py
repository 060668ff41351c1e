"""The lake's table contract (curation.lake.tables) is the one place tables are named: dbt's sources match it, and
every key and partition column it names exists in the table's schema."""

import pytest
import yaml

from curation.lake import tables
from curation.project import DBT_DIR


def test_dbt_sources_are_the_contracts_dbt_tables_keyed_to_their_assets():
    sources = yaml.safe_load((DBT_DIR / "models" / "staging" / "__sources.yml").read_text())["sources"]
    [lake] = [s for s in sources if s["name"] == "lake"]
    assert lake["schema"] == "main"
    declared = {t["name"]: t["meta"]["dagster"]["asset_key"] for t in lake["tables"]}
    assert declared == {t.name: [t.name] for t in tables.dbt_sources()}


@pytest.mark.parametrize("table", [t for t in tables.TABLES if not t.view], ids=lambda t: t.name)
def test_keys_and_partition_columns_are_columns_of_the_table(table):
    assert set(table.key) <= set(table.schema.names)
    assert table.partition is None or table.partition in table.schema.names
    assert table.relation == f"main.{table.name}"


def test_table_names_are_unique_and_per_recipe_relations_have_one_schema_per_kind():
    names = [t.name for t in tables.TABLES]
    assert len(names) == len(set(names))
    assert tables.filtered_view("fineweb") == "filtered_documents.fineweb"
    assert tables.verdicts_view("fineweb") == "filtered_documents.fineweb__verdicts"
    assert tables.deduplicated_view("fineweb") == "deduplicated_documents.fineweb"
    assert tables.manifest_table("fineweb_like") == "mixture_manifests.fineweb_like"
