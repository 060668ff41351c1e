"""WARC -> raw page batches with FastWARC; corrupt stretches are quarantined and reading resumes after them.

Offsets: for gzip-per-record files (Common Crawl's layout) `record_offset` is the compressed offset of the
record's gzip member, the one CDX indexes use; for uncompressed files it is the byte offset of the record.
"""

import zlib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pyarrow as pa
from fastwarc.warc import ArchiveIterator, WarcRecordType

from curation.ingest import quarantine as q
from curation.ingest.formats import GZIP_MAGIC, open_crawl_file
from curation.ingest.reader import CrawlRead, IngestOptions, PageBatcher

_TYPE_NAMES = {int(t): str(t) for t in (WarcRecordType.warcinfo, WarcRecordType.request, WarcRecordType.metadata)}
_RESPONSE = int(WarcRecordType.response)
_HTML_SNIFF = (b"<!doctype html", b"<html", b"<head", b"<body")
_SCAN_CHUNK = 1 << 20


def parser_name() -> str:
    return f"fastwarc {version('fastwarc')}"


def _is_html(content_type: str | None, payload: bytes) -> bool:
    if content_type and content_type not in ("application/octet-stream", "unknown/unknown"):
        return "html" in content_type
    return payload[:1024].lstrip().lower().startswith(_HTML_SNIFF)


def dechunk(data: bytes) -> bytes:
    """Undo HTTP chunked transfer coding; tolerant of a capped (unfinished) last chunk."""
    out, pos = [], 0
    while pos < len(data):
        line_end = data.find(b"\r\n", pos)
        if line_end < 0:
            break
        try:
            size = int(data[pos:line_end].split(b";", 1)[0].strip() or b"0", 16)
        except ValueError:
            return data if not out else b"".join(out)  # not chunked after all: keep what we have
        if size == 0:
            break
        out.append(data[line_end + 2 : line_end + 2 + size])
        pos = line_end + 2 + size + 2
    return b"".join(out)


def _decode_body(payload: bytes, transfer_encoding: str, content_encoding: str, cap: int) -> tuple[bytes | None, bool]:
    """(bytes as the browser saw them, or None for an encoding we cannot undo; whether decoding hit the cap)."""
    if "chunked" in transfer_encoding:
        payload = dechunk(payload)
    if content_encoding in ("", "identity", "none"):
        return payload, False
    if content_encoding in ("gzip", "x-gzip", "deflate"):
        if not payload.startswith(GZIP_MAGIC) and content_encoding != "deflate":
            return payload, False  # mislabelled (ClueWeb09 does this): the body is already plain
        decompressor = zlib.decompressobj(47 if payload.startswith(GZIP_MAGIC) else -15)
        try:
            decoded = decompressor.decompress(payload, cap)
        except zlib.error:
            return (payload if payload.lstrip()[:1] == b"<" else None), False
        return decoded, bool(decompressor.unconsumed_tail)
    return None, False


def _record_end(path: Path, offset: int, content_length: int) -> int:
    """End of an uncompressed record: its header block, its Content-Length, the two closing CRLFs."""
    with open_crawl_file(path) as f:
        f.seek(offset)
        head = f.read(64 << 10)
    header_end = head.find(b"\r\n\r\n")
    return offset + header_end + 4 + content_length + 4 if header_end >= 0 else offset + 1


def _next_start(path: Path, after: int, magic: bytes) -> int | None:
    """Offset of the next possible record start (gzip member or 'WARC/' line) strictly after `after`."""
    with open_crawl_file(path) as f:
        pos = after + 1
        f.seek(pos)
        tail = b""
        while chunk := f.read(_SCAN_CHUNK):
            window = tail + chunk
            hit = window.find(magic)
            if hit >= 0:
                return pos - len(tail) + hit
            tail = window[-(len(magic) - 1) :]
            pos += len(chunk)
    return None


def page_batches(path: Path, read: CrawlRead, options: IngestOptions) -> Iterator[pa.RecordBatch]:
    magic = GZIP_MAGIC + b"\x08" if read.fmt.compression == "gzip" else b"WARC/"
    batcher = PageBatcher(options.batch_bytes)
    start, stretch = 0, None  # stretch: (offset, cause) of a corrupt region being skipped
    pending = None  # the last page read in full: stored once the next record shows that its length held
    while start is not None:
        current = done = None
        done_length = started = completed = 0  # records begun and finished (offsets repeat inside a gzip member)
        try:
            with open_crawl_file(path) as f:
                f.seek(start)
                for record in ArchiveIterator(f, parse_http=False, quirks_mode=False):
                    current = record.stream_pos
                    started += 1
                    if stretch is not None:  # reading resumed: the corrupt region ends here
                        _quarantine_stretch(path, read, *stretch, end=current)
                        stretch = None
                    if pending is not None and (batch := batcher.add(pending)) is not None:
                        yield batch
                    length = int(record.headers.get("Content-Length") or 0)
                    pending = _page_row(record, read, options)
                    done, done_length, completed = current, length, started
            start = None
        except OSError as e:
            # FastWARC stops at a corrupt gzip member or a garbled header. The bad record is the one being
            # read when it failed, else the one after the last record read in full, unless that record's
            # Content-Length ran into the next record: then it is the liar, and the record it swallowed is read.
            seen = started > completed  # the failing record was counted in records_seen
            if seen:
                bad = current
            elif done is None:
                bad = start
            else:
                swallowed = _swallowed_record(path, read, done, done_length, magic)
                if swallowed is not None:
                    if pending is not None:
                        read.retract(
                            pending,
                            q.INVALID_RECORD_LENGTH,
                            f"Content-Length {done_length} runs into the record at offset {swallowed}",
                        )
                        pending = None
                    start = swallowed
                    continue
                bad = (
                    _next_start(path, done, magic)
                    if read.fmt.compression == "gzip"
                    else _record_end(path, done, done_length)
                )
            if stretch is None and bad is not None:
                stretch = (bad, str(e), seen)
            start = None if bad is None else _next_start(path, bad, magic)
    if pending is not None and (batch := batcher.add(pending)) is not None:
        yield batch
    if stretch is not None:
        _quarantine_stretch(path, read, *stretch, end=read.file_bytes)
    if (batch := batcher.flush()) is not None:
        yield batch


def _swallowed_record(path: Path, read: CrawlRead, done: int, length: int, magic: bytes) -> int | None:
    """Where a good record starts that the record at `done` claimed as its own payload, if any: the next record
    start lies inside its claimed span (uncompressed) or right after its own gzip member (gzip), and parses."""
    candidate = _next_start(path, done, magic)
    if candidate is None:
        return None
    if read.fmt.compression == "gzip":
        if _member_end(path, done) != candidate:
            return None  # bytes between the members: corrupt data, not a length that lies
    elif candidate >= _record_end(path, done, length):
        return None
    return candidate if _parses_at(path, candidate) else None


def _member_end(path: Path, offset: int) -> int | None:
    """End of the gzip member starting at `offset` (bounded memory: output is discarded as it is produced)."""
    decompressor = zlib.decompressobj(31)
    position = offset
    try:
        with open_crawl_file(path) as f:
            f.seek(offset)
            while chunk := f.read(_SCAN_CHUNK):
                data = chunk
                while data and not decompressor.eof:
                    decompressor.decompress(data, _SCAN_CHUNK)
                    data = decompressor.unconsumed_tail
                if decompressor.eof:
                    return position + len(chunk) - len(decompressor.unused_data)
                position += len(chunk)
    except zlib.error:
        return None
    return None


def _parses_at(path: Path, offset: int) -> bool:
    """A whole WARC record can be read at `offset`."""
    try:
        with open_crawl_file(path) as f:
            f.seek(offset)
            for record in ArchiveIterator(f, parse_http=False, quirks_mode=False):
                return record.stream_pos == offset and record.reader.consume() >= record.content_length
    except OSError:
        return False
    return False


def _gzip_member_readable(path: Path, offset: int) -> bool:
    """The gzip member at `offset` decompresses (its first bytes at least): a failure there is not the gzip's."""
    try:
        with open_crawl_file(path) as f:
            f.seek(offset)
            zlib.decompressobj(31).decompress(f.read(_SCAN_CHUNK), 64 << 10)
    except zlib.error:
        return False
    return True


def _quarantine_stretch(path: Path, read: CrawlRead, begin: int, cause: str, seen: bool, end: int) -> None:
    """One quarantine row for a corrupt stretch; `quarantined_unseen` counts those no record header was read from,
    so that pages stored + quarantined - unseen + skipped = records seen."""
    read.counts["quarantined_unseen"] += not seen
    gzip_fault = read.fmt.compression == "gzip" and ("gzip" in cause.lower() or not _gzip_member_readable(path, begin))
    reason = q.INVALID_GZIP if gzip_fault else q.INVALID_WARC_HEADER
    read.quarantine(begin, reason, f"{cause}; skipped {end - begin} bytes, reading resumed at offset {end}")


def _page_row(record, read: CrawlRead, options: IngestOptions) -> dict | None:
    """One record -> a raw_pages row, or None (counted, or quarantined with its reason)."""
    counts = read.counts
    counts["records_seen"] += 1
    rtype = int(record.record_type)
    if rtype != _RESPONSE:
        counts[_TYPE_NAMES.get(rtype, "other")] += 1
        return None
    counts["response"] += 1
    offset = record.stream_pos
    headers = record.headers
    record_id = record.record_id
    url = (headers.get("WARC-Target-URI") or "").strip().strip("<>") or None
    if record.content_length > options.max_record_bytes:
        read.quarantine(
            offset,
            q.RECORD_TOO_LARGE,
            f"Content-Length {record.content_length} > max_record_bytes {options.max_record_bytes}",
            record_id,
            url,
        )
        return None
    try:
        record.parse_http(quirks_mode=True)
        status = record.http_headers.status_code
    except OSError as e:
        status, http_error = None, str(e)
    else:
        http_error = "no HTTP status line"
    payload_length = record.content_length
    payload = record.reader.read(options.html_cap_bytes)
    rest = record.reader.consume()
    received = len(payload) + rest
    if received < payload_length:
        read.quarantine(
            offset, q.TRUNCATED_RECORD, f"{received} of {payload_length} payload bytes present", record_id, url
        )
        return None
    if status is None:
        read.quarantine(offset, q.INVALID_HTTP_RESPONSE, http_error, record_id, url)
        return None
    if not record_id:
        read.quarantine(offset, q.MISSING_RECORD_ID, "response record without WARC-Record-ID", None, url)
        return None
    if not url:
        read.quarantine(offset, q.MISSING_TARGET_URI, "response record without WARC-Target-URI", record_id)
        return None
    http = record.http_headers
    transfer_encoding = (http.get("Transfer-Encoding") or "").lower()
    content_encoding = (http.get("Content-Encoding") or "").strip().lower()
    capped = False
    if transfer_encoding or content_encoding:
        decoded, capped = _decode_body(payload, transfer_encoding, content_encoding, options.html_cap_bytes)
        if decoded is None:
            read.quarantine(
                offset, q.UNSUPPORTED_CONTENT_ENCODING, f"Content-Encoding {content_encoding!r}", record_id, url
            )
            return None
        payload = decoded
    content_type = record.http_content_type
    if not _is_html(content_type, payload):
        counts["non_html_skipped"] += 1
        return None
    fetch_date = record.record_date
    if fetch_date is None:
        fetch_date = record.http_date
        if fetch_date is None:
            read.quarantine(
                offset, q.INVALID_DATE, f"WARC-Date {headers.get('WARC-Date')!r} and no HTTP Date", record_id, url
            )
            return None
        counts["dates_from_http_header"] += 1
    if read.is_duplicate(offset, record_id, url):
        return None
    return read.stored_page(
        offset,
        record_id,
        url,
        truncated=rest > 0 or capped or bool(headers.get("WARC-Truncated")),
        fetch_date=fetch_date,
        http_status=status,
        content_type=content_type,
        charset=record.http_charset,
        payload_digest=headers.get("WARC-Payload-Digest"),
        payload_bytes=received,
        html=payload,
        text=None,
        source_format="warc",
    )
