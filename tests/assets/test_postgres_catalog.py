"""A lake whose catalog is a PostgreSQL server: several processes write partitions at once, none waits for a lock,
none loses or doubles a row, and a reader meanwhile sees every partition whole or not at all."""

import json
import subprocess
import sys
import time

import duckdb
from support.samples import sample

from curation.lake.client import Lake
from curation.project import PROJECT_ROOT

# what `ingest_crawl_file` does, in a process of its own: every writer ingests one crawl file into the same lake
WRITER = r"""
import json, sys, time
from pathlib import Path
from curation.ingest.reader import IngestOptions, read_crawl_file
from curation.lake import tables
from curation.lake.client import Lake

catalog, data_path, crawl, start_at = sys.argv[1], sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])
lake = Lake(catalog, data_path)
time.sleep(max(0.0, start_at - time.time()))  # all writers begin together
began = time.time()
read, batches = read_crawl_file(crawl, crawl.name, IngestOptions())
snapshot = lake.replace_partition("crawl_file", crawl.name, {
    tables.RAW_PAGES.name: (tables.RAW_PAGES.schema, batches),
    tables.QUARANTINE.name: (tables.QUARANTINE.schema, read.after_pages(read.quarantine_table)),
    tables.CRAWL_FILES.name: (tables.CRAWL_FILES.schema, read.after_pages(read.stats_table)),
}, message=f"raw pages of {crawl.name}")
print(json.dumps({"began": began, "committed": time.time(), "pages": read.counts["pages_stored"],
                  "snapshot": snapshot}))
"""
CRAWLS = (
    "small-crawl-a.warc.gz",
    "small-crawl-b.warc.gz",
    "sample-pages-60.warc.gz",
    "cc-main-2019-30-extracted-697.jsonl.gz",
)


def test_four_processes_write_four_partitions_at_once_and_a_reader_sees_only_whole_ones(postgres, tmp_path):
    postgres.create_database("concurrent")
    lake = Lake(postgres.catalog("concurrent"), str(tmp_path / "files"))
    start_at = time.time() + 10  # every writer has imported its libraries by then, even on a loaded machine
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, lake.catalog, lake.data_path, str(sample(name)), str(start_at)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in CRAWLS
    ]
    seen: list[dict[str, int]] = []
    while any(w.poll() is None for w in writers):
        try:
            if time.time() > start_at and "raw_pages" in lake.table_names():
                with lake.connect(read_only=True) as con:
                    seen.append(dict(con.execute("SELECT crawl_file, count(*) FROM raw_pages GROUP BY 1").fetchall()))
        except duckdb.InvalidInputException as error:  # no writer has created the lake yet
            assert "does not exist" in str(error)
        time.sleep(0.05)
    results = []
    for writer in writers:
        out, err = writer.communicate()
        assert writer.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))

    pages = {name: r["pages"] for name, r in zip(CRAWLS, results, strict=True)}
    with lake.connect(read_only=True) as con:
        stored = dict(con.execute("SELECT crawl_file, count(*) FROM raw_pages GROUP BY 1").fetchall())
        distinct = con.execute("SELECT count(DISTINCT page_id) = count(*) FROM raw_pages").fetchone()[0]
        logged = dict(con.execute("SELECT crawl_file, count(*) FROM crawl_files GROUP BY 1").fetchall())
    assert stored == pages and all(n > 0 for n in pages.values())
    assert distinct
    assert logged == dict.fromkeys(CRAWLS, 1)
    # no writer waited for another: the four transactions were open at the same time, and each made its own snapshot
    assert max(r["began"] for r in results) < min(r["committed"] for r in results)
    assert len({r["snapshot"] for r in results}) == len(CRAWLS)
    # whatever the reader saw, each partition was all there or absent
    assert seen, "the reader never ran while the writers did"
    for counts in seen:
        assert all(counts[name] == pages[name] for name in counts), counts
