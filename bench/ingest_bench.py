"""Ingestion throughput, side by side in one run: this project's ingestion (parse + DuckLake write) against a
plain warcio ArchiveIterator loop that reads the same response records (decoded payloads), on the same file.

    .venv/bin/python bench/ingest_bench.py [WARC] [--rounds N]

Rounds alternate the contenders (A B C, A B C, ...) so drift of a shared machine hits all of them; medians are
reported. Figures go to bench/results/ingest.json and bench/results/ingest.md.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation.ingest.reader import read_crawl_file  # noqa: E402
from curation.lake import tables  # noqa: E402
from curation.lake.client import Lake  # noqa: E402

DEFAULT_INPUT = ROOT.parent / "shared" / "data" / "crawl" / "sample-pages-990.warc.gz"


def timed(fn) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    records, payload_bytes = fn()
    return {
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "records": records,
        "payload_bytes": payload_bytes,
    }


def warcio_loop(path: Path):
    from warcio.archiveiterator import ArchiveIterator

    records = payload = 0
    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type == "response":
                payload += len(record.content_stream().read())
                records += 1
    return records, payload


def ours_parse_only(path: Path):
    read, batches = read_crawl_file(path)
    for _ in batches:
        pass
    return read.counts["pages_stored"], 0


def ours_into_lake(path: Path):
    folder = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    try:
        lake = Lake("sqlite:" + str(folder / "catalog.sqlite"), str(folder / "files"))
        read, batches = read_crawl_file(path)
        lake.replace_partition(
            "crawl_file",
            read.crawl_file,
            {
                "raw_pages": (tables.RAW_PAGES.schema, batches),
                "quarantine": (tables.QUARANTINE.schema, read.after_pages(read.quarantine_table)),
                "crawl_files": (tables.CRAWL_FILES.schema, read.after_pages(read.stats_table)),
            },
        )
        return read.counts["pages_stored"], 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


CONTENDERS = {
    "ours: parse + DuckLake write": ours_into_lake,
    "warcio ArchiveIterator loop": warcio_loop,
    "ours: parse only": ours_parse_only,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input", nargs="?", default=str(DEFAULT_INPUT))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    path = Path(args.input)
    mb = path.stat().st_size / 1e6

    for fn in CONTENDERS.values():  # warm-up: imports, page cache
        fn(path)
    runs = {name: [] for name in CONTENDERS}
    for _ in range(args.rounds):
        for name, fn in CONTENDERS.items():
            runs[name].append(timed(lambda fn=fn: fn(path)))

    results = {}
    for name, samples in runs.items():
        wall = statistics.median(s["wall_s"] for s in samples)
        cpu = statistics.median(s["cpu_s"] for s in samples)
        records = samples[0]["records"]
        results[name] = {
            "records": records,
            "median_wall_s": round(wall, 3),
            "min_wall_s": round(min(s["wall_s"] for s in samples), 3),
            "max_wall_s": round(max(s["wall_s"] for s in samples), 3),
            "median_cpu_s": round(cpu, 3),
            "records_per_s": round(records / wall, 1),
            "input_mb_per_s": round(mb / wall, 2),
        }
    reference = results["warcio ArchiveIterator loop"]["median_wall_s"]
    for r in results.values():
        r["speed_vs_warcio"] = round(reference / r["median_wall_s"], 2)
    report = {
        "input": path.name,
        "input_mb": round(mb, 2),
        "rounds": args.rounds,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": {p: version(p) for p in ("fastwarc", "warcio", "duckdb", "pyarrow")},
        "results": results,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# Ingestion benchmark: {path.name} ({mb:.1f} MB, {args.rounds} rounds, {os.cpu_count()} CPUs)",
        "",
        "| contender | records | median wall s | cpu s | records/s | input MB/s | speed vs warcio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['records']} | {r['median_wall_s']} ({r['min_wall_s']}-{r['max_wall_s']}) | "
            f"{r['median_cpu_s']} | {r['records_per_s']} | {r['input_mb_per_s']} | {r['speed_vs_warcio']}x |"
        )
    (out / "ingest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
