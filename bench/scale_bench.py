"""The crawl partition job over several crawl files: in-process vs a local Ray instance with 1 worker vs with 2,
side by side in one run, on the same files, each contender in its own process.

    .venv/bin/python bench/scale_bench.py [--files N] [--extractor quality|fast] [--rounds R]

Input: N copies of ../shared/data/crawl/sample-pages-990.warc.gz under distinct names (N crawl partitions).
Each contender materializes ingest_crawl_file -> documents -> quality_signals -> dedup_fingerprints for every
partition into a fresh DuckLake, one partition after the other, with the `compute` resource it names. Ingestion and
the lake writes run in the step's process on every path; extraction + language ID, signal measurement and MinHash
run on the Ray workers under `ray`.
Figures: documents per wall second (whole child process, Ray's start included, and per partition step, without
it), Ray's overhead (1 worker vs in-process), scaling (2 workers vs 1), peak RSS of the step's process and of the
largest Ray worker. Medians over rounds. Results: bench/results/scale.{json,md}.
"""

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "crawl" / "sample-pages-990.warc.gz"
CONTENDERS = {
    "local": {},
    "ray-1-worker": {"engine": "ray", "num_cpus": 1},
    "ray-2-workers": {"engine": "ray", "num_cpus": 2},
}


def ray_worker_rss_peak(stop: threading.Event, peak: list[int]) -> None:
    """Largest resident set of any Ray worker process (title `ray::...`), sampled every 0.2 s, in KiB."""
    while not stop.is_set():
        out = subprocess.run(["ps", "-eo", "rss,args"], capture_output=True, text=True).stdout
        for line in out.splitlines()[1:]:
            rss, _, args = line.strip().partition(" ")
            if args.startswith("ray::") and rss.isdigit():
                peak[0] = max(peak[0], int(rss))
        time.sleep(0.2)


def run_contender(name: str, files: list[Path], extractor: str, workdir: Path) -> dict:
    """In the child process: every partition through the four per-partition assets; counts and timings."""
    import resource

    import dagster as dg

    from assets.dedup.assets import dedup_fingerprints
    from assets.documents.assets import documents
    from assets.ingestion.assets import ingest_crawl_file
    from assets.partitions import CRAWL_FILES
    from assets.resources import ComputeResource, LakeResource, LandingResource
    from assets.signals.assets import quality_signals
    from curation.compute import ComputeSettings, open_compute

    lake = LakeResource(
        catalog="sqlite:" + str(workdir / "lake" / "catalog.sqlite"), data_path=str(workdir / "lake" / "files")
    )
    settings = CONTENDERS[name]
    # the Ray instance starts once for the whole run; each partition's run joins it (as `auto` joins `ray start`)
    compute = ComputeResource(engine="ray", ray_address="auto") if settings else ComputeResource()
    resources = {"lake": lake, "landing": LandingResource(path=str(files[0].parent), settle_seconds=0)}
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    run_config = {**quiet, "ops": {"documents": {"config": {"extractor": extractor}}}}
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=ray_worker_rss_peak, args=(stop, peak), daemon=True)
    sampler.start()
    steps = 0.0
    engine_start = 0.0
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(CRAWL_FILES.name, [f.name for f in files])
        started = time.perf_counter()
        engine = open_compute(ComputeSettings(**settings))
        engine_start = time.perf_counter() - started
        for crawl in files:
            began = time.perf_counter()
            result = dg.materialize(
                [ingest_crawl_file, documents, quality_signals, dedup_fingerprints],
                instance=instance,
                resources={**resources, "compute": compute},
                partition_key=crawl.name,
                run_config=run_config,
            )
            assert result.success
            steps += time.perf_counter() - began
    engine.close()
    stop.set()
    sampler.join()
    with lake.lake().connect(read_only=True) as con:
        docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        signals = con.execute("SELECT count(*) FROM quality_signals").fetchone()[0]
        signatures = con.execute("SELECT count(*) FROM dedup_signatures").fetchone()[0]
    assert docs == signals == signatures
    return {
        "documents": docs,
        "engine_start_s": engine_start,
        "steps_s": steps,
        "driver_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": peak[0] / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--extractor", default="quality", choices=("quality", "fast"))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", nargs=3, metavar=("CONTENDER", "FOLDER", "EXTRACTOR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, folder, extractor = args.child
        files = sorted((Path(folder) / "landing").iterdir())
        print(json.dumps(run_contender(name, files, extractor, Path(folder))))
        return

    runs: dict[str, list[dict]] = {name: [] for name in CONTENDERS}
    for _ in range(args.rounds):
        for name in CONTENDERS:
            with tempfile.TemporaryDirectory(prefix="scale-bench-") as folder:
                landing = Path(folder) / "landing"
                landing.mkdir()
                for i in range(args.files):
                    (landing / f"part-{i:02d}.warc.gz").write_bytes(SOURCE.read_bytes())
                child = run_child([sys.executable, __file__, "--child", name, folder, args.extractor])
                measured = json.loads(child["stdout"].strip().splitlines()[-1])
                runs[name].append({**measured, "wall_s": child["wall_s"], "cpu_s_driver_tree": child["cpu_s"]})

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    summary = {}
    for name in CONTENDERS:
        docs = runs[name][0]["documents"]
        summary[name] = {
            "documents": docs,
            "wall_s": round(median(name, "wall_s"), 2),
            "engine_start_s": round(median(name, "engine_start_s"), 2),
            "steps_s": round(median(name, "steps_s"), 2),
            "documents_per_s_whole_process": round(docs / median(name, "wall_s"), 1),
            "documents_per_s_steps": round(docs / median(name, "steps_s"), 1),
            "driver_peak_rss_mb": round(median(name, "driver_peak_rss_mb")),
            "worker_peak_rss_mb": round(median(name, "worker_peak_rss_mb")),
        }
    ratios = {
        "ray_1_worker_vs_local_steps": round(
            summary["ray-1-worker"]["documents_per_s_steps"] / summary["local"]["documents_per_s_steps"], 3
        ),
        "ray_2_workers_vs_1_steps": round(
            summary["ray-2-workers"]["documents_per_s_steps"] / summary["ray-1-worker"]["documents_per_s_steps"], 3
        ),
    }
    result = {
        "input": f"{args.files} x {SOURCE.name}",
        "extractor": args.extractor,
        "rounds": args.rounds,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "contenders": summary,
        "ratios": ratios,
    }
    out = ROOT / "bench" / "results"
    (out / "scale.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# Crawl partition job: in-process vs Ray ({result['input']}, {args.extractor} extractor, "
        f"{result['machine']}, median of {args.rounds})",
        "",
        "| contender | documents | wall s (process) | engine start s | steps s | docs/s steps | docs/s process "
        "| step process peak RSS MB | largest Ray worker RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in summary.items():
        lines.append(
            f"| {name} | {s['documents']} | {s['wall_s']} | {s['engine_start_s']} | {s['steps_s']} | "
            f"{s['documents_per_s_steps']} | {s['documents_per_s_whole_process']} | {s['driver_peak_rss_mb']} | "
            f"{s['worker_peak_rss_mb'] or '-'} |"
        )
    lines += [
        "",
        f"- Ray with 1 worker vs in-process (partition steps): {ratios['ray_1_worker_vs_local_steps']}x",
        f"- Ray with 2 workers vs 1 (partition steps): {ratios['ray_2_workers_vs_1_steps']}x",
    ]
    (out / "scale.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
