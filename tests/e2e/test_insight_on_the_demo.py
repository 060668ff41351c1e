"""Explain, diff, the corpus report and the pipeline versions mart on the demo lake: the questions a user asks of a
real run (why was this document dropped, where did it end up, what did my threshold change move)."""

import json
import re
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
from conftest import copy_demo
from support.browser import CHROMIUM, chromium

from assets.filtered.assets import filtered_documents_asset
from curation import cli
from curation.filters.recipe import parse_recipe
from curation.insight.diff import diff, to_markdown
from curation.insight.explain import ExplainError, explain
from curation.insight.explain import to_markdown as explain_markdown
from curation.insight.report import REPORT_FILE
from curation.project import FILTER_RECIPES_DIR
from curation.recipe_files import read_yaml


@pytest.fixture(scope="module")
def lake(demo_lake):
    return demo_lake["lake"].lake()


def one(lake, sql: str, params=()):
    with lake.connect(read_only=True) as con:
        return con.execute(sql, list(params)).fetchone()


def test_a_kept_document_is_traced_to_its_manifest_and_the_shard_file_holding_it(lake, demo_lake):
    doc_id, crawl_file = one(
        lake,
        "SELECT v.doc_id, v.crawl_file FROM filtered_documents.fineweb__verdicts AS v "
        "JOIN mixture_manifests.fineweb_like AS m USING (doc_id) WHERE v.kept ORDER BY v.doc_id LIMIT 1",
    )
    answer = explain(lake, doc_id, shards_root=demo_lake["shards"])
    (page,) = answer["pages"]
    offset = one(lake, "SELECT record_offset FROM raw_pages WHERE page_id = ?", [doc_id])[0]
    assert (page["crawl_file"], page["record_offset"]) == (crawl_file, offset)
    (doc,) = answer["documents"]
    assert doc["filter_recipes"]["fineweb"] == {
        **doc["filter_recipes"]["fineweb"],
        "kept": True,
        "first_rejection": None,
    }
    assert doc["measurements"]["gopher_quality"]["words"] > 0
    assert doc["rating"]["domain"] and 1 <= doc["rating"]["overall_score"] <= 5
    assert any(m["recipe"] == "fineweb_like" and m["repeats"] >= 1 for m in doc["manifests"])
    shards = [s for s in doc["shards"] if s["recipe"] == "fineweb_like"]
    assert shards, "the shard holding the document is named"
    for shard in shards:  # the named file really holds the copies
        ids = pq.read_table(shard["file"], columns=["doc_id"])["doc_id"].to_pylist()
        assert ids.count(doc_id) == shard["copies"]


def test_a_filtered_document_names_its_first_rejecting_rule_under_each_recipe(lake):
    doc_id, reason = one(
        lake,
        "SELECT doc_id, reason FROM filtered_documents.fineweb__verdicts WHERE NOT kept "
        "AND reason LIKE 'gopher_quality:%' ORDER BY doc_id LIMIT 1",
    )
    answer = explain(lake, doc_id)
    verdict = answer["documents"][0]["filter_recipes"]["fineweb"]
    assert verdict["kept"] is False and verdict["first_rejection"] == reason
    assert verdict["filters"]["gopher_quality"] == reason.split(":")[1]
    assert f"| fineweb | dropped | {reason} |" in explain_markdown(answer)


def test_a_duplicate_names_its_cluster_and_representative_with_their_similarity(lake):
    doc_id, cluster_id, size = one(
        lake,
        "SELECT doc_id, cluster_id, cluster_size FROM dedup_clusters WHERE NOT is_representative "
        "AND match_kind = 'fuzzy' ORDER BY doc_id LIMIT 1",
    )
    cluster = explain(lake, doc_id)["documents"][0]["dedup"]
    assert (cluster["cluster_id"], cluster["size"], cluster["is_representative"]) == (cluster_id, size, False)
    representative = next(m for m in cluster["members"] if m["doc_id"] == cluster_id)
    assert representative["is_representative"] and 0.5 < representative["similarity"] <= 1.0


def test_a_quarantined_record_is_found_by_its_url_with_its_reason(lake):
    url, reason = one(lake, "SELECT url, reason FROM quarantine WHERE url IS NOT NULL ORDER BY url LIMIT 1")
    answer = explain(lake, url)
    assert answer["documents"] == [] and answer["quarantine"][0]["reason"] == reason


def test_a_url_with_several_pages_lists_them_and_an_unknown_one_is_refused(lake, demo_lake, capsys):
    url, pages = one(lake, "SELECT url, count(*) FROM raw_pages GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 1")
    answer = explain(lake, url)
    assert len(answer["pages"]) == pages and f"{pages} pages have this URL" in explain_markdown(answer)
    with pytest.raises(ExplainError, match="nothing in the lake"):
        explain(lake, "https://never.example/crawled")
    env = demo_lake["env"]
    options = ["--catalog", env["CURATOR_LAKE_CATALOG"], "--data-path", env["CURATOR_LAKE_DATA_PATH"]]
    assert cli.main(["explain", "https://never.example/crawled", *options]) == 1
    assert "nothing in the lake" in capsys.readouterr().err


def tightened_fineweb(min_doc_words: int):
    path = FILTER_RECIPES_DIR / "fineweb.yaml"
    data = read_yaml(path)
    data["filters"]["gopher_quality"]["min_doc_words"] = min_doc_words
    return parse_recipe(data, "fineweb", str(path), path.parent)


@pytest.fixture(scope="module")
def retuned(demo_lake, tmp_path_factory):
    """A copy of the demo lake where the fineweb recipe's min_doc_words went 50 -> 120 and was re-materialized."""
    copy = copy_demo(demo_lake, tmp_path_factory.mktemp("retuned-lake"))
    store = copy["lake"].lake()
    with store.connect(read_only=True) as con:
        before = store.snapshot_id(con)
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [filtered_documents_asset(tightened_fineweb(120))], instance=instance, resources={"lake": copy["lake"]}
        )
    assert result.success
    return {**copy, "store": store, "before": before}


def test_the_diff_names_exactly_the_documents_a_threshold_moved_and_the_rule(retuned, capsys):
    store = retuned["store"]
    with store.connect(snapshot=retuned["before"]) as con:
        expected = {
            row[0]
            for row in con.execute(
                "SELECT v.doc_id FROM filtered_documents.fineweb__verdicts AS v "
                "JOIN quality_signals AS s USING (doc_id) "
                "WHERE v.kept AND s.gopher_quality__words < 120"
            ).fetchall()
        }
    assert expected, "the demo has kept documents of 50-119 words"
    result = diff(store, retuned["before"], "latest")
    fineweb = next(r for r in result["filter_recipes"] if r["recipe"] == "fineweb")
    assert fineweb["gained"] == 0 and fineweb["lost"] == len(expected)
    assert {d["doc_id"] for d in fineweb["lost_documents"]} == expected
    assert fineweb["lost_by_rule"] == {"gopher_quality:gopher_short_doc": len(expected)}
    assert fineweb["kept_before"] - fineweb["kept_after"] == len(expected)
    assert all(r["gained"] == r["lost"] == 0 for r in result["filter_recipes"] if r["recipe"] != "fineweb")
    assert all(s["added"] == s["removed"] == s["changed"] == 0 for s in result["stages"])
    markdown = to_markdown(result)
    assert f"### fineweb: {len(expected)} documents lost" in markdown
    assert "| gopher_quality:gopher_short_doc |" in markdown
    # the same from the command line, as JSON, with the snapshot named by its commit message
    env = retuned["env"]
    options = ["--catalog", env["CURATOR_LAKE_CATALOG"], "--data-path", env["CURATOR_LAKE_DATA_PATH"]]
    assert (
        cli.main(["diff", "--from", str(retuned["before"]), "--to", "filter recipe fineweb", "--json", *options]) == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert next(r for r in printed["filter_recipes"] if r["recipe"] == "fineweb")["lost"] == len(expected)


def test_explain_at_an_older_snapshot_shows_the_verdict_it_had_then(retuned):
    store = retuned["store"]
    doc_id = next(
        d["doc_id"]
        for r in diff(store, retuned["before"])["filter_recipes"]
        if r["recipe"] == "fineweb"
        for d in r["lost_documents"]
    )
    now = explain(store, doc_id)["documents"][0]["filter_recipes"]["fineweb"]
    then = explain(store, doc_id, snapshot=retuned["before"])["documents"][0]["filter_recipes"]["fineweb"]
    assert then["kept"] and not now["kept"] and now["first_rejection"] == "gopher_quality:gopher_short_doc"


def test_corpus_diff_shows_the_run_in_its_metadata(demo_lake):
    metadata = demo_lake["metadata"]["corpus_diff"]
    assert metadata["diff"].startswith("# Corpus diff: snapshot")
    assert "| documents |" in metadata["diff"] and "## Filter recipes" in metadata["diff"]


def test_pipeline_versions_count_each_changed_tables_rows_at_its_snapshot(lake):
    with lake.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT snapshot_id, table_name, row_count, commit_message FROM stats.pipeline_versions "
            "WHERE table_name IN ('main.documents', 'main.raw_pages', 'main.dedup_clusters') ORDER BY 1"
        ).fetchall()
        snapshots = con.execute("SELECT count(DISTINCT snapshot_id) FROM stats.pipeline_versions").fetchone()[0]
        assert snapshots >= 20 and len(rows) >= 3
    for snapshot_id, table, row_count, message in rows[-6:]:
        with lake.connect(snapshot=snapshot_id) as con:
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == row_count, (snapshot_id, table)
        assert message


def test_the_report_is_linked_from_the_statistics_and_every_chart_draws(demo_lake, tmp_path):
    report = Path(demo_lake["root"]) / "lake" / "reports" / REPORT_FILE
    assert report.is_file()
    page = report.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the report loads nothing from elsewhere"
    charts = re.findall(r'data-chart="([^"]+)"', page)
    assert {"languages", "ratings", "clusters"} <= set(charts)
    assert any(c.startswith("funnel-") for c in charts) and any(c.startswith("mixture-") for c in charts)
    assert demo_lake["metadata"]["stats/corpus_funnel"]["corpus_report"] == ""  # a path entry, not Markdown
    composition = demo_lake["metadata"]["stats/mixture_composition"]["preview"]
    assert re.search(r"\| \d+\.\d% \|", composition), "shares read as percentages"
    if CHROMIUM is None:
        pytest.skip("no chromium here (apt-get install chromium); CI has it")
    dom = chromium("--dump-dom", report.as_uri()).stdout
    drawn = re.findall(r'data-chart="([^"]+)"[^>]*data-drawn="(\w+)"', dom)
    assert drawn and len(drawn) == len(charts)
    assert all(state == "yes" for _, state in drawn), [c for c, s in drawn if s != "yes"]
