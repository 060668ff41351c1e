"""quality_signals: measurements and verdicts of FineWeb's filters per document, stored in the lake."""

from support.lake import BOTH_CATALOGS, materialize_partition, rows
from support.samples import land

from assets.documents.assets import documents as documents_asset
from assets.ingestion.assets import ingest_crawl_file
from assets.signals.assets import QUALITY_SIGNALS, quality_signals
from curation.filters import FILTER_NAMES as FILTERS


@BOTH_CATALOGS
def test_signals_land_per_partition_and_thresholds_can_move_in_sql(instance, resources, landing_dir, lake):
    land(landing_dir, "cc-main-2019-30-extracted-697.jsonl.gz")
    result = materialize_partition(
        [ingest_crawl_file, documents_asset, quality_signals],
        instance,
        resources,
        "cc-main-2019-30-extracted-697.jsonl.gz",
    )
    assert result.success
    assert rows(lake, "SELECT count(*) FROM quality_signals") == rows(lake, "SELECT count(*) FROM documents")
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == QUALITY_SIGNALS]
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    kept = rows(lake, "SELECT count(*) FROM quality_signals WHERE fineweb_reason IS NULL")[0][0]
    assert metadata["kept_by_fineweb_defaults"] == kept and 0 < kept < 670
    dropped = {f: metadata[f"dropped_by_{f}"] for f in FILTERS}
    assert sum(dropped.values()) + kept == 670
    assert dropped["language"] > 0 and dropped["gopher_quality"] > 0
    # a stricter language threshold, decided from the stored score without measuring again
    stricter = rows(lake, "SELECT count(*) FROM quality_signals WHERE fineweb_reason IS NULL AND language_score >= 0.9")
    assert stricter[0][0] < kept
