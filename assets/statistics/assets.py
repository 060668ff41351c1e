"""dbt models over the lake as Dagster assets: downstream of the Python assets, their dbt tests as checks, and
each model's row count, preview and distribution as metadata."""

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, dbt_assets

from assets.keys import deduplicated_documents_key, filtered_documents_key, manifest_key
from assets.resources import LakeResource, StatisticsDbtResource
from assets.statistics import GROUP
from assets.statistics.glance import model_metadata
from assets.statistics.project import EXTENSION_DIR, dbt_project
from curation.insight.report import write_report
from curation.lake import tables
from curation.lake.client import Lake, install_extensions
from curation.recipes import Recipes
from curation.statistics import publish


class StatisticsTranslator(DagsterDbtTranslator):
    """Joins the dbt lineage to the Python assets: the per-recipe relations that staging models find in the lake
    at run time become deps on every recipe's asset, and the tables all mixture recipes write (one source key
    each) fan out to every `mixture_manifests/<recipe>` asset."""

    def __init__(
        self,
        model_deps: Mapping[str, Sequence[dg.AssetKey]] = {},
        fanned_sources: Mapping[dg.AssetKey, Sequence[dg.AssetKey]] = {},
    ):
        super().__init__()
        self._model_deps = model_deps
        self._fanned_sources = fanned_sources

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] != "model":
            return spec
        deps = []
        for dep in spec.deps:
            fanned = self._fanned_sources.get(dep.asset_key)
            deps += [dg.AssetDep(key) for key in fanned] if fanned is not None else [dep]
        deps += [dg.AssetDep(key) for key in self._model_deps.get(props["name"], ())]
        return spec.replace_attributes(deps=deps)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return GROUP

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        if dbt_resource_props["resource_type"] == "seed":
            return dg.AutomationCondition.on_missing()  # no upstream: loaded once, so models over it can run
        return dg.AutomationCondition.eager()  # refresh once upstream lake tables change


def statistics_translator(filter_recipes: Iterable[str], mixture_recipes: Iterable[str]) -> StatisticsTranslator:
    filters, mixtures = sorted(filter_recipes), sorted(mixture_recipes)
    manifests = [manifest_key(name) for name in mixtures]
    return StatisticsTranslator(
        model_deps={
            "stg_filter_verdicts": [filtered_documents_key(name) for name in filters],
            "stg_filter_failures": [filtered_documents_key(name) for name in filters],
            "stg_deduplicated_documents": [deduplicated_documents_key(name) for name in filters],
            "stg_mixture_manifests": manifests,
        },
        fanned_sources={dg.AssetKey(t.name): manifests for t in (tables.MIXTURE_CELLS, tables.MIXTURE_SUMMARIES)},
    )


def report_folder(store: Lake) -> Path | None:
    """Where the corpus report goes: CURATOR_REPORT_PATH, else `reports/` beside a local lake's data folder; None
    (no report) for a remote data path without CURATOR_REPORT_PATH."""
    configured = dg.EnvVar("CURATOR_REPORT_PATH").get_value()
    if configured:
        return Path(configured).resolve()
    if "://" in store.data_path:
        return None
    return Path(store.data_path).resolve().parent / "reports"


def _report(store: Lake) -> dict:
    folder = report_folder(store)
    if folder is None:
        return {"corpus_report": "not written: set CURATOR_REPORT_PATH for a lake whose data is remote"}
    with store.connect(read_only=True) as con:
        path, charts = write_report(con, folder, store.snapshot_id(con))
    return {"corpus_report": dg.MetadataValue.path(str(path)), "corpus_report_charts": charts}


def statistics_assets(recipes: Recipes) -> dg.AssetsDefinition:
    """The dbt project as one multi-asset; the recipes name the per-recipe assets its models read (refused recipes
    fail in their own assets)."""
    translator = statistics_translator(recipes.filters, recipes.mixtures)

    @dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
    def lake_statistics(context: dg.AssetExecutionContext, dbt: StatisticsDbtResource, lake: LakeResource):
        """`dbt build` (seeds, models, unit and data tests) against the lake, which the run holds meanwhile; then
        the corpus report (HTML charts) written from the published statistics, and each model's row count,
        preview, distribution and a link to the report read back from the lake."""
        store = lake.lake()
        store.create_missing_tables({t.name: t.schema for t in tables.dbt_sources()})
        catalog, data_path = store.attach_target()
        os.environ["CURATOR_LAKE_CATALOG"] = catalog  # read by dbt_project/profiles.yml in the dbt subprocess
        os.environ["CURATOR_LAKE_DATA_PATH"] = data_path
        install_extensions(EXTENSION_DIR, store.catalog_extensions())  # the profile's extension_directory
        os.environ["CURATOR_STATS_SCHEMA"] = publish.STAGING  # dbt builds beside the live set, never into it
        with store.exclusive():
            with store.connect() as con:
                publish.stage(con)
            invocation = dbt.cli(["build"], context=context, raise_on_error=False)
            events = list(invocation.stream())
            dbt.remember_parse(invocation)
            if invocation.is_successful():
                with store.connect() as con:
                    publish.publish(con)
        report = _report(store) if invocation.is_successful() else {}
        with store.connect(read_only=True) as con:
            for event in events:
                if isinstance(event, dg.Output):
                    key = context.asset_key_for_output(event.output_name)
                    event = event.with_metadata({**event.metadata, **model_metadata(con, key.path[-1]), **report})
                yield event
        if not invocation.is_successful():
            error = invocation.get_error()
            reason = f"dbt build failed: {error}" if error else "dbt build failed"
            raise dg.Failure(description=f"{reason}; the previous complete statistics stay in lake.stats")

    return lake_statistics
