"""`make demo`: drop the bundled sample crawl into the landing folder, let the sensor register it, then
materialize every asset on every crawl partition in the persistent Dagster instance (so `make ui` shows the
runs) and print what the lake holds. Running it again replaces partitions; it never doubles rows."""

import os
import shutil
import sys
import time
from pathlib import Path

import dagster as dg
from dotenv import load_dotenv

from assets.partitions import CRAWL_FILES
from assets.resources import LakeResource, LandingResource
from curation.ingest.formats import is_crawl_file_name
from curation.lake.tables import DEDUPLICATED_SCHEMA, FILTERED_SCHEMA
from orchestration.instance import recover_abandoned_runs, run_tags
from orchestration.jobs import (
    CORPUS_JOB,
    CRAWL_PARTITION_JOB,
    LAKE_MAINTENANCE_JOB,
    LAKE_STATISTICS_JOB,
    MIXTURE_JOB,
    RATING_JOB,
)
from orchestration.sensors import landing_folder_sensor

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT_ROOT / "data" / "samples"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def stage_samples(landing: Path, samples: Path = SAMPLES) -> list[str]:
    """Copy sample crawl files not yet in the landing folder (keeping their dates, so they count as settled)."""
    landing.mkdir(parents=True, exist_ok=True)
    copied = []
    for src in sorted(samples.iterdir()):
        if is_crawl_file_name(src.name) and not (landing / src.name).exists():
            shutil.copy2(src, landing / src.name)
            copied.append(src.name)
    return copied


def register_new_files(instance: dg.DagsterInstance, landing: LandingResource) -> list[str]:
    """One evaluation of the landing sensor, with its partition requests applied as the daemon would."""
    result = landing_folder_sensor(dg.build_sensor_context(instance=instance, resources={"landing": landing}))
    if isinstance(result, dg.SkipReason):
        return []
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return [r.partition_key for r in result.run_requests]


def run_demo(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    lake: LakeResource,
    landing: LandingResource,
    rating_ops_config: dict | None = None,
    skip_jobs: tuple[str, ...] = (),
) -> dict:
    """Materialize all crawl partitions present in the landing folder, then the corpus, the quality ratings, the
    mixture manifests with their shards, and the statistics; return rows per lake table. `rating_ops_config`: run
    config of the rating job's ops (e.g. a quicker rater for tests); `skip_jobs`: unpartitioned jobs not to run."""
    recovered = recover_abandoned_runs(instance)
    if recovered:
        print(f"recovered {len(recovered)} run(s) a killed process left STARTED (marked failed, pool slots freed)")
    stage_samples(landing.folder())
    new = register_new_files(instance, landing)
    print(f"sensor: {len(new)} new crawl file(s) registered" + (f": {', '.join(new)}" if new else ""))
    job = defs.resolve_job_def(CRAWL_PARTITION_JOB)
    present = set(landing.ready_files())
    failed = []
    for key in instance.get_dynamic_partitions(CRAWL_FILES.name):
        if key not in present:
            continue
        started = time.monotonic()
        result = job.execute_in_process(
            partition_key=key, instance=instance, raise_on_error=False, run_config=QUIET, tags=run_tags()
        )
        print(f"  {'ok    ' if result.success else 'FAILED'} {time.monotonic() - started:6.1f} s  {key}")
        if not result.success:
            failed.append(key)
    for job_name, what, ops in (
        (CORPUS_JOB, "filter recipes, duplicate clusters, corpus views", None),
        (RATING_JOB, "annotations, rater + classifier (trained, cross-validated), quality ratings", rating_ops_config),
        (MIXTURE_JOB, "mixture manifests and training shards", None),
        (LAKE_STATISTICS_JOB, "dbt statistics", None),
        (LAKE_MAINTENANCE_JOB, "lake maintenance (snapshots older than a week expire, unused files go)", None),
    ):
        if job_name in skip_jobs:
            continue
        run_config = {**QUIET, "ops": ops} if ops else QUIET
        started = time.monotonic()
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config, tags=run_tags()
        )
        print(f"  {'ok    ' if result.success else 'FAILED'} {time.monotonic() - started:6.1f} s  {what}")
        if not result.success:
            failed.append(job_name)
    return {"tables": table_counts(lake), "failed": failed}


def table_counts(lake: LakeResource) -> dict[str, int]:
    """Rows per lake table (and per filter recipe's view of kept documents), as `schema.table` outside `main`."""
    with lake.lake().connect(read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'lake' UNION ALL "
            "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = 'lake' "
            f"AND schema_name IN ('main', '{FILTERED_SCHEMA}', '{DEDUPLICATED_SCHEMA}') "
            "AND NOT view_name LIKE '%\\_\\_verdicts' ESCAPE '\\' ORDER BY 1, 2"
        ).fetchall()
        return {
            (name if schema == "main" else f"{schema}.{name}"): con.execute(
                f"SELECT count(*) FROM {schema}.{name}"
            ).fetchone()[0]
            for schema, name in tables
        }


def run_maintenance(defs: dg.Definitions, instance: dg.DagsterInstance) -> bool:
    """`make maintain`: the lake_maintenance job once, recorded in the instance like a scheduled run."""
    result = defs.resolve_job_def(LAKE_MAINTENANCE_JOB).execute_in_process(
        instance=instance, raise_on_error=False, run_config=QUIET, tags=run_tags()
    )
    for event in result.get_asset_materialization_events():
        print(event.asset_materialization.metadata["summary"].value)
    return result.success


def main(argv: list[str] | None = None) -> int:
    load_dotenv(PROJECT_ROOT / ".env")  # embedded defaults; real environment variables win
    os.chdir(PROJECT_ROOT)
    from orchestration.definitions import defs

    if "--maintain" in (sys.argv[1:] if argv is None else argv):
        with dg.DagsterInstance.get() as instance:
            return 0 if run_maintenance(defs, instance) else 1

    lake = LakeResource(catalog=os.environ["CURATOR_LAKE_CATALOG"], data_path=os.environ["CURATOR_LAKE_DATA_PATH"])
    landing = LandingResource(path=os.environ["CURATOR_LANDING_PATH"], settle_seconds=0)
    with dg.DagsterInstance.get() as instance:
        summary = run_demo(defs, instance, lake, landing)
    print("\nlake tables (rows):")
    for name, rows in summary["tables"].items():
        print(f"  {name:<34} {rows:>8}")
    catalog, data_path = lake.lake().attach_target()  # local paths made absolute, the `sqlite:` prefix kept
    print(f"\nlake catalog: {catalog}")
    print(f"lake data:    {data_path}")
    print(f"landing:      {landing.folder().resolve()} (drop .warc/.warc.gz/.jsonl/.jsonl.gz files here)")
    print(f"shards:       {Path(os.environ['CURATOR_SHARDS_PATH']).resolve()} (one folder per mixture recipe)")
    print("web UI:       make ui   (then open http://127.0.0.1:3000; PORT=... to change)")
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
