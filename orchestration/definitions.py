"""The Dagster code location (loaded by workspace.yaml)."""

import dagster as dg

from assets.dedup.assets import dedup_clusters, dedup_fingerprints, deduplicated_documents_assets
from assets.documents.assets import documents
from assets.filtering.assets import quality_signals
from assets.filtering.recipes import FILTER_RECIPES_DIR, filtered_documents_assets
from assets.ingestion.assets import ingest_crawl_file
from assets.maintenance.assets import lake_maintenance
from assets.mixtures.assets import mixture_assets
from assets.rating.assets import annotations, quality_classifier, quality_ratings, rater_model, rating_input_asset
from assets.statistics.assets import lake_statistics
from assets.transforms.recipes import load_recipes
from orchestration.jobs import (
    corpus_job,
    crawl_partition_job,
    lake_maintenance_job,
    lake_statistics_job,
    mixture_job,
    rating_job,
)
from orchestration.resources import default_resources
from orchestration.schedules import daily_new_partitions_schedule, weekly_lake_maintenance_schedule
from orchestration.sensors import corpus_automation_sensor, landing_folder_sensor, statistics_automation_sensor

defs = dg.Definitions(
    assets=[
        ingest_crawl_file,
        documents,
        quality_signals,
        *filtered_documents_assets(),
        dedup_fingerprints,
        dedup_clusters,
        *deduplicated_documents_assets(),
        annotations,
        rater_model,
        quality_classifier,
        rating_input_asset(list(load_recipes(FILTER_RECIPES_DIR, errors={}).values())),
        quality_ratings,
        *mixture_assets(),
        lake_statistics,
        lake_maintenance,
    ],
    jobs=[crawl_partition_job, corpus_job, rating_job, mixture_job, lake_statistics_job, lake_maintenance_job],
    sensors=[landing_folder_sensor, corpus_automation_sensor, statistics_automation_sensor],
    schedules=[daily_new_partitions_schedule, weekly_lake_maintenance_schedule],
    resources=default_resources(),
)
