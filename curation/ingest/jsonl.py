"""Extracted-text JSON lines (WET-like; Dolma's layout included) -> raw page batches.

Offsets are byte offsets of the line in the decompressed stream. A line longer than max_record_bytes is
skipped without being held in memory.
"""

import gzip
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from curation.ingest import quarantine as q
from curation.ingest.formats import open_crawl_file
from curation.ingest.reader import CrawlRead, IngestOptions, PageBatcher, sha1_base32

_READ_CHUNK = 1 << 20


def parser_name() -> str:
    return "jsonl"


def _first(obj: dict, meta: dict, keys: tuple[str, ...]):
    for key in keys:
        value = obj.get(key) if key in obj else meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if not parsed.tzinfo:
        return None
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. year 1 shifted before the epoch of datetime
        return None


def page_batches(path: Path, read: CrawlRead, options: IngestOptions) -> Iterator[pa.RecordBatch]:
    batcher = PageBatcher(options.batch_bytes)
    offset, lineno = 0, 0
    with open_crawl_file(path) as raw, gzip.GzipFile(fileobj=raw) if read.fmt.compression == "gzip" else raw as f:
        while True:
            try:
                line = f.readline(options.max_record_bytes + 1)
            except (EOFError, OSError, zlib.error) as e:
                read.counts["records_seen"] += 1
                reason = q.TRUNCATED_RECORD if isinstance(e, EOFError) else q.INVALID_GZIP
                read.quarantine(offset, reason, f"line {lineno + 1}: {e}; the rest of the file is unreadable")
                break
            if not line:
                break
            lineno += 1
            line_offset, offset = offset, offset + len(line)
            if len(line) > options.max_record_bytes and not line.endswith(b"\n"):
                skipped = len(line)
                while (more := f.readline(_READ_CHUNK)) and not more.endswith(b"\n"):
                    skipped += len(more)
                skipped += len(more)
                offset = line_offset + skipped
                read.counts["records_seen"] += 1
                read.quarantine(
                    line_offset,
                    q.RECORD_TOO_LARGE,
                    f"line {lineno}: {skipped} bytes > max_record_bytes {options.max_record_bytes}",
                )
                continue
            if not line.strip():
                continue
            read.counts["records_seen"] += 1
            row = _page_row(line, line_offset, lineno, read, options)
            if row is not None and (batch := batcher.add(row)) is not None:
                yield batch
    if (batch := batcher.flush()) is not None:
        yield batch


def _page_row(line: bytes, offset: int, lineno: int, read: CrawlRead, options: IngestOptions) -> dict | None:
    try:
        obj = json.loads(line)
    except ValueError as e:
        read.quarantine(offset, q.INVALID_JSON, f"line {lineno}: {e}")
        return None
    except RecursionError:
        read.quarantine(offset, q.INVALID_JSON, f"line {lineno}: a value nested too deeply to parse")
        return None
    if not isinstance(obj, dict):
        read.quarantine(offset, q.INVALID_JSON, f"line {lineno}: a JSON {type(obj).__name__}, not an object")
        return None
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    record_id = str(obj.get("id") or f"line-{lineno}")
    text = obj.get("text")
    url = _first(obj, meta, ("url", "warc_url"))
    if not isinstance(text, str):
        read.quarantine(offset, q.MISSING_TEXT, f"line {lineno}: no 'text' string", record_id, url)
        return None
    if not text.strip():
        read.counts["empty_text_skipped"] += 1  # the extractor found nothing: normal, counted, not stored
        return None
    if url is None:
        read.quarantine(offset, q.MISSING_URL, f"line {lineno}: no 'url' field", record_id)
        return None
    if "://" not in url and isinstance(meta.get("warc_url"), str):
        url = meta["warc_url"]  # Dolma keeps a scheme-less 'url' beside the original 'warc_url'
    date = _first(obj, meta, ("warc_date", "date", "created"))
    for name, value in (("text", text), ("url", url), ("id", record_id), ("date", date)):
        if value is not None and not _encodable(value):
            read.quarantine(
                offset,
                q.INVALID_UNICODE,
                f"line {lineno}: '{name}' holds a lone surrogate (not UTF-8)",
                record_id if _encodable(record_id) else None,
                url if _encodable(url) else None,
            )
            return None
    if read.is_duplicate(offset, record_id, url):
        return None
    encoded = text.encode("utf-8")
    truncated = len(encoded) > options.html_cap_bytes
    if truncated:
        text = encoded[: options.html_cap_bytes].decode("utf-8", "ignore")
    return read.stored_page(
        offset,
        record_id,
        url,
        truncated=truncated,
        fetch_date=_parse_date(date),
        http_status=None,
        content_type="text/plain",
        charset="utf-8",
        payload_digest=sha1_base32(encoded),
        payload_bytes=len(encoded),
        html=None,
        text=text,
        source_format="jsonl",
    )
