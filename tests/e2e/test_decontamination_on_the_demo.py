"""Decontamination on the demo lake's real crawl documents: every partition scanned against GSM8K, nothing flagged
in the sample; a GSM8K question and answer planted in a kept document is flagged, left out of a manifest by
default, let in (and counted) by a recipe that keeps it, and a manifest that lets it in by mistake is blocked."""

import json

import dagster as dg
import pytest
import yaml
from conftest import copy_demo

from assets.mixtures import assets as mixtures
from assets.partitions import CRAWL_FILES
from assets.resources import ComputeResource, ShardStoreResource
from assets.signals.contamination import contamination
from curation.decontamination.benchmarks import load_registry
from curation.mixtures import manifest as manifest_sql
from curation.recipes import load_all


def test_every_partition_is_scanned_against_gsm8k_and_the_sample_is_clean(demo_lake):
    version = load_registry()["gsm8k"].version
    with demo_lake["lake"].lake().connect(read_only=True) as con:
        scans = con.execute(
            "SELECT crawl_file, benchmark_version, documents, contaminated_documents FROM contamination_scans "
            "WHERE benchmark = 'gsm8k'"
        ).fetchall()
        partitions = dict(con.execute("SELECT crawl_file, count(*) FROM documents GROUP BY 1").fetchall())
        crawl_files = [r[0] for r in con.execute("SELECT crawl_file FROM crawl_files").fetchall()]
        mart = con.execute(
            "SELECT sum(documents), sum(contaminated_documents) FROM stats.contamination_by_benchmark"
        ).fetchone()
    # every partition, the one whose only record is clipped (no documents) too
    assert {c: (v, n) for c, v, n, _ in scans} == {c: (version, partitions.get(c, 0)) for c in crawl_files}
    assert all(flagged == 0 for *_, flagged in scans)
    assert mart == (sum(partitions.values()), 0)
    summary = json.loads((demo_lake["shards"] / "fineweb_like" / "manifest_summary.json").read_text())
    assert summary["decontamination"]["mode"] == "exclude"
    assert summary["decontamination"]["benchmarks"] == {"gsm8k": version}


@pytest.fixture(scope="module")
def planted(demo_lake, tmp_path_factory):
    """A copy of the demo lake in which one document the fineweb recipe keeps quotes GSM8K item 42, rescanned."""
    copy = copy_demo(demo_lake, tmp_path_factory.mktemp("contaminated-lake"))
    item = json.loads(load_registry()["gsm8k"].path.read_text().splitlines()[41])
    lake = copy["lake"]
    with lake.lake().transaction("test: a GSM8K item planted") as con:
        doc_id, partition = con.execute(
            "SELECT doc_id, crawl_file FROM deduplicated_documents.fineweb ORDER BY doc_id LIMIT 1"
        ).fetchone()
        con.execute(
            "UPDATE documents SET text = text || chr(10) || ? || chr(10) || ? WHERE doc_id = ?",
            [item["question"], item["answer"], doc_id],
        )
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(CRAWL_FILES.name, [partition])
        result = dg.materialize(
            [contamination],
            instance=instance,
            resources={"lake": lake, "compute": ComputeResource()},
            partition_key=partition,
        )
    assert result.success
    return {**copy, "doc_id": doc_id, "partition": partition}


def manifest_of(planted, tmp_path, name: str, **settings):
    recipes = tmp_path / "recipes"
    recipes.mkdir(exist_ok=True)
    recipe = {"token_budget": 10**7, "max_repeats": 1, "streams": [{"name": "web", "filter_recipe": "fineweb"}]}
    (recipes / f"{name}.yaml").write_text(yaml.safe_dump({**recipe, **settings}))
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            mixtures.mixture_assets(load_all(mixture_folder=recipes)),
            instance=instance,
            resources={
                "lake": planted["lake"],
                "shards": ShardStoreResource(path=str(tmp_path / "shards")),
                "compute": ComputeResource(),
            },
            raise_on_error=False,
        )
    with planted["lake"].lake().connect(read_only=True) as con:
        ids = {r[0] for r in con.execute(f"SELECT doc_id FROM mixture_manifests.{name}").fetchall()}
        summary = json.loads(
            con.execute("SELECT summary FROM mixture_summaries WHERE recipe = ?", [name]).fetchone()[0]
        )
    [check] = [
        c
        for c in result.get_asset_check_evaluations()
        if c.check_name == mixtures.CHECK_DECONTAMINATED and c.asset_key.path[-1] == name
    ]
    return result, ids, summary["decontamination"], check


def test_the_planted_item_is_flagged_with_its_line_and_span(planted):
    with planted["lake"].lake().connect(read_only=True) as con:
        rows = con.execute("SELECT doc_id, benchmark, first_item, longest_span_words FROM contamination").fetchall()
        scan = con.execute(
            "SELECT contaminated_documents FROM contamination_scans WHERE crawl_file = ?", [planted["partition"]]
        ).fetchone()
    [(doc_id, benchmark, item, span)] = rows
    assert (doc_id, benchmark, item, scan[0]) == (planted["doc_id"], "gsm8k", 42, 1)
    assert span > 60  # question and answer: one run of matching 13-grams


def test_a_manifest_leaves_the_flagged_document_out_unless_the_recipe_keeps_it(planted, tmp_path):
    result, ids, record, check = manifest_of(planted, tmp_path, "clean")
    assert result.success and check.passed
    assert planted["doc_id"] not in ids and len(ids) > 50
    assert record["flagged_documents_in_pool"] == {"fineweb": 1} and record["contaminated_documents_in_manifest"] == 0

    result, ids, record, check = manifest_of(planted, tmp_path, "kept", decontamination="keep")
    assert result.success and check.passed  # the recipe opted out: recorded, not blocked
    assert planted["doc_id"] in ids
    assert record["mode"] == "keep" and record["contaminated_documents_in_manifest"] == 1


def test_a_manifest_that_lets_a_flagged_document_in_by_mistake_is_blocked(planted, tmp_path, monkeypatch):
    original = manifest_sql.build_bases
    monkeypatch.setattr(  # a bug: the pool built without the exclusion
        manifest_sql,
        "build_bases",
        lambda con, recipe: original(con, recipe.model_copy(update={"decontamination": "keep"})),
    )
    result, ids, _, check = manifest_of(planted, tmp_path, "leaky")
    assert planted["doc_id"] in ids and not check.passed and not result.success
    assert check.metadata["contaminated_documents_in_manifest"].value == 1
    assert not (tmp_path / "shards" / "leaky").exists()  # the blocking check stopped the shards
