"""Crawl file -> Arrow batches of raw pages, quarantined records and per-file counts. Free of Dagster.

`read_crawl_file` refuses a file that is not a crawl file before yielding anything; after that, a bad record
never stops the file: it becomes a quarantine row and reading goes on.
"""

import base64
import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa

from curation.ingest import quarantine as q
from curation.ingest.formats import CrawlFormat, sniff_format
from curation.lake import tables

DEFAULT_HTML_CAP_BYTES = 1 << 20  # Common Crawl's own truncation length
DEFAULT_MAX_RECORD_BYTES = 64 << 20
DEFAULT_BATCH_BYTES = 16 << 20  # small enough that parsing and writing overlap


@dataclass(frozen=True)
class IngestOptions:
    html_cap_bytes: int = DEFAULT_HTML_CAP_BYTES
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    batch_bytes: int = DEFAULT_BATCH_BYTES  # flush a page batch (one Parquet file) past this many payload bytes

    def __post_init__(self):
        for name in ("html_cap_bytes", "max_record_bytes", "batch_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive number of bytes, got {getattr(self, name)}")
        if self.html_cap_bytes > self.max_record_bytes:
            raise ValueError("html_cap_bytes must not exceed max_record_bytes")


def page_id(crawl_file: str, record_id: str) -> str:
    return hashlib.blake2b(f"{crawl_file}\x00{record_id}".encode(), digest_size=16).hexdigest()


def sha1_base32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def host_of(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


@dataclass
class CrawlRead:
    """What reading one file produced besides its page batches (complete once the batches are consumed)."""

    crawl_file: str
    fmt: CrawlFormat
    file_bytes: int
    parser: str
    counts: Counter = field(default_factory=Counter)
    quarantine_rows: list[dict] = field(default_factory=list)
    _record_ids: dict[bytes, int] = field(default_factory=dict)  # record id digest -> offset of the first record

    def quarantine(self, offset: int, reason: str, detail: str, record_id=None, url=None) -> None:
        self.counts["quarantined"] += 1
        self.quarantine_rows.append(
            {
                "crawl_file": self.crawl_file,
                "record_offset": offset,
                "warc_record_id": record_id,
                "url": url,
                "reason": reason,
                "detail": detail,
            }
        )

    def is_duplicate(self, offset: int, record_id: str, url: str | None) -> bool:
        """A record id seen before in this file: quarantined (the first one is kept), since page_id is a key."""
        digest = hashlib.blake2b(record_id.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        first = self._record_ids.setdefault(digest, offset)
        if first == offset:
            return False
        self.quarantine(
            offset, q.DUPLICATE_RECORD_ID, f"record id already used by the record at offset {first}", record_id, url
        )
        return True

    def stored_page(self, offset: int, record_id: str, url: str, truncated: bool, **fields) -> dict:
        """A raw_pages row for a record that is kept; counts it (and its truncation)."""
        self.counts["pages_stored"] += 1
        self.counts["truncated_pages"] += truncated
        return {
            "page_id": page_id(self.crawl_file, record_id),
            "crawl_file": self.crawl_file,
            "record_offset": offset,
            "warc_record_id": record_id,
            "url": url,
            "host": host_of(url),
            "truncated": truncated,
            **fields,
        }

    def retract(self, row: dict, reason: str, detail: str) -> None:
        """Take back a page read in full whose record turned out to be broken (not yet written): quarantine it."""
        self.counts["pages_stored"] -= 1
        self.counts["truncated_pages"] -= row["truncated"]
        self.quarantine(row["record_offset"], reason, detail, row["warc_record_id"], row["url"])

    def quarantine_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.quarantine_rows, schema=tables.QUARANTINE.schema)

    def after_pages(self, build) -> Iterator[pa.Table]:
        """Defer a table until the page batches have been read (quarantine and counts are complete then)."""
        yield build()

    def stats_table(self) -> pa.Table:
        c = self.counts
        row = {
            "crawl_file": self.crawl_file,
            "source_format": self.fmt.source_format,
            "compression": self.fmt.compression,
            "file_bytes": self.file_bytes,
            "records_seen": c["records_seen"],
            "warcinfo_records": c["warcinfo"],
            "request_records": c["request"],
            "response_records": c["response"],
            "metadata_records": c["metadata"],
            "other_records": c["other"],
            "pages_stored": c["pages_stored"],
            "non_html_skipped": c["non_html_skipped"],
            "empty_text_skipped": c["empty_text_skipped"],
            "quarantined": c["quarantined"],
            "truncated_pages": c["truncated_pages"],
            "dates_from_http_header": c["dates_from_http_header"],
            "parser": self.parser,
            "ingested_at": datetime.now(UTC),
        }
        return pa.Table.from_pylist([row], schema=tables.CRAWL_FILES.schema)


class PageBatcher:
    """Column buffers for raw_pages; hands out a RecordBatch whenever enough payload has piled up."""

    def __init__(self, batch_bytes: int):
        self.batch_bytes = batch_bytes
        self._names = tables.RAW_PAGES.schema.names
        self._reset()

    def _reset(self):
        self.columns = {name: [] for name in self._names}
        self.pending_bytes = 0

    def add(self, row: dict) -> pa.RecordBatch | None:
        for name in self._names:
            self.columns[name].append(row[name])
        self.pending_bytes += len(row["html"] or b"") + len(row["text"] or "")
        return self.flush() if self.pending_bytes >= self.batch_bytes else None

    def flush(self) -> pa.RecordBatch | None:
        if not self.columns["page_id"]:
            return None
        batch = pa.RecordBatch.from_pydict(self.columns, schema=tables.RAW_PAGES.schema)
        self._reset()
        return batch


def read_crawl_file(
    path: Path, crawl_file: str | None = None, options: IngestOptions | None = None
) -> tuple[CrawlRead, Iterator[pa.RecordBatch]]:
    """Sniff the file (raising NotACrawlFileError at once), then return its counters and a batch iterator."""
    from curation.ingest import jsonl, warc  # keep the parsers' imports off the code location's load path

    path = Path(path)
    options = options or IngestOptions()
    fmt = sniff_format(path)
    reader = warc if fmt.source_format == "warc" else jsonl
    read = CrawlRead(
        crawl_file=crawl_file or path.name, fmt=fmt, file_bytes=path.stat().st_size, parser=reader.parser_name()
    )
    return read, reader.page_batches(path, read, options)
