"""The daily schedule registers crawl files the sensor missed and re-requests partitions not ingested yet."""

from datetime import UTC, datetime

import dagster as dg
import pytest
from support.lake import materialize
from support.samples import land

from assets.partitions import CRAWL_FILES
from orchestration.definitions import defs
from orchestration.schedules import DAILY_PARTITIONS_SCHEDULE, daily_new_partitions_schedule


@pytest.fixture
def instance():
    """A schedule tick needs an instance it can reference (an in-memory one has no reference to pass on)."""
    with dg.instance_for_test() as inst:
        yield inst


def evaluate(instance, resources, day: int):
    with dg.build_schedule_context(  # closed after the tick, as the daemon does, so no instance state leaks
        instance=instance,
        resources={"landing": resources["landing"]},
        scheduled_execution_time=datetime(2026, 11, day, 3, tzinfo=UTC),
    ) as context:
        return daily_new_partitions_schedule(context)


def test_unregistered_and_uningested_files_get_runs_once_a_day(instance, resources, landing_dir):
    land(landing_dir, "small-crawl-a.warc.gz")
    instance.add_dynamic_partitions(CRAWL_FILES.name, ["small-crawl-a.warc.gz"])
    materialize(instance, resources, "small-crawl-a.warc.gz")
    land(landing_dir, "small-crawl-b.warc.gz", "malformed-clipped-record.warc.gz")  # arrived while the sensor was off

    requests = evaluate(instance, resources, day=23)
    assert [r.partition_key for r in requests] == ["malformed-clipped-record.warc.gz", "small-crawl-b.warc.gz"]
    assert [r.run_key for r in requests] == [
        "malformed-clipped-record.warc.gz@2026-11-23",
        "small-crawl-b.warc.gz@2026-11-23",
    ]
    assert sorted(instance.get_dynamic_partitions(CRAWL_FILES.name)) == [
        "malformed-clipped-record.warc.gz",
        "small-crawl-a.warc.gz",
        "small-crawl-b.warc.gz",
    ]

    materialize(instance, resources, "small-crawl-b.warc.gz")
    next_day = evaluate(instance, resources, day=24)  # the failed or skipped one is asked for again, with a new key
    assert [r.run_key for r in next_day] == ["malformed-clipped-record.warc.gz@2026-11-24"]


def test_nothing_pending_is_a_skip(instance, resources, landing_dir):
    land(landing_dir, "small-crawl-a.warc.gz")
    instance.add_dynamic_partitions(CRAWL_FILES.name, ["small-crawl-a.warc.gz"])
    materialize(instance, resources, "small-crawl-a.warc.gz")
    assert isinstance(evaluate(instance, resources, day=23), dg.SkipReason)


def test_the_schedule_is_on_by_default_and_runs_the_partition_job():
    schedule = defs.resolve_schedule_def(DAILY_PARTITIONS_SCHEDULE)
    assert schedule.cron_schedule == "0 3 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "crawl_partition_job"
