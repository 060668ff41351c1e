"""Manifest arithmetic on a synthetic rated lake of 20,000 documents: shares, phases, repeats, caps, shortfalls,
selection methods and determinism, each as a trainer would notice it."""

import json

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from support.lake import CATALOGS, postgres_catalog
from support.synthetic_mixture import DOMAIN_PERCENT, RECIPE, build_synthetic_lake

from curation.lake.client import Lake
from curation.mixtures.manifest import compute_manifest, weights_from_removal_rates
from curation.mixtures.recipe import parse_mixture_recipe

DOCUMENTS = 20_000


@pytest.fixture(scope="module", params=CATALOGS)
def synthetic(request, tmp_path_factory) -> tuple[Lake, int]:
    """The synthetic lake on each catalog: every manifest test runs on SQLite and on PostgreSQL."""
    root = tmp_path_factory.mktemp("mixtures")
    catalog = postgres_catalog(request) if request.param == "postgres" else "sqlite:" + str(root / "catalog.sqlite")
    lake = Lake(catalog, str(root / "files"))
    build_synthetic_lake(lake, DOCUMENTS, seed=0)
    with lake.connect(read_only=True) as con:
        snapshot = lake.snapshot_id(con)
        supply = con.execute(
            f"SELECT sum(ceil(char_count / 4.0))::BIGINT FROM deduplicated_documents.{RECIPE}"
        ).fetchone()[0]
    return lake, snapshot, supply


def manifest(synthetic, **spec):
    lake, snapshot, _ = synthetic
    stream = {"name": "web", "filter_recipe": RECIPE, **spec.pop("stream", {})}
    recipe = parse_mixture_recipe({"streams": [stream], **spec}, "test", "test.yaml", {RECIPE})
    with lake.connect(snapshot=snapshot) as con:
        return compute_manifest(con, recipe, snapshot, {})


def shares(result, phase: str = "main") -> dict[str, tuple[float, float]]:
    [found] = [p for p in result.summary["phases"] if p["phase"] == phase]
    return {d["domain"]: (d["target_share"], d["achieved_share"]) for d in found["domains"]}


def scores(lake_snapshot, column: str) -> pa.Table:
    lake, snapshot, _ = lake_snapshot
    with lake.connect(snapshot=snapshot) as con:
        return con.execute(
            f"SELECT q.doc_id, q.{column} AS score, q.domain FROM main.quality_ratings AS q "
            f"JOIN deduplicated_documents.{RECIPE} USING (doc_id)"
        ).to_arrow_table()


def test_natural_domain_shares_are_met_within_one_percent(synthetic):
    budget = synthetic[2] // 2
    result = manifest(synthetic, token_budget=budget)
    assert abs(result.summary["achieved_tokens"] - budget) <= 0.01 * budget
    measured = shares(result)
    assert set(measured) == set(DOMAIN_PERCENT)
    for target, achieved in measured.values():
        assert abs(achieved - target) <= 0.01
    assert measured["Technology"][0] > measured["Mathematics"][0] * 5  # the data's own skew
    assert pc.max(result.rows["repeats"]).as_py() == 1 and result.summary["shortfalls"] == []


def test_explicit_weights_give_only_the_named_domains_in_their_proportions(synthetic):
    weights = {"Coding": 1, "Law": 1, "Education": 2}
    result = manifest(
        synthetic, token_budget=200_000, stream={"domain_weights": {"mode": "explicit", "weights": weights}}
    )
    measured = shares(result)
    assert set(measured) == set(weights)
    for domain, weight in weights.items():
        assert measured[domain][0] == pytest.approx(weight / 4)
        assert abs(measured[domain][1] - weight / 4) <= 0.01
    assert set(result.rows["domain"].to_pylist()) == set(weights)


def test_temperature_flattens_the_natural_mix(synthetic):
    natural = shares(manifest(synthetic, token_budget=2_000_000))
    flat = shares(
        manifest(
            synthetic, token_budget=2_000_000, stream={"domain_weights": {"mode": "temperature", "temperature": 3}}
        )
    )
    raised = {d: natural[d][0] ** (1 / 3) for d in natural}
    for domain, (target, achieved) in flat.items():
        assert target == pytest.approx(raised[domain] / sum(raised.values()), abs=1e-5)
        assert abs(achieved - target) <= 0.01
    assert flat["Mathematics"][1] > 2 * natural["Mathematics"][1]
    assert flat["Technology"][1] < natural["Technology"][1]


def test_short_supply_is_upsampled_up_to_the_cap_and_the_rest_recorded_as_shortfall(synthetic):
    supply = synthetic[2]
    result = manifest(synthetic, token_budget=supply * 10, max_repeats=3)
    assert set(result.rows["repeats"].to_pylist()) == {3}  # every document at the cap
    assert result.summary["achieved_tokens"] == 3 * supply
    shortfall = sum(s["shortfall_tokens"] for s in result.summary["shortfalls"])
    assert shortfall == pytest.approx(supply * 10 - 3 * supply, rel=1e-6)
    assert {s["reason"] for s in result.summary["shortfalls"]} == {"supply at the repetition cap (3)"}
    cells = result.cells.to_pylist()
    assert [c["shortfall_tokens"] for c in cells] == pytest.approx(
        [c["target_tokens"] - c["achieved_tokens"] for c in cells]
    )


def test_moderately_short_supply_repeats_documents_and_meets_the_target(synthetic):
    supply = synthetic[2]
    result = manifest(synthetic, token_budget=int(supply * 2.5), max_repeats=4)
    assert result.summary["shortfalls"] == []
    assert abs(result.summary["achieved_tokens"] - supply * 2.5) <= 0.01 * supply * 2.5
    assert set(result.rows["repeats"].to_pylist()) == {2, 3}
    for target, achieved in shares(result).values():
        assert abs(achieved - target) <= 0.01


def test_phases_split_the_budget_and_the_final_phase_upsamples_its_domains(synthetic):
    result = manifest(
        synthetic,
        token_budget=1_000_000,
        phases=[
            {"name": "main", "fraction": 0.85},
            {"name": "final", "fraction": 0.15, "upsample": {"Coding": 3, "Mathematics": 3}},
        ],
    )
    phases = {p["phase"]: p for p in result.summary["phases"]}
    assert phases["main"]["target_tokens"] == 850_000 and phases["final"]["target_tokens"] == 150_000
    for phase in phases.values():
        assert abs(phase["achieved_tokens"] - phase["target_tokens"]) <= 0.01 * phase["target_tokens"]
    main, final = shares(result, "main"), shares(result, "final")
    for domain in ("Coding", "Mathematics"):
        assert final[domain][0] > 2.5 * main[domain][0]
        assert abs(final[domain][1] - final[domain][0]) <= 0.01
    # the final phase takes documents the main phase did not use before repeating any
    used = result.rows.group_by("doc_id").aggregate([("phase", "count")])
    assert pc.max(used["phase_count"]).as_py() == 1


def test_the_repetition_cap_holds_over_phases_and_streams(synthetic):
    lake, snapshot, supply = synthetic
    recipe = parse_mixture_recipe(
        {
            "token_budget": supply * 8,
            "max_repeats": 3,
            "streams": [
                {"name": "a", "filter_recipe": RECIPE, "share": 0.5},
                {"name": "b", "filter_recipe": RECIPE, "share": 0.5, "selection": {"method": "top_k"}},
            ],
            "phases": [{"name": "one", "fraction": 0.5}, {"name": "two", "fraction": 0.5}],
        },
        "cap",
        "cap.yaml",
        {RECIPE},
    )
    with lake.connect(snapshot=snapshot) as con:
        result = compute_manifest(con, recipe, snapshot, {})
    per_doc = result.rows.group_by("doc_id").aggregate([("repeats", "sum")])
    assert pc.max(per_doc["repeats_sum"]).as_py() == 3
    assert result.summary["max_repeats_of_a_document"] == 3
    assert result.summary["achieved_tokens"] == 3 * supply
    assert result.summary["shortfalls"]


def test_qurating_sampling_prefers_high_scores_more_as_tau_falls(synthetic):
    pool = scores(synthetic, "overall_score_expected")
    by_id = dict(zip(pool["doc_id"].to_pylist(), pool["score"].to_pylist(), strict=True))
    pool_mean = sum(by_id.values()) / len(by_id)

    def selected_mean(tau):
        result = manifest(
            synthetic, token_budget=synthetic[2] // 5, stream={"selection": {"method": "qurating", "tau": tau}}
        )
        chosen = [by_id[d] for d in result.rows["doc_id"].to_pylist()]
        return sum(chosen) / len(chosen), min(chosen)

    sharp, sharp_min = selected_mean(0.5)
    soft, soft_min = selected_mean(2.0)
    flat, _ = selected_mean(50.0)
    assert sharp > soft > flat
    assert abs(flat - pool_mean) < 0.1  # almost uniform sampling
    assert soft_min < pool_mean  # sampling, not a hard cut: some below-average documents get in


def test_top_k_takes_the_highest_scores_of_each_domain(synthetic):
    result = manifest(
        synthetic,
        token_budget=synthetic[2] // 4,
        stream={"selection": {"method": "top_k", "score": "fasttext_quality"}},
    )
    pool = scores(synthetic, "fasttext_quality")
    chosen = set(result.rows["doc_id"].to_pylist())
    for domain in DOMAIN_PERCENT:
        rows = [(s, d in chosen) for d, s, dom in zip(*pool.to_pydict().values(), strict=True) if dom == domain]
        taken = [s for s, c in rows if c]
        left = [s for s, c in rows if not c]
        assert taken and min(taken) >= max(left, default=0)


def test_threshold_selection_keeps_only_documents_within_the_limits(synthetic):
    result = manifest(
        synthetic,
        token_budget=100_000,
        stream={"selection": {"method": "threshold", "min": {"overall_score": 4, "fasttext_quality": 0.5}}},
    )
    lake, snapshot, _ = synthetic
    with lake.connect(snapshot=snapshot) as con:
        con.register("_m", result.rows)
        worst = con.execute(
            "SELECT min(q.overall_score), min(q.fasttext_quality) FROM _m JOIN main.quality_ratings q USING (doc_id)"
        ).fetchone()
    assert worst[0] >= 4 and worst[1] >= 0.5


def test_dataman_takes_score_five_and_splits_the_budget_by_source_then_domain(synthetic):
    result = manifest(
        synthetic,
        token_budget=300_000,
        stream={"selection": {"method": "dataman"}, "domain_weights": {"mode": "natural", "natural_from": "pool"}},
    )
    lake, snapshot, _ = synthetic
    with lake.connect(snapshot=snapshot) as con:
        con.register("_m", result.rows)
        assert (
            con.execute("SELECT min(q.overall_score) FROM _m JOIN main.quality_ratings q USING (doc_id)").fetchone()[0]
            == 5
        )
        pool = dict(
            con.execute(
                f"SELECT crawl_file, sum(ceil(char_count / 4.0)) FROM deduplicated_documents.{RECIPE} GROUP BY 1"
            ).fetchall()
        )
    cells = result.cells.to_pylist()
    assert {c["source"] for c in cells} == set(pool)
    total = sum(pool.values())
    for source, tokens in pool.items():
        target = sum(c["target_tokens"] for c in cells if c["source"] == source)
        assert target == pytest.approx(300_000 * tokens / total)


def test_rehydration_weights_follow_the_removal_rate_per_cluster_size():
    # FineWeb2's shape: singletons and huge clusters filtered most, middle sizes least
    rates = [(1, 1000, 500), (2, 400, 120), (3, 300, 60), (4, 200, 20), (5, 150, 45), (6, 100, 60), (50, 5, 5)]
    weights = weights_from_removal_rates(rates, max_weight=10, min_cluster_documents=20, window=1)
    expanded = {size: next(w for s, w in sorted(weights.items(), reverse=True) if s <= size) for size, *_ in rates}
    assert expanded[1] == 1  # above the overall removal rate: no upsampling
    assert expanded[4] == 10  # the least removed size: the maximum
    assert 1 < expanded[2] < expanded[3] < expanded[4]
    assert expanded[6] == 1  # pooled into the tail with size 50: removed at 65 of 105


def test_rehydration_repeats_each_representative_by_its_cluster_weight(synthetic):
    result = manifest(
        synthetic,
        token_budget=synthetic[2] * 20,
        max_repeats=10,
        stream={"dedup": {"mode": "rehydrate", "weights": {1: 1, 2: 3, 6: 5, 21: 2}}},
    )
    rows = result.rows.to_pylist()
    expected = {1: 1, 2: 3, 3: 3, 5: 3, 6: 5, 20: 5, 21: 2, 200: 2}
    for row in rows:
        size = max(s for s in expected if s <= row["cluster_size"])
        assert row["base_weight"] == expected[size]
    assert result.summary["rehydration_weights"]["web"] == {"1": 1, "2": 3, "6": 5, "21": 2}


def test_a_stream_without_candidates_records_its_whole_budget_as_shortfall(synthetic):
    result = manifest(
        synthetic, token_budget=50_000, stream={"selection": {"method": "threshold", "min": {"fasttext_quality": 2}}}
    )
    assert result.rows.num_rows == 0
    [short] = result.summary["shortfalls"]
    assert short["reason"] == "no candidates" and short["shortfall_tokens"] == 50_000


def test_the_same_recipe_on_the_same_snapshot_gives_the_same_bytes(synthetic):
    spec = dict(token_budget=400_000, seed=5, stream={"selection": {"method": "qurating"}})
    first, second = manifest(synthetic, **spec), manifest(synthetic, **spec)
    assert first.rows.equals(second.rows) and first.cells.equals(second.cells)
    assert json.dumps(first.summary, sort_keys=True) == json.dumps(second.summary, sort_keys=True)
    reseeded = manifest(synthetic, **{**spec, "seed": 6})
    assert set(reseeded.rows["doc_id"].to_pylist()) != set(first.rows["doc_id"].to_pylist())


def test_jsonl_shards_hold_every_copy_shuffled_within_bounded_files(synthetic, tmp_path):
    import gzip

    from curation.mixtures.shards import write_shards

    lake, snapshot, _ = synthetic
    recipe = parse_mixture_recipe(
        {
            "token_budget": 300_000,
            "max_repeats": 3,
            "streams": [{"name": "web", "filter_recipe": RECIPE}],
            "phases": [{"name": "main", "fraction": 0.5}, {"name": "final", "fraction": 0.5}],
            "shards": {"format": "jsonl", "max_bytes": 2048},
        },
        "jsonl",
        "jsonl.yaml",
        {RECIPE},
    )
    with lake.connect(snapshot=snapshot) as con:
        result = compute_manifest(con, recipe, snapshot, {})
        index = write_shards(con, result.rows, recipe, result.summary, tmp_path / "jsonl")
    rows = []
    for phase in index["phases"]:
        assert len(phase["shards"]) > 1
        for shard in phase["shards"]:
            lines = gzip.decompress((tmp_path / "jsonl" / shard["file"]).read_bytes()).decode().splitlines()
            parsed = [json.loads(line) for line in lines]
            assert len(parsed) == shard["rows"]
            # a shard closes once its texts reach max_bytes: at most one document beyond it
            assert sum(len(r["text"].encode()) for r in parsed[:-1]) < 2048
            rows += [(phase["phase"], r["doc_id"], r["copy"]) for r in parsed]
    expected = {(r["phase"], r["doc_id"], c) for r in result.rows.to_pylist() for c in range(r["repeats"])}
    assert len(rows) == len(expected) and set(rows) == expected
    in_manifest_order = sorted(rows)
    assert rows != in_manifest_order  # shuffled
