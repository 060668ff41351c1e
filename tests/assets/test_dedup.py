"""Deduplication: real documents and near-duplicates made from them, across partitions added one after another."""

import json

import dagster as dg
import pytest
from support.lake import BOTH_CATALOGS, materialize_partition
from support.near_duplicates import edit_words, jaccard, long_originals

from assets.dedup.assets import (
    CHECK_DEDUPLICATED_EXPECTATIONS,
    CHECK_ONE_CLUSTER_ROW,
    CHECK_ONE_REPRESENTATIVE,
    dedup_clusters,
    dedup_fingerprints,
    deduplicated_documents_asset,
)
from assets.documents.assets import documents
from assets.filtered.assets import filtered_documents_asset
from assets.ingestion.assets import ingest_crawl_file
from assets.signals.assets import quality_signals
from curation.filters.recipe import load_recipe
from curation.project import FILTER_RECIPES_DIR

PIPELINE = [ingest_crawl_file, documents, dedup_fingerprints]


@pytest.fixture(scope="module")
def originals() -> list[str]:
    return long_originals()


def write_jsonl(path, docs: dict[str, str]) -> None:
    with open(path, "w") as f:
        for doc_id, text in docs.items():
            f.write(json.dumps({"id": doc_id, "text": text, "url": f"https://example.org/{doc_id}"}) + "\n")


def clusters(lake) -> dict[str, tuple[str, int, bool, str]]:
    with lake.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT r.warc_record_id, c.cluster_id, c.cluster_size, c.is_representative, c.match_kind "
            "FROM dedup_clusters c JOIN raw_pages r ON r.page_id = c.doc_id"
        ).fetchall()
    return {record: (cluster, size, rep, kind) for record, cluster, size, rep, kind in rows}


def test_near_duplicates_cluster_across_partitions_added_later(originals, instance, resources, landing_dir, lake):
    write_jsonl(landing_dir / "a.jsonl", {f"orig{i}": text for i, text in enumerate(originals)})
    assert materialize_partition(PIPELINE, instance, resources, "a.jsonl").success
    with lake.connect(read_only=True) as con:
        signatures_a = con.execute("SELECT doc_id, signature FROM dedup_signatures ORDER BY doc_id").fetchall()

    header = "Home | About us | Contact | Subscribe to our newsletter for the latest updates from the team\n\n"
    footer = "\n\nCopyright 2019 Example Media. All rights reserved. Terms of use. Privacy policy. Cookie settings."
    variants = {}
    for i, original in enumerate(originals[:24]):
        kind = ("copy", "edit1", "frame", "edit30", "edit60", "edit3")[i % 6]
        variants[f"var{i}-{kind}"] = {
            "copy": original.upper().replace(".", " . "),  # the same text once normalised
            "edit1": edit_words(original, 0.01, seed=i),
            "edit3": edit_words(original, 0.03, seed=i),
            "frame": header + original + footer,
            "edit30": edit_words(original, 0.30, seed=i),
            "edit60": edit_words(original, 0.60, seed=i),
        }[kind]
    write_jsonl(landing_dir / "b.jsonl", variants)
    assert materialize_partition(PIPELINE, instance, resources, "b.jsonl").success
    result = dg.materialize([dedup_clusters], instance=instance, resources=resources)
    assert all(c.passed for c in result.get_asset_check_evaluations())
    assert {c.check_name for c in result.get_asset_check_evaluations()} == {
        CHECK_ONE_CLUSTER_ROW,
        CHECK_ONE_REPRESENTATIVE,
    }
    found = clusters(lake)
    assert len(found) == len(originals) + len(variants)

    # linked exactly at the exact 5-gram Jaccard 0.75 (the margin: 32-bit shingle hashes against 5-gram strings)
    checked = {"high": 0, "low": 0}
    for name, text in variants.items():
        i = int(name[3:].split("-")[0])
        similarity = jaccard(originals[i], text)
        same = found[name][0] == found[f"orig{i}"][0]
        if similarity >= 0.755:
            assert same, f"{name}: Jaccard {similarity:.3f} not clustered with its original"
            checked["high"] += 1
        elif similarity < 0.745:
            assert not same, f"{name}: Jaccard {similarity:.3f} merged with its original"
            checked["low"] += 1
    assert checked["high"] >= 12 and checked["low"] >= 8
    assert found["var0-copy"][3] == "exact" and found["var1-edit1"][3] == "fuzzy"
    # the original, fetched first (JSONL without dates: then the smaller doc_id), or its copy represents the cluster
    cluster, size, _, _ = found["orig0"]
    assert size == 2 and sum(1 for c in found.values() if c[0] == cluster and c[2]) == 1
    # partition a was not fingerprinted again
    with lake.connect(read_only=True) as con:
        assert (
            con.execute(
                "SELECT doc_id, signature FROM dedup_signatures WHERE crawl_file = 'a.jsonl' ORDER BY doc_id"
            ).fetchall()
            == signatures_a
        )
        pairs_before = con.execute("SELECT * FROM dedup_pairs ORDER BY ALL").fetchall()

    # re-running partition b replaces its fingerprints and links: nothing doubles, the clusters stay the same
    assert materialize_partition(PIPELINE, instance, resources, "b.jsonl").success
    dg.materialize([dedup_clusters], instance=instance, resources=resources)
    assert clusters(lake) == found
    with lake.connect(read_only=True) as con:
        assert con.execute("SELECT * FROM dedup_pairs ORDER BY ALL").fetchall() == pairs_before
        assert con.execute("SELECT count(*) FROM dedup_signatures").fetchone()[0] == len(found)


def test_deduplicated_view_keeps_one_kept_document_per_cluster(originals, instance, resources, landing_dir, lake):
    texts = {f"orig{i}": t for i, t in enumerate(originals[:6])}
    texts.update({f"copy{i}": t + "\n" for i, t in enumerate(originals[:3])})
    write_jsonl(landing_dir / "c.jsonl", texts)
    assert materialize_partition([*PIPELINE, quality_signals], instance, resources, "c.jsonl").success
    recipe = load_recipe(FILTER_RECIPES_DIR / "fineweb2.yaml")
    dg.materialize(
        [filtered_documents_asset(recipe), dedup_clusters, deduplicated_documents_asset(recipe)],
        instance=instance,
        resources=resources,
    )
    with lake.connect(read_only=True) as con:
        kept = {
            r
            for (r,) in con.execute(
                "SELECT r.warc_record_id FROM filtered_documents.fineweb2 f JOIN raw_pages r ON r.page_id = f.doc_id"
            ).fetchall()
        }
        rows = con.execute(
            "SELECT r.warc_record_id, d.cluster_id, d.cluster_size FROM deduplicated_documents.fineweb2 d "
            "JOIN raw_pages r ON r.page_id = d.doc_id"
        ).fetchall()
    copies_of_kept = {f"copy{i}" for i in range(3) if f"orig{i}" in kept and f"copy{i}" in kept}
    assert len(copies_of_kept) >= 2 and len(kept) >= 6
    assert len(rows) == len({c for _, c, _ in rows}) == len(kept) - len(copies_of_kept)  # one row per cluster
    chosen = {record: size for record, _, size in rows}
    for copy in copies_of_kept:
        original = copy.replace("copy", "orig")
        assert (copy in chosen) != (original in chosen)  # exactly one of the two
        assert chosen.get(copy, chosen.get(original)) == 2  # cluster_size kept for rehydration

    # a corpus that breaks its suite (a cluster size lost) stops here: what rates it does not run
    with lake.connect() as con:
        con.execute("UPDATE dedup_clusters SET cluster_size = 0 WHERE cluster_size = 2")
    result = dg.materialize(
        [deduplicated_documents_asset(recipe), rating_stand_in],
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == CHECK_DEDUPLICATED_EXPECTATIONS and not check.passed
    assert check.metadata["failed_expectations"].value == 1
    assert check.metadata["unexpected_rows"].value == len(copies_of_kept)
    assert f"expect_column_values_to_be_between(cluster_size): {len(copies_of_kept)} unexpected" in check.description
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"deduplicated_documents/fineweb2"}


@dg.asset(deps=[dg.AssetKey(["deduplicated_documents", "fineweb2"])])
def rating_stand_in() -> None:
    """Stands in for the rating input that reads the deduplicated corpus."""


@BOTH_CATALOGS
def test_signatures_of_another_minhash_setting_are_never_compared(originals, instance, resources, landing_dir, lake):
    write_jsonl(landing_dir / "d.jsonl", {"one": originals[0]})
    write_jsonl(landing_dir / "e.jsonl", {"two": originals[0] + " extra words at the end"})
    assert materialize_partition(PIPELINE, instance, resources, "d.jsonl").success
    other = {"ops": {"dedup_fingerprints": {"config": {"num_bands": 20, "hashes_per_band": 5}}}}
    assert materialize_partition(PIPELINE, instance, resources, "e.jsonl", run_config=other).success
    with lake.connect(read_only=True) as con:
        kinds = con.execute("SELECT kind FROM dedup_pairs").fetchall()
        configs = con.execute("SELECT DISTINCT minhash_config FROM dedup_signatures ORDER BY 1").fetchall()
    assert kinds == []
    assert configs == [("5gram-17x5-seed1-cp1",), ("5gram-20x5-seed1-cp1",)]
