"""dbt statistics over a real lake: models land in `lake.stats`, data tests run as Dagster asset checks."""

import dagster as dg
import pytest
from support.lake import materialize, rows
from support.samples import land

from assets.statistics.assets import statistics_assets
from curation.recipes import load_all
from orchestration.definitions import defs

DBT = defs.resources["dbt"]


# the models over ingestion and dedup (the demo's end-to-end test builds the whole project)
INGESTION_MODELS = [
    dg.AssetKey(["stats", name])
    for name in (
        "stg_raw_pages",
        "stg_quarantine",
        "stg_crawl_files",
        "stg_dedup_clusters",
        "ingest_funnel",
        "quarantine_reasons",
        "dedup_cluster_sizes",
    )
]


def build_statistics(instance, resources, selection=None):
    """dbt build of `selection` (default: all), with only the tests whose every model is selected (dbt's
    cautious indirect selection: a fresh lake has no other models for relationship tests to reach)."""
    return dg.materialize(
        [statistics_assets(load_all())],
        instance=instance,
        resources={**resources, "dbt": DBT},
        selection=selection,
        raise_on_error=False,
    )


@pytest.mark.parametrize("lake_resource", ["postgres"], indirect=True)  # the demo builds every model on SQLite
def test_funnel_counts_each_crawl_partition_all_dbt_tests_pass_and_a_broken_key_fails(
    instance, resources, landing_dir, lake, monkeypatch
):
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")
    for name in ("small-crawl-a.warc.gz", "malformed-clipped-record.warc.gz"):
        land(landing_dir, name)
        materialize(instance, resources, name)

    result = build_statistics(instance, resources, selection=INGESTION_MODELS)
    assert result.success
    assert rows(
        lake,
        "SELECT crawl_file, records_seen, pages_in_lake, quarantined, quarantine_rate "
        "FROM stats.ingest_funnel ORDER BY 1",
    ) == [("malformed-clipped-record.warc.gz", 1, 0, 1, 1.0), ("small-crawl-a.warc.gz", 48, 22, 0, 0.0)]
    assert rows(lake, "SELECT crawl_file, reason, records FROM stats.quarantine_reasons") == [
        ("malformed-clipped-record.warc.gz", "truncated_record", 1)
    ]
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 15 and all(c.passed for c in checks)
    materialized = {
        e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()
    }
    assert {"stats/ingest_funnel", "stats/quarantine_reasons", "stats/stg_raw_pages"} <= set(materialized)
    funnel = materialized["stats/ingest_funnel"]
    assert funnel["dagster/row_count"].value == 2
    assert "| small-crawl-a.warc.gz | warc |" in funnel["preview"].value
    # stages this lake has not reached yet: their marts build empty (the sources were created with their schemas)
    assert materialized["stats/dedup_cluster_sizes"]["dagster/row_count"].value == 0
    assert "| size_bucket | clusters |" in materialized["stats/dedup_cluster_sizes"]["cluster_size_histogram"].value

    # then a broken invariant on the same lake (one lake, one ingestion: the suite's time) fails its test and the run;
    # dbt builds into the staging schema, so the live `stats` schema is not touched by any snapshot and readers keep
    # the previous complete, tested set
    with lake.connect() as con:  # a second log row for the same file: crawl_file is no longer a key
        con.execute("INSERT INTO crawl_files SELECT * FROM crawl_files WHERE crawl_file = 'small-crawl-a.warc.gz'")
        before = lake.snapshot_id(con)
    broken = build_statistics(
        instance,
        resources,
        selection=[dg.AssetKey(["stats", "stg_crawl_files"]), dg.AssetKey(["stats", "ingest_funnel"])],
    )
    assert not broken.success
    failed = {c.check_name for c in broken.get_asset_check_evaluations() if not c.passed}
    assert failed == {"unique_stg_crawl_files_crawl_file"}
    with lake.connect(read_only=True) as con:
        changes = con.execute("SELECT changes FROM lake.snapshots() WHERE snapshot_id > ?", [before]).fetchall()
    touched = {n for (c,) in changes for names in (c or {}).values() for n in names if str(n).startswith("stats.")}
    assert len(changes) >= 1 and touched == set()
    assert rows(lake, "SELECT crawl_file, records_seen FROM stats.ingest_funnel ORDER BY 1") == [
        ("malformed-clipped-record.warc.gz", 1),
        ("small-crawl-a.warc.gz", 48),
    ]


def test_statistics_are_requested_once_a_new_partition_lands(instance, resources, landing_dir):
    settled = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=settled.cursor)
    assert quiet.total_requested == 0

    land(landing_dir, "small-crawl-a.warc.gz")
    materialize(instance, resources, "small-crawl-a.warc.gz")
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)
    stats_keys = [k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "stats"]
    requested = {k.to_user_string() for k in stats_keys if after.get_num_requested(k) == 1}
    assert requested == {
        "stats/stg_raw_pages",
        "stats/stg_crawl_files",
        "stats/stg_quarantine",
        "stats/ingest_funnel",
        "stats/quarantine_reasons",
    }  # the models over documents, ratings and mixtures wait until those stages have materialized
    assert after.total_requested == len(requested)
    assert defs.resolve_sensor_def("statistics_automation_sensor").default_status == dg.DefaultSensorStatus.RUNNING
