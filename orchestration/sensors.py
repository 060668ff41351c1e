"""The landing sensor: one new dynamic partition and one run per crawl file that appears."""

import dagster as dg

from assets import statistics
from assets.partitions import CRAWL_FILES
from assets.resources import LandingResource
from orchestration.jobs import CORPUS, crawl_partition_job

LANDING_SENSOR = "landing_folder_sensor"


@dg.sensor(
    name=LANDING_SENSOR,
    job=crawl_partition_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a crawl partition for each new file in the landing folder and requests its ingestion run.",
)
def landing_folder_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    known = set(context.instance.get_dynamic_partitions(CRAWL_FILES.name))
    new = [name for name in landing.ready_files() if name not in known]
    if not new:
        return dg.SkipReason(f"no new crawl files in {landing.folder()}")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=name, run_key=name) for name in new],
        dynamic_partitions_requests=[CRAWL_FILES.build_add_request(new)],
    )


STATISTICS_AUTOMATION_SENSOR = "statistics_automation_sensor"

statistics_automation_sensor = dg.AutomationConditionSensorDefinition(
    STATISTICS_AUTOMATION_SENSOR,
    target=dg.AssetSelection.groups(statistics.GROUP),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Refreshes the dbt statistics once the lake tables they read have new partitions.",
)


CORPUS_AUTOMATION_SENSOR = "corpus_automation_sensor"

corpus_automation_sensor = dg.AutomationConditionSensorDefinition(
    CORPUS_AUTOMATION_SENSOR,
    target=CORPUS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Re-creates a recipe's views when its recipe file changes or new signals land; re-clusters "
    "duplicates when new fingerprints land.",
)
