"""The library is what a Ray worker or the `curator` CLI imports: a crawl partition runs through ingestion, extraction,
signals and fingerprints into a real lake with `import dagster` blocked."""

import subprocess
import sys

from curation.project import PROJECT_ROOT

LIBRARY_RUN = r"""
import sys
sys.modules["dagster"] = None  # any `import dagster` now raises ImportError
from pathlib import Path
root, sample = Path(sys.argv[1]), sys.argv[2]
from curation.dedup.minhash import MinHashConfig, fingerprint
from curation.documents.extract import ExtractionMode
from curation.documents.pages import PAGE_COLUMNS, documents_from_pages
from curation.filters.signals import signals_from_documents
from curation.ingest.reader import IngestOptions, read_crawl_file
from curation.lake import tables
from curation.lake.client import Lake, read_partition

lake = Lake("sqlite:" + str(root / "catalog.sqlite"), str(root / "files"))
read, batches = read_crawl_file(Path(sample), "part.warc.gz", IngestOptions())
lake.replace_partition("crawl_file", "part.warc.gz", {
    tables.RAW_PAGES.name: (tables.RAW_PAGES.schema, batches),
    tables.QUARANTINE.name: (tables.QUARANTINE.schema, read.after_pages(read.quarantine_table)),
    tables.CRAWL_FILES.name: (tables.CRAWL_FILES.schema, read.after_pages(read.stats_table)),
}, message="library only")

def docs(cursor):
    for pages in read_partition(cursor, "raw_pages", PAGE_COLUMNS, "crawl_file", "part.warc.gz", "record_offset"):
        yield documents_from_pages(pages, ExtractionMode.quality)

lake.replace_partition("crawl_file", "part.warc.gz", {tables.DOCUMENTS.name: (tables.DOCUMENTS.schema, docs)},
                       message="documents")
with lake.connect(read_only=True) as con:
    documents = con.execute("SELECT * FROM documents").to_arrow_table()
signals = signals_from_documents(documents)
signatures, band_keys = fingerprint(documents, MinHashConfig())
assert "dagster" not in {m.split(".")[0] for m in sys.modules if sys.modules[m] is not None}
print(read.counts["pages_stored"], documents.num_rows, signals.num_rows, signatures.num_rows)
"""


def test_a_partition_runs_through_the_library_with_dagster_blocked(tmp_path):
    from support.samples import sample

    out = subprocess.run(
        [sys.executable, "-c", LIBRARY_RUN, str(tmp_path), str(sample("small-crawl-a.warc.gz"))],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    pages, documents, signals, signatures = map(int, out.stdout.split())
    assert pages == 22 and 0 < documents <= pages
    assert signals == documents == signatures
