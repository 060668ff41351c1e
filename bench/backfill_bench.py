"""A backfill of several crawl partitions on one machine, two ways, side by side in one run, on a PostgreSQL lake:
- in turn: one process materializes the partitions one after another (what one run over a partition range does
  with assets that commit per partition);
- at once: one process per partition, all started together (what concurrent runs from Dagster's queue do).

    .venv/bin/python bench/backfill_bench.py [--files N] [--extractor quality|fast]

Input: N copies of ../shared/data/crawl/sample-pages-990.warc.gz; each partition goes through ingest_crawl_file ->
documents -> quality_signals -> dedup_fingerprints, in-process compute. Figures (documents per wall second, from
the first start to the last commit, process start-up included): bench/results/backfill.{json,md}.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "crawl" / "sample-pages-990.warc.gz"


def materialize(catalog: str, data_path: str, files: list[Path], extractor: str) -> None:
    import dagster as dg

    from assets.dedup.assets import dedup_fingerprints
    from assets.documents.assets import documents
    from assets.ingestion.assets import ingest_crawl_file
    from assets.partitions import CRAWL_FILES
    from assets.resources import ComputeResource, LakeResource, LandingResource
    from assets.signals.assets import quality_signals

    resources = {
        "lake": LakeResource(catalog=catalog, data_path=data_path),
        "landing": LandingResource(path=str(files[0].parent), settle_seconds=0),
        "compute": ComputeResource(),
    }
    run_config = {
        "loggers": {"console": {"config": {"log_level": "ERROR"}}},
        "ops": {"documents": {"config": {"extractor": extractor}}},
    }
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(CRAWL_FILES.name, [f.name for f in files])
        for crawl in files:
            result = dg.materialize(
                [ingest_crawl_file, documents, quality_signals, dedup_fingerprints],
                instance=instance,
                resources=resources,
                partition_key=crawl.name,
                run_config=run_config,
            )
            assert result.success


def run_way(way: str, files: list[Path], extractor: str, catalog: str, data_path: str) -> float:
    """Wall seconds from the first process start to the last one's exit."""
    groups = [files] if way == "in turn" else [[f] for f in files]
    started = time.perf_counter()
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", catalog, data_path, extractor, *map(str, group)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for group in groups
    ]
    for child in children:
        _, err = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"{way} failed:\n{err[-3000:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--extractor", default="quality", choices=("quality", "fast"))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        catalog, data_path, extractor, *files = args.child
        materialize(catalog, data_path, [Path(f) for f in files], extractor)
        return

    from curation.lake.client import Lake
    from curation.lake.local_postgres import LocalPostgres

    server = LocalPostgres(Path(tempfile.mkdtemp(prefix="backfill-bench-pg-"))).start(databases=())
    results = {}
    try:
        for index, way in enumerate(("in turn", "at once")):
            with tempfile.TemporaryDirectory(prefix="backfill-bench-") as folder:
                landing = Path(folder) / "landing"
                landing.mkdir()
                files = [landing / f"part-{i:02d}.warc.gz" for i in range(args.files)]
                for f in files:
                    f.write_bytes(SOURCE.read_bytes())
                database = f"backfill_{index}"
                server.create_database(database)
                lake = Lake(server.catalog(database), str(Path(folder) / "files"))
                wall = run_way(way, files, args.extractor, lake.catalog, lake.data_path)
                with lake.connect(read_only=True) as con:
                    docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
                    per_partition = con.execute("SELECT count(DISTINCT crawl_file) FROM documents").fetchone()[0]
                assert per_partition == args.files
                results[way] = {"documents": docs, "wall_s": round(wall, 2), "documents_per_s": round(docs / wall, 1)}
                print(way, results[way], flush=True)
    finally:
        server.stop()
    ratio = round(results["at once"]["documents_per_s"] / results["in turn"]["documents_per_s"], 3)
    summary = {
        "input": f"{args.files} x {SOURCE.name}",
        "extractor": args.extractor,
        "catalog": "PostgreSQL 15 (local, unix socket)",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "ways": results,
        "at_once_vs_in_turn": ratio,
    }
    out = ROOT / "bench" / "results"
    (out / "backfill.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [
        f"# Backfill of {summary['input']}: partitions in turn vs at once ({args.extractor} extractor, "
        f"PostgreSQL catalog, {summary['machine']})",
        "",
        "| way | documents | wall s | documents/s |",
        "|---|---|---|---|",
        *[f"| {w} | {r['documents']} | {r['wall_s']} | {r['documents_per_s']} |" for w, r in results.items()],
        "",
        f"At once vs in turn: {ratio}x",
    ]
    (out / "backfill.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
