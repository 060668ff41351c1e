"""The Dagster code location (loaded by workspace.yaml). It only assembles: the recipes are loaded and validated
once here and handed to the stages that make one asset per recipe, in the order data flows."""

import dagster as dg

from assets.dedup.assets import dedup_clusters, dedup_fingerprints, deduplicated_documents_assets
from assets.dedup.boilerplate import boilerplate
from assets.documents.assets import documents
from assets.filtered.assets import filtered_documents_assets
from assets.ingestion.assets import ingest_crawl_file
from assets.maintenance.assets import lake_maintenance
from assets.mixtures.assets import mixture_assets
from assets.rating.annotations import annotations
from assets.rating.models import quality_classifier, rater_model
from assets.rating.scoring import quality_ratings, rating_input_asset
from assets.resources import default_resources
from assets.signals.assets import quality_signals
from assets.signals.contamination import contamination
from assets.signals.lines import document_lines
from assets.signals.output_fixes import document_output_fixes
from assets.statistics.assets import statistics_assets
from assets.statistics.corpus_diff import corpus_diff
from curation.recipes import Recipes, load_all
from orchestration.jobs import (
    corpus_job,
    crawl_partition_job,
    lake_maintenance_job,
    lake_statistics_job,
    mixture_job,
    rating_job,
)
from orchestration.schedules import daily_new_partitions_schedule, weekly_lake_maintenance_schedule
from orchestration.sensors import corpus_automation_sensor, landing_folder_sensor, statistics_automation_sensor


def stage_assets(recipes: Recipes) -> list:
    """raw -> documents -> signals -> filtered -> dedup -> ratings -> manifests -> statistics, then maintenance."""
    return [
        ingest_crawl_file,
        documents,
        quality_signals,
        document_lines,
        document_output_fixes,
        contamination,
        *filtered_documents_assets(recipes),
        dedup_fingerprints,
        dedup_clusters,
        boilerplate,
        *deduplicated_documents_assets(recipes),
        annotations,
        rater_model,
        quality_classifier,
        rating_input_asset(recipes),
        quality_ratings,
        *mixture_assets(recipes),
        statistics_assets(recipes),
        corpus_diff,
        lake_maintenance,
    ]


def build_definitions(recipes: Recipes) -> dg.Definitions:
    return dg.Definitions(
        assets=stage_assets(recipes),
        jobs=[crawl_partition_job, corpus_job, rating_job, mixture_job, lake_statistics_job, lake_maintenance_job],
        sensors=[landing_folder_sensor, corpus_automation_sensor, statistics_automation_sensor],
        schedules=[daily_new_partitions_schedule, weekly_lake_maintenance_schedule],
        resources=default_resources(),
    )


defs = build_definitions(load_all())
