"""The landing sensor adds one partition per new crawl file, requests its run, and ignores files seen before."""

import os
import time

import dagster as dg
from support.samples import land

from assets.partitions import CRAWL_FILES
from assets.resources import LandingResource
from orchestration.sensors import landing_folder_sensor


def evaluate(instance, landing: LandingResource):
    result = landing_folder_sensor(dg.build_sensor_context(instance=instance, resources={"landing": landing}))
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_new_files_become_partitions_with_runs_and_seen_files_are_ignored(instance, landing_dir):
    landing = LandingResource(path=str(landing_dir), settle_seconds=0)
    land(landing_dir, "small-crawl-a.warc.gz", "cc-main-2019-30-extracted-697.jsonl.gz")
    (landing_dir / "README.txt").write_text("not a crawl file name")
    (landing_dir / ".partial.warc.gz").write_bytes(b"still copying")

    first = evaluate(instance, landing)
    assert [r.partition_key for r in first.run_requests] == [
        "cc-main-2019-30-extracted-697.jsonl.gz",
        "small-crawl-a.warc.gz",
    ]
    assert all(r.run_key == r.partition_key for r in first.run_requests)
    assert sorted(instance.get_dynamic_partitions(CRAWL_FILES.name)) == [
        "cc-main-2019-30-extracted-697.jsonl.gz",
        "small-crawl-a.warc.gz",
    ]

    assert isinstance(evaluate(instance, landing), dg.SkipReason)

    land(landing_dir, "small-crawl-b.warc.gz")
    third = evaluate(instance, landing)
    assert [r.partition_key for r in third.run_requests] == ["small-crawl-b.warc.gz"]
    assert len(instance.get_dynamic_partitions(CRAWL_FILES.name)) == 3


def test_files_still_being_written_wait_for_the_next_tick(instance, landing_dir):
    landing = LandingResource(path=str(landing_dir), settle_seconds=60)
    land(landing_dir, "small-crawl-a.warc.gz")
    now = time.time()
    os.utime(landing_dir / "small-crawl-a.warc.gz", (now, now))
    assert isinstance(evaluate(instance, landing), dg.SkipReason)
    os.utime(landing_dir / "small-crawl-a.warc.gz", (now - 120, now - 120))
    assert [r.partition_key for r in evaluate(instance, landing).run_requests] == ["small-crawl-a.warc.gz"]


def test_missing_landing_folder_is_not_an_error(instance, tmp_path):
    landing = LandingResource(path=str(tmp_path / "nowhere"), settle_seconds=0)
    assert isinstance(evaluate(instance, landing), dg.SkipReason)
