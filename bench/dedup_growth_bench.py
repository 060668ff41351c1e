"""What linking one new crawl partition costs as the lake grows: `dedup_fingerprints` of partition k links its
documents against the k partitions stored before it (band keys, then exact Jaccard of the candidates).

    .venv/bin/python bench/dedup_growth_bench.py [--partitions 5] [--documents 20000] [--before REV] [--work DIR]

Documents: synthetic texts of real words as in bench/dedup_memory_bench.py (one in ten a 2% edit of an earlier
one), a fresh seed per partition, written straight into a lake's `documents` table (untimed). Then, in order and
in a process of its own per partition, `dedup_fingerprints` as Dagster materializes it; in that process the CPU
and wall seconds of finding the candidate pairs (`curation.dedup.clusters.partition_candidates`, the band-key join)
and of verifying them, the process's CPU and peak RSS. `--before REV` runs the same partitions, on the same lake
(its dedup tables dropped first), with the code of git revision REV, side by side. Figures:
bench/results/dedup-growth.{json,md}.
"""

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, time
root, lake_dir, partition, out = sys.argv[1:5]
sys.path.insert(0, root)
import dagster as dg
from curation.dedup import clusters
from assets.dedup.assets import dedup_fingerprints
from assets.partitions import CRAWL_FILES
from assets.resources import ComputeResource, LakeResource

spent = {"candidates_cpu_s": 0.0, "candidates_wall_s": 0.0, "candidates": 0}
inner = clusters.partition_candidates
def timed(con, key):
    cpu, wall = time.process_time(), time.perf_counter()
    pairs = inner(con, key)
    spent["candidates_cpu_s"] += time.process_time() - cpu
    spent["candidates_wall_s"] += time.perf_counter() - wall
    spent["candidates"] += pairs.num_rows
    return pairs
clusters.partition_candidates = timed
lake = LakeResource(catalog="sqlite:" + lake_dir + "/catalog.sqlite", data_path=lake_dir + "/files")
quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
with lake.lake().connect(read_only=True) as con:
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    stored = con.execute("SELECT count(*) FROM dedup_signatures").fetchone()[0] if "dedup_signatures" in tables else 0
with dg.DagsterInstance.ephemeral() as instance:
    instance.add_dynamic_partitions(CRAWL_FILES.name, [partition])
    dg.materialize([dedup_fingerprints], instance=instance, resources={"lake": lake, "compute": ComputeResource()},
                   partition_key=partition, run_config=quiet)
with lake.lake().connect(read_only=True) as con:
    links = con.execute(f"SELECT count(*) FROM dedup_pairs WHERE crawl_file = '{partition}'").fetchone()[0]
peak = next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
json.dump({**spent, "stored_before": stored, "links": links, "peak_rss_mb": round(peak, 1)}, open(out, "w"))
"""


def run_partitions(code_root: Path, lake_dir: Path, partitions: list[str], work: Path, label: str) -> list[dict]:
    from dedup_memory_bench import drop_dedup_tables

    drop_dedup_tables(lake_dir)
    rows = []
    for partition in partitions:
        out = work / f"{label}-{partition}.json"
        timing = run_child([sys.executable, "-c", CHILD, str(code_root), str(lake_dir), partition, str(out)])
        rows.append({"partition": partition, **json.loads(out.read_text()), "process_cpu_s": round(timing["cpu_s"], 2)})
        print(label, rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=5)
    parser.add_argument("--documents", type=int, default=20_000, help="per partition")
    parser.add_argument("--before", help="a git revision to run side by side")
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from dedup_memory_bench import write_documents

    work = args.work or Path(tempfile.mkdtemp(prefix="dedup-growth-"))
    lake_dir = work / "lake"
    partitions = [f"synthetic-{i}.jsonl" for i in range(args.partitions)]
    for i, partition in enumerate(partitions):
        write_documents(lake_dir, args.documents, seed=7 + i, partition=partition, prefix=f"p{i}-")
    contenders = {"today": ROOT}
    if args.before:
        tree = work / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.before], check=True)
        contenders[f"before ({args.before})"] = tree
    results = {}
    try:
        for label, code_root in contenders.items():
            results[label] = run_partitions(code_root, lake_dir, partitions, work, label.split()[0])
    finally:
        if args.before:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "before")])
    report = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "documents_per_partition": args.documents,
        "results": results,
    }
    out = ROOT / "bench" / "results" / "dedup-growth"
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Linking a new partition as the lake grows (bench/dedup_growth_bench.py)",
        "",
        f"{args.documents:,} synthetic documents per partition (10% near-duplicates), partitions fingerprinted and "
        f"linked in order, one process each; {report['machine']}.",
        "",
        "| code | documents stored before | candidate join CPU s | wall s | candidates | links | process CPU s | "
        "peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, rows in results.items():
        for r in rows:
            lines.append(
                f"| {label} | {r['stored_before']:,} | {r['candidates_cpu_s']:.2f} | {r['candidates_wall_s']:.2f} | "
                f"{r['candidates']:,} | {r['links']:,} | {r['process_cpu_s']:.2f} | {r['peak_rss_mb']:.0f} |"
            )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(out.with_suffix(".md").read_text())
    shutil.rmtree(work / "lake", ignore_errors=True)


if __name__ == "__main__":
    main()
