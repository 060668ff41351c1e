"""The Dagster code location (loaded by workspace.yaml)."""

import dagster as dg

from assets.documents.assets import documents
from assets.filtering.assets import quality_signals
from assets.filtering.recipes import filtered_documents_assets
from assets.ingestion.assets import ingest_crawl_file
from assets.statistics.assets import lake_statistics
from orchestration.jobs import crawl_partition_job, filter_recipes_job, lake_statistics_job
from orchestration.resources import default_resources
from orchestration.sensors import landing_folder_sensor, recipe_automation_sensor, statistics_automation_sensor

defs = dg.Definitions(
    assets=[ingest_crawl_file, documents, quality_signals, *filtered_documents_assets(), lake_statistics],
    jobs=[crawl_partition_job, filter_recipes_job, lake_statistics_job],
    sensors=[landing_folder_sensor, recipe_automation_sensor, statistics_automation_sensor],
    resources=default_resources(),
)
