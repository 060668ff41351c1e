"""WARC in, filtered documents out: this project's pipeline against datatrove 0.10's FineWeb pipeline, side by side
in one run, on the same file, in documents per second per core.

    .venv/bin/python bench/pipeline_bench.py --datatrove-python $SCRATCH/dtvenv/bin/python [WARC] [--rounds N]

Contenders, each in its own process so CPU time is counted per contender (user + system of the child):
- datatrove: ../shared/bench/datatrove_fineweb.py (WarcReader -> Trafilatura(favour_precision) -> LanguageFilter
  -> Gopher repetition -> Gopher quality -> C4 (no terminal-punctuation rule) -> FineWeb quality -> JsonlWriter),
  one worker, in the scratch venv that holds datatrove (never a project dependency).
- ours (quality | fast extractor): the product path as Dagster runs it: `ingest_crawl_file` -> `documents` ->
  `quality_signals` -> `filtered_documents/fineweb` and `/any_language` (views; bench/recipes/any_language.yaml)
  into a fresh DuckLake, every measurement stored. The reference script's LanguageFilter allows every language:
  compare its kept count with `any_language`'s.

Throughput = HTML response records in the file / CPU seconds of the contender (per core), and / wall seconds;
"marginal" takes out what a run costs before its first page by also running each contender on the bundled
sample-pages-60.warc.gz. Rounds alternate the contenders; medians are reported.
Figures: bench/results/pipeline.{json,md}.
"""

import argparse
import json
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = ROOT.parent / "shared" / "data" / "crawl" / "sample-pages-990.warc.gz"
SMALL_INPUT = ROOT / "data" / "samples" / "sample-pages-60.warc.gz"  # 60 pages of the same sample: fixed costs
DATATROVE_SCRIPT = ROOT.parent / "shared" / "bench" / "datatrove_fineweb.py"
# English only, and any language as the reference script runs it
RECIPES = (ROOT / "recipes" / "filters" / "fineweb.yaml", ROOT / "bench" / "recipes" / "any_language.yaml")


def run_ours(warc: Path, extractor: str, workdir: Path) -> dict:
    """Materialize the pipeline for one crawl file in a fresh lake; return counts (runs in the child process)."""
    import shutil

    import dagster as dg

    from assets.documents.assets import documents
    from assets.filtered.assets import filtered_documents_asset
    from assets.ingestion.assets import ingest_crawl_file
    from assets.partitions import CRAWL_FILES
    from assets.resources import ComputeResource, LakeResource, LandingResource
    from assets.signals.assets import quality_signals
    from curation.filters.recipe import load_recipe

    landing = workdir / "landing"
    landing.mkdir(parents=True)
    shutil.copy2(warc, landing / warc.name)
    lake = LakeResource(
        catalog="sqlite:" + str(workdir / "lake" / "catalog.sqlite"), data_path=str(workdir / "lake" / "files")
    )
    resources = {
        "lake": lake,
        "landing": LandingResource(path=str(landing), settle_seconds=0),
        "compute": ComputeResource(),
    }
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(CRAWL_FILES.name, [warc.name])
        dg.materialize(
            [ingest_crawl_file, documents, quality_signals],
            instance=instance,
            resources=resources,
            partition_key=warc.name,
            run_config={**quiet, "ops": {"documents": {"config": {"extractor": extractor}}}},
        )
        recipes = [filtered_documents_asset(load_recipe(path)) for path in RECIPES]
        dg.materialize(recipes, instance=instance, resources=resources, run_config=quiet)
    with lake.lake().connect(read_only=True) as con:
        pages, docs, kept, kept_any = con.execute(
            "SELECT (SELECT count(*) FROM raw_pages), (SELECT count(*) FROM documents), "
            "(SELECT count(*) FROM filtered_documents.fineweb), (SELECT count(*) FROM filtered_documents.any_language)"
        ).fetchone()
    return {"pages": pages, "documents": docs, "kept_english": kept, "kept_any_language": kept_any}


def datatrove_kept(out: Path) -> int:
    import gzip

    return sum(1 for path in (out / "kept").glob("*.jsonl.gz") for _ in gzip.open(path, "rt"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warc", nargs="?", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--datatrove-python", required=True, help="python of the scratch venv holding datatrove")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("EXTRACTOR", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(run_ours(args.warc.resolve(), args.child[0], Path(args.child[1]))))
        return

    warc = args.warc.resolve()
    names = ("datatrove", "ours, quality extractor", "ours, fast extractor")
    runs = {(name, size): [] for name in names for size in ("full", "small")}
    counts = {}
    for _ in range(args.rounds):
        for size, path in (("full", warc), ("small", SMALL_INPUT)):
            with tempfile.TemporaryDirectory() as scratch:
                out = Path(scratch) / "datatrove"
                command = [args.datatrove_python, str(DATATROVE_SCRIPT), str(path), str(out)]
                runs["datatrove", size].append(run_child(command))
                counts["datatrove", size] = {"kept_english": None, "kept_any_language": datatrove_kept(out)}
                for extractor in ("quality", "fast"):
                    name = f"ours, {extractor} extractor"
                    command = [sys.executable, __file__, str(path), "--datatrove-python", "-", "--child", extractor]
                    run = run_child([*command, str(Path(scratch) / extractor)])
                    counts[name, size] = json.loads(run["stdout"].strip().splitlines()[-1])
                    runs[name, size].append(run)
    pages, small_pages = counts[names[1], "full"]["pages"], counts[names[1], "small"]["pages"]
    results = []
    for name in names:
        cpu = statistics.median(r["cpu_s"] for r in runs[name, "full"])
        wall = statistics.median(r["wall_s"] for r in runs[name, "full"])
        small_cpu = statistics.median(r["cpu_s"] for r in runs[name, "small"])
        results.append(
            {
                "contender": name,
                "pages": pages,
                **counts[name, "full"],
                "cpu_s": round(cpu, 2),
                "wall_s": round(wall, 2),
                "docs_per_s_per_core": round(pages / cpu, 1),
                "docs_per_s_wall": round(pages / wall, 1),
                "small_file_cpu_s": round(small_cpu, 2),
                # what each further page costs, start-up and per-run costs taken out: the rate on large crawl files
                "marginal_docs_per_s_per_core": round((pages - small_pages) / (cpu - small_cpu), 1),
            }
        )
    base, marginal_base = results[0]["docs_per_s_per_core"], results[0]["marginal_docs_per_s_per_core"]
    for r in results:
        r["vs_datatrove_per_core"] = round(r["docs_per_s_per_core"] / base, 2)
        r["marginal_vs_datatrove"] = round(r["marginal_docs_per_s_per_core"] / marginal_base, 2)
    report = {
        "input": warc.name,
        "small_input": SMALL_INPUT.name,
        "rounds": args.rounds,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}",
        "results": results,
    }
    out_dir = ROOT / "bench" / "results"
    (out_dir / "pipeline.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# WARC -> filtered documents ({warc.name}, {pages} HTML pages, {args.rounds} round(s), medians)",
        "",
        f"Machine: {report['machine']}. Per core = pages / CPU seconds (user + system) of the contender's process. "
        f"Marginal = the extra pages over the extra CPU seconds against the same pipeline on {SMALL_INPUT.name} "
        f"({small_pages} pages): start-up and per-run costs (imports, models, Great Expectations, views) taken out.",
        "",
        "| contender | kept (any language) | kept (fineweb: English) | CPU s | wall s | docs/s per core | "
        "per core vs datatrove | marginal docs/s per core | marginal vs datatrove |",
        "|---|---|---|---|---|---|---|---|---|",
    ] + [
        f"| {r['contender']} | {r['kept_any_language']} | {r['kept_english'] or '-'} | {r['cpu_s']} | "
        f"{r['wall_s']} | {r['docs_per_s_per_core']} | {r['vs_datatrove_per_core']}x | "
        f"{r['marginal_docs_per_s_per_core']} | {r['marginal_vs_datatrove']}x |"
        for r in results
    ]
    (out_dir / "pipeline.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
