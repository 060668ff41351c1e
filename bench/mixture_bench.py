"""Mixture manifests: how long a manifest takes for 1M rated documents (goal: under 10 s on this machine).

    .venv/bin/python bench/mixture_bench.py [--documents 1000000]

Builds a synthetic rated lake (`tests.support.synthetic_mixture`: documents, quality_ratings, dedup_clusters
and a filter recipe's views, generated in SQL), then for each shipped recipe, pointed at that lake with its budget
scaled to the synthetic supply, times one manifest: attach the lake at the pinned snapshot, compute (SQL), and
write the manifest, cells and summary to the lake (the asset's own `store_manifest`). Plus a stress recipe: two
streams, two phases, demand above supply (every cell upsampled to the cap). Each recipe runs in its own process,
so none warms another's caches.
Figures: bench/results/mixtures.{json,md}.
"""

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
GOAL_SECONDS = 10.0


def recipes(supply: int) -> dict[str, dict]:
    """The shipped recipes on the synthetic filter recipe, budgets scaled to its supply; and a stress recipe."""
    import yaml

    from tests.support.synthetic_mixture import RECIPE

    out = {}
    for path in sorted((ROOT / "recipes" / "mixtures").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for stream in data["streams"]:
            stream["filter_recipe"] = RECIPE
        out[path.stem] = data
    out["fineweb_like"]["token_budget"] = int(supply * 0.9)
    out["dataman_like"]["token_budget"] = int(supply * 0.1)
    out["qurating_like"]["token_budget"] = int(supply * 0.5)
    out["stress_two_streams_upsampled"] = {
        "token_budget": supply * 3,
        "max_repeats": 4,
        "streams": [
            {
                "name": "web",
                "filter_recipe": RECIPE,
                "share": 0.7,
                "dedup": {"mode": "rehydrate"},
                "selection": {"method": "qurating", "tau": 2.0},
            },
            {
                "name": "best",
                "filter_recipe": RECIPE,
                "share": 0.3,
                "selection": {"method": "top_k", "score": "fasttext_quality"},
                "domain_weights": {"mode": "temperature", "temperature": 2.0},
            },
        ],
        "phases": [
            {"name": "main", "fraction": 0.85},
            {"name": "final", "fraction": 0.15, "upsample": {"Coding": 3, "Mathematics": 3}},
        ],
    }
    return out


def child(args) -> None:
    """One manifest, timed by phase; prints JSON."""
    from curation.lake.client import Lake
    from curation.mixtures.manifest import INPUT_TABLES, compute_manifest
    from curation.mixtures.recipe import parse_mixture_recipe
    from curation.mixtures.store import store_manifest
    from tests.support.synthetic_mixture import RECIPE

    lake = Lake(args.catalog, args.data)
    recipe = parse_mixture_recipe(json.loads(args.recipe), args.name, args.name, {RECIPE})
    started = time.perf_counter()
    with lake.connect(read_only=True) as con:
        snapshot = lake.snapshot_id(con)
    with lake.connect(snapshot=snapshot) as con:
        inputs = lake.table_snapshots(con, INPUT_TABLES)
        result = compute_manifest(con, recipe, snapshot, inputs)
    computed = time.perf_counter()
    store_manifest(lake, recipe, result)
    written = time.perf_counter()
    print(
        json.dumps(
            {
                "compute_s": round(computed - started, 3),
                "write_s": round(written - computed, 3),
                "rows": result.rows.num_rows,
                "copies": result.summary["copies"],
                "achieved_tokens": result.summary["achieved_tokens"],
                "token_budget": recipe.token_budget,
                "shortfall_cells": len(result.summary["shortfalls"]),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--catalog")
    parser.add_argument("--data")
    parser.add_argument("--name")
    parser.add_argument("--recipe")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    from curation.lake.client import Lake
    from tests.support.synthetic_mixture import RECIPE, build_synthetic_lake

    with tempfile.TemporaryDirectory(prefix="mixture-bench-") as tmp:
        lake = Lake(f"sqlite:{tmp}/catalog.sqlite", f"{tmp}/files")
        started = time.perf_counter()
        build_synthetic_lake(lake, args.documents, seed=0)
        build_s = time.perf_counter() - started
        with lake.connect(read_only=True) as con:
            kept, supply = con.execute(
                f"SELECT count(*), sum(ceil(char_count / 4.0))::BIGINT FROM deduplicated_documents.{RECIPE}"
            ).fetchone()
        runs = {}
        for name, recipe in recipes(supply).items():
            command = [sys.executable, __file__, "--child", "--catalog", lake.catalog, "--data", lake.data_path]
            measured = run_child([*command, "--name", name, "--recipe", json.dumps(recipe)])
            runs[name] = {**json.loads(measured["stdout"]), "process_wall_s": round(measured["wall_s"], 3)}
            print(f"{name:<30} compute {runs[name]['compute_s']:6.2f} s  write {runs[name]['write_s']:5.2f} s")
    figures = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}",
        "rated_documents": args.documents,
        "candidate_documents": kept,
        "candidate_tokens": supply,
        "synthetic_lake_build_s": round(build_s, 2),
        "goal_compute_s": GOAL_SECONDS,
        "recipes": runs,
        "slowest_compute_s": max(r["compute_s"] for r in runs.values()),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "mixtures.json").write_text(json.dumps(figures, indent=2) + "\n")
    lines = [
        "# Mixture manifests: 1M synthetic rated documents",
        "",
        f"{args.documents:,} rated documents ({kept:,} kept by the synthetic filter recipe, {supply:,} tokens); "
        f"goal: manifest under {GOAL_SECONDS:.0f} s. Machine: {figures['machine']}.",
        "",
        "| recipe | budget | rows | copies | achieved tokens | shortfall cells | compute s | write s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in runs.items():
        lines.append(
            f"| {name} | {r['token_budget']:,} | {r['rows']:,} | {r['copies']:,} | {r['achieved_tokens']:,} | "
            f"{r['shortfall_cells']} | {r['compute_s']:.2f} | {r['write_s']:.2f} |"
        )
    (RESULTS / "mixtures.md").write_text("\n".join(lines) + "\n")
    print(f"slowest manifest: {figures['slowest_compute_s']:.2f} s (goal {GOAL_SECONDS:.0f} s)")


if __name__ == "__main__":
    main()
