"""Peak memory of one crawl partition through the crawl partition job, as a new user would see it: one process,
`fast` extractor, a crawl file 1x, 3x and 10x the size of sample-pages-990.warc.gz (copies of its records with
fresh WARC-Record-IDs, so none is quarantined as a duplicate).

    .venv/bin/python bench/memory_bench.py [--sizes 1 3 10] [--compute local|ray]

Each size runs in its own process: ingest_crawl_file -> documents -> quality_signals -> dedup_fingerprints into a
fresh lake; peak RSS of that process (ru_maxrss). Goal (issue 16): 10x the pages peaks at no more than 1.3x.
Figures: bench/results/memory.{json,md}.
"""

import argparse
import json
import platform
import resource
import sys
import tempfile
import uuid
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "crawl" / "sample-pages-990.warc.gz"


def write_copies(target: Path, copies: int) -> int:
    """`copies` times every record of the source file, each copy with a fresh record id; one gzip member a record."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.warcwriter import WARCWriter

    records = 0
    with open(target, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for copy in range(copies):
            with open(SOURCE, "rb") as source:
                for record in ArchiveIterator(source):
                    record.rec_headers.replace_header("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>")
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    if uri and copy:
                        record.rec_headers.replace_header("WARC-Target-URI", f"{uri}#copy{copy}")
                    writer.write_record(record)
                    records += 1
    return records


def run_partition(crawl: Path, workdir: Path, compute: str) -> dict:
    import dagster as dg

    from assets.dedup.assets import dedup_fingerprints
    from assets.documents.assets import documents
    from assets.ingestion.assets import ingest_crawl_file
    from assets.partitions import CRAWL_FILES
    from assets.resources import ComputeResource, LakeResource, LandingResource
    from assets.signals.assets import quality_signals

    lake = LakeResource(
        catalog="sqlite:" + str(workdir / "lake" / "catalog.sqlite"), data_path=str(workdir / "lake" / "files")
    )
    resources = {
        "lake": lake,
        "landing": LandingResource(path=str(crawl.parent), settle_seconds=0),
        "compute": ComputeResource(engine=compute, num_cpus=2 if compute == "ray" else 0),
    }
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(CRAWL_FILES.name, [crawl.name])
        result = dg.materialize(
            [ingest_crawl_file, documents, quality_signals, dedup_fingerprints],
            instance=instance,
            resources=resources,
            partition_key=crawl.name,
            run_config={**quiet, "ops": {"documents": {"config": {"extractor": "fast"}}}},
        )
        assert result.success
    with lake.lake().connect(read_only=True) as con:
        pages = con.execute("SELECT count(*) FROM raw_pages").fetchone()[0]
        docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    return {"pages": pages, "documents": docs, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 3, 10])
    parser.add_argument("--compute", default="local", choices=("local", "ray"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        crawl, workdir, compute = args.child
        print(json.dumps(run_partition(Path(crawl), Path(workdir), compute)))
        return
    rows = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="memory-bench-") as folder:
            landing = Path(folder) / "landing"
            landing.mkdir()
            crawl = landing / f"pages-x{size}.warc.gz"
            write_copies(crawl, size)
            child = run_child([sys.executable, __file__, "--child", str(crawl), folder, args.compute])
            measured = json.loads(child["stdout"].strip().splitlines()[-1])
            rows.append({"copies": size, **measured, "wall_s": round(child["wall_s"], 1)})
            print(rows[-1], flush=True)
    base = rows[0]["peak_rss_mb"]
    result = {
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "compute": args.compute,
        "runs": [
            {**r, "peak_rss_mb": round(r["peak_rss_mb"]), "vs_smallest": round(r["peak_rss_mb"] / base, 2)}
            for r in rows
        ],
    }
    out = ROOT / "bench" / "results"
    (out / f"memory-{args.compute}.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# Peak RSS of one crawl partition (crawl partition job, fast extractor, compute {args.compute}, "
        f"{result['machine']})",
        "",
        "| copies of sample-pages-990 | pages | documents | peak RSS MB | vs 1 copy | wall s |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['copies']} | {r['pages']} | {r['documents']} | {r['peak_rss_mb']} | {r['vs_smallest']}x "
        f"| {r['wall_s']} |"
        for r in result["runs"]
    ]
    (out / f"memory-{args.compute}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
