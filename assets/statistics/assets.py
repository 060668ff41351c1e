"""dbt models over the lake as Dagster assets: downstream of the Python assets, their dbt tests as checks."""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from assets.lakehouse import install_extensions
from assets.statistics.project import EXTENSION_DIR, dbt_project
from orchestration.resources import LakeResource

STATISTICS_GROUP = "statistics"


class StatisticsTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return STATISTICS_GROUP

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        return dg.AutomationCondition.eager()  # refresh once upstream lake tables change


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=StatisticsTranslator())
def lake_statistics(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
    """`dbt build` (models and their data tests) against the lake, which the run holds for the duration."""
    store = lake.lake()
    catalog, data_path = store.attach_target()
    os.environ["CURATOR_LAKE_CATALOG"] = catalog  # read by dbt_project/profiles.yml in the dbt subprocess
    os.environ["CURATOR_LAKE_DATA_PATH"] = data_path
    os.environ["CURATOR_DUCKDB_EXTENSION_DIR"] = str(install_extensions(EXTENSION_DIR))
    with store.exclusive():
        yield from dbt.cli(["build"], context=context).stream()
