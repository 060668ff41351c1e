"""Peak memory of deduplicating one partition, 20,000 and 200,000 documents: is it bounded by the batch?

    .venv/bin/python bench/dedup_memory_bench.py [--sizes 20000 200000] [--repeats 3] [--work DIR] [--reuse]

Documents: synthetic texts of real words (the bundled JSONL crawl's vocabulary, drawn by its word frequencies,
lengths like its documents'), one in ten a 2% word edit of an earlier one, written straight into a lake's
`documents` table (untimed). Then, in a process of its own per size, `dedup_fingerprints` and `dedup_clusters` as
Dagster materializes them; peak RSS of that process (VmHWM), CPU seconds. Goal (issue 17): the 200,000-document
partition peaks at no more than 1.5x the 20,000-document one. Figures: bench/results/dedup-memory.{json,md}.
"""

import argparse
import gzip
import json
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]
JSONL = ROOT / "data" / "samples" / "cc-main-2019-30-extracted-697.jsonl.gz"
PARTITION = "synthetic.jsonl"


def write_documents(lake_dir: Path, count: int, seed: int = 7, partition: str = PARTITION, prefix: str = "d") -> None:
    import collections

    import numpy as np
    import pyarrow as pa

    from curation.lake import tables
    from curation.lake.client import Lake

    with gzip.open(JSONL, "rt") as f:
        texts = [json.loads(line).get("text", "") for line in f]
    counts = collections.Counter(w for t in texts for w in t.split())
    vocabulary = np.array(list(counts))
    cumulative = np.cumsum(np.array(list(counts.values()), dtype=np.float64))
    cumulative /= cumulative[-1]
    lengths = [len(t.split()) for t in texts if t.split()]
    rng = np.random.default_rng(seed)
    lake = Lake("sqlite:" + str(lake_dir / "catalog.sqlite"), str(lake_dir / "files"))
    schema = tables.DOCUMENTS.schema
    made: list[str] = []

    def batches():
        for start in range(0, count, 2048):
            rows = min(2048, count - start)
            docs = []
            for _ in range(rows):
                if made and rng.random() < 0.1:  # a near-duplicate of an earlier document
                    words = made[int(rng.integers(len(made)))].split()
                    for j in rng.choice(len(words), max(1, len(words) // 50), replace=False):
                        words[j] = f"w{int(rng.integers(10**7))}"
                    docs.append(" ".join(words))
                else:
                    draws = rng.random(int(rng.choice(lengths)))  # words by their frequency in the crawl
                    docs.append(" ".join(vocabulary[np.searchsorted(cumulative, draws)]))
                if len(made) < 2000:
                    made.append(docs[-1])
            ids = [f"{prefix}{start + i:07d}" for i in range(rows)]
            columns = {name: pa.nulls(rows, schema.field(name).type) for name in schema.names}
            columns.update(
                doc_id=pa.array(ids),
                page_id=pa.array(ids),
                crawl_file=pa.array([partition] * rows),
                text=pa.array(docs),
            )
            yield pa.table(columns, schema=schema)

    lake.replace_partition(tables.CRAWL_PARTITION, partition, {tables.DOCUMENTS.name: (schema, batches())})


def drop_dedup_tables(lake_dir: Path) -> None:
    from curation.lake.client import Lake

    lake = Lake("sqlite:" + str(lake_dir / "catalog.sqlite"), str(lake_dir / "files"))
    with lake.transaction(message="bench: dedup tables dropped") as con:
        for table in ("dedup_signatures", "dedup_band_keys", "dedup_pairs", "dedup_clusters"):
            con.execute(f"DROP TABLE IF EXISTS {table}")


def child(lake_dir: Path, out: Path) -> None:
    sys.path.insert(0, str(ROOT))
    import dagster as dg

    from assets.dedup.assets import dedup_clusters, dedup_fingerprints
    from assets.partitions import CRAWL_FILES
    from assets.resources import ComputeResource, LakeResource

    lake = LakeResource(catalog="sqlite:" + str(lake_dir / "catalog.sqlite"), data_path=str(lake_dir / "files"))
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(CRAWL_FILES.name, [PARTITION])
        resources = {"lake": lake, "compute": ComputeResource()}
        dg.materialize(
            [dedup_fingerprints], instance=instance, resources=resources, partition_key=PARTITION, run_config=quiet
        )
        dg.materialize([dedup_clusters], instance=instance, resources={"lake": lake}, run_config=quiet)
    with lake.lake().connect(read_only=True) as con:
        clusters = con.execute("SELECT count(DISTINCT cluster_id), count(*) FROM dedup_clusters").fetchone()
    peak = next(
        int(line.split()[1]) / 1024
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    out.write_text(json.dumps({"clusters": clusters[0], "documents": clusters[1], "peak_rss_mb": peak}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--work", type=Path)
    parser.add_argument("--reuse", action="store_true", help="keep lakes already in --work (their dedup is re-run)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per size, alternating sizes; the peak reported is the median"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    sys.path.insert(0, str(ROOT))
    work = args.work or Path(tempfile.mkdtemp(prefix="dedup-memory-"))
    runs = {size: [] for size in args.sizes}
    for repeat in range(args.repeats):  # sizes alternate: a slow spell of the machine hits both
        for size in args.sizes:
            lake_dir = work / f"lake-{size}"
            if (args.reuse or repeat) and (lake_dir / "catalog.sqlite").exists():
                drop_dedup_tables(lake_dir)  # recreated with today's layout
            else:
                write_documents(lake_dir, size)
            out = work / f"out-{size}.json"
            timing = run_child([sys.executable, __file__, "--child", str(lake_dir), str(out)])
            timing.pop("stdout")
            runs[size].append({**json.loads(out.read_text()), **timing})
    results = []
    for size, done in runs.items():
        peaks = sorted(r["peak_rss_mb"] for r in done)
        results.append(
            {
                "documents": size,
                "clusters": done[-1]["clusters"],
                "peak_rss_mb": statistics.median(peaks),
                "peak_rss_mb_runs": ", ".join(str(round(p)) for p in peaks),
                "cpu_s": statistics.median(r["cpu_s"] for r in done),
                "wall_s": statistics.median(r["wall_s"] for r in done),
            }
        )
    base = results[0]["peak_rss_mb"]
    for r in results:
        r["peak_vs_smallest"] = round(r["peak_rss_mb"] / base, 2)
    report = {"machine": f"{platform.machine()}, Python {platform.python_version()}", "results": results}
    out_dir = ROOT / "bench" / "results"
    (out_dir / "dedup-memory.json").write_text(json.dumps(report, indent=2) + "\n")
    keys = ["documents", "clusters", "peak_rss_mb", "peak_rss_mb_runs", "peak_vs_smallest", "cpu_s", "wall_s"]
    lines = [
        "# Dedup memory: one partition fingerprinted, linked and clustered, by its size",
        "",
        f"Synthetic documents of real words, 10% near-duplicates. {args.repeats} runs per size, sizes alternating; "
        f"the peak is the median of the runs (all listed). Machine: {report['machine']}.",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ] + [
        "| " + " | ".join(str(round(r[k], 1) if isinstance(r[k], float) else r[k]) for k in keys) + " |"
        for r in results
    ]
    (out_dir / "dedup-memory.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
