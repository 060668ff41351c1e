"""Test inputs: the bundled sample crawl, small fixtures, and WARC records written by hand."""

import gzip
import json
import shutil
import uuid
from pathlib import Path

from curation.project import PROJECT_ROOT

ROOT = PROJECT_ROOT
SAMPLES = ROOT / "data" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sample(name: str) -> Path:
    path = SAMPLES / name if (SAMPLES / name).exists() else FIXTURES / name
    assert path.exists(), path
    return path


def land(landing_dir: Path, *names: str) -> None:
    for name in names:
        shutil.copy2(sample(name), landing_dir / name)


def documents() -> list[str]:
    """The non-empty texts of the bundled extracted-text crawl (Common Crawl 2019-30, 670 documents)."""
    with gzip.open(sample("cc-main-2019-30-extracted-697.jsonl.gz"), "rt") as f:
        return [t for t in (json.loads(line).get("text", "") for line in f) if t.strip()]


def warc_record(
    body: bytes = b"<html><body><p>Hello</p></body></html>",
    *,
    rtype: str = "response",
    uri: str | None = "https://example.org/page",
    date: str | None = "2024-03-01T12:00:00Z",
    http_head: bytes = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n",
    record_id: str | None = None,
    content_length: int | None = None,
) -> bytes:
    """One WARC/1.0 record, as a crawler writes it."""
    block = (http_head + b"\r\n" + body) if rtype == "response" else body
    headers = ["WARC/1.0", f"WARC-Type: {rtype}"]
    if record_id != "":
        headers.append(f"WARC-Record-ID: {record_id or f'<urn:uuid:{uuid.uuid4()}>'}")
    if date is not None:
        headers.append(f"WARC-Date: {date}")
    if uri is not None:
        headers.append(f"WARC-Target-URI: {uri}")
    headers.append("Content-Type: application/http; msgtype=response")
    headers.append(f"Content-Length: {len(block) if content_length is None else content_length}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def gzip_members(*records: bytes) -> bytes:
    """Gzip per record, the layout of Common Crawl's WARC files."""
    return b"".join(gzip.compress(r) for r in records)
