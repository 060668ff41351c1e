"""The daily schedule: every crawl file in the landing folder that has not been ingested yet gets its partition
and a run, whether the sensor was off when it arrived or its last run failed."""

import dagster as dg

from assets.partitions import CRAWL_FILES
from assets.resources import LandingResource
from curation.lake.tables import RAW_PAGES
from orchestration.jobs import crawl_partition_job, lake_maintenance_job

DAILY_PARTITIONS_SCHEDULE = "daily_new_partitions_schedule"
INGESTED_ASSET = dg.AssetKey(RAW_PAGES.name)  # a partition counts as ingested once raw_pages has materialized it


def ingested_partitions(instance: dg.DagsterInstance, keys: list[str]) -> set[str]:
    """The partitions among `keys` that raw_pages has a materialization for."""
    if not keys:
        return set()
    done, cursor = set(), None
    while True:
        page = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=INGESTED_ASSET, asset_partitions=keys), limit=1000, cursor=cursor
        )
        done |= {record.partition_key for record in page.records}
        if not page.has_more:
            return done
        cursor = page.cursor


@dg.schedule(
    name=DAILY_PARTITIONS_SCHEDULE,
    job=crawl_partition_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 03:00 UTC: registers crawl files in the landing folder that have no partition yet and "
    "requests a run for every partition present there that raw_pages has not materialized.",
)
def daily_new_partitions_schedule(context: dg.ScheduleEvaluationContext, landing: LandingResource):
    present = landing.ready_files()
    known = set(context.instance.get_dynamic_partitions(CRAWL_FILES.name))
    new = [name for name in present if name not in known]
    if new:
        context.instance.add_dynamic_partitions(CRAWL_FILES.name, new)
    pending = sorted(set(present) - ingested_partitions(context.instance, present))
    if not pending:
        return dg.SkipReason(f"every crawl file in {landing.folder()} is ingested")
    day = context.scheduled_execution_time.strftime("%Y-%m-%d") if context.scheduled_execution_time else "now"
    return [dg.RunRequest(partition_key=key, run_key=f"{key}@{day}") for key in pending]


WEEKLY_MAINTENANCE_SCHEDULE = "weekly_lake_maintenance_schedule"

weekly_lake_maintenance_schedule = dg.ScheduleDefinition(
    name=WEEKLY_MAINTENANCE_SCHEDULE,
    job=lake_maintenance_job,
    cron_schedule="0 4 * * 0",  # Sundays 04:00 UTC
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Keeps the lake lean: snapshots older than a week expire (manifest-pinned ones stay), unused files go.",
)
