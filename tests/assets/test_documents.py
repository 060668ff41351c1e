"""raw_pages -> documents: extraction in both modes, language ID, pass-through of extracted crawls."""

from pathlib import Path

import dagster as dg
import pytest
from support.lake import BOTH_CATALOGS, materialize_partition, rows
from support.samples import land

from assets.documents.assets import DOCUMENTS, documents
from assets.ingestion.assets import ingest_crawl_file
from curation.documents.pages import PASS_THROUGH


def materialize(instance, resources, key, **config):
    run_config = {"ops": {"documents": {"config": config}}} if config else None
    return materialize_partition([ingest_crawl_file, documents], instance, resources, key, run_config, False)


@BOTH_CATALOGS
def test_documents_asset_writes_one_partition_with_its_extractor(instance, resources, landing_dir, lake):
    land(landing_dir, "cc-main-2019-30-extracted-697.jsonl.gz", "small-crawl-a.warc.gz")
    assert materialize(instance, resources, "cc-main-2019-30-extracted-697.jsonl.gz").success
    result = materialize(instance, resources, "small-crawl-a.warc.gz", extractor="fast")
    assert result.success
    assert rows(lake, "SELECT crawl_file, extractor, count(*) FROM documents GROUP BY 1, 2 ORDER BY 1") == [
        ("cc-main-2019-30-extracted-697.jsonl.gz", PASS_THROUGH, 670),
        ("small-crawl-a.warc.gz", "resiliparse 2.0.1 main_content + boilerplate lines", 22),
    ]
    assert rows(lake, "SELECT language FROM documents WHERE crawl_file = 'small-crawl-a.warc.gz' GROUP BY 1") == [
        ("en",)
    ]
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == DOCUMENTS]
    assert event.materialization.metadata["dagster/row_count"].value == 22
    assert "| en | 22 |" in event.materialization.metadata["languages"].value
    suite = {c.check_name: c for c in result.get_asset_check_evaluations()}["documents_expectations"]
    assert suite.passed and suite.metadata["rows_checked"].value == 22
    assert suite.metadata["expectations"].value == 13 and suite.severity == dg.AssetCheckSeverity.WARN


def test_an_unknown_extractor_is_refused_before_any_data_is_touched(instance, resources, landing_dir, lake):
    land(landing_dir, "small-crawl-b.warc.gz")
    with pytest.raises(dg.DagsterInvalidConfigError, match="extractor"):
        materialize(instance, resources, "small-crawl-b.warc.gz", extractor="regex-magic")
    assert not Path(lake.catalog).exists()  # not even raw_pages: config is checked before the run starts
