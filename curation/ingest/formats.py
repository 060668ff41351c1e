"""Recognise what kind of crawl file a path holds, before anything is parsed or written."""

import os
import zlib
from dataclasses import dataclass
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b"
CRAWL_SUFFIXES = (".warc", ".warc.gz", ".jsonl", ".jsonl.gz", ".json.gz")
_SNIFF_BYTES = 4096


class NotACrawlFileError(ValueError):
    """The file is neither a WARC nor extracted-text JSON lines: its partition fails, nothing is written."""


@dataclass(frozen=True)
class CrawlFormat:
    source_format: str  # 'warc' | 'jsonl'
    compression: str  # 'gzip' | 'none'


def open_crawl_file(path: Path):
    """Open for reading without following a symbolic link (O_NOFOLLOW): a link swapped in after the landing
    folder's checks fails here instead of being read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    return os.fdopen(fd, "rb")


def is_crawl_file_name(name: str) -> bool:
    """Names the landing sensor picks up; hidden and partial files are left alone."""
    return not name.startswith(".") and name.lower().endswith(CRAWL_SUFFIXES)


def sniff_format(path: Path) -> CrawlFormat:
    """Look at the first decompressed bytes; refuse anything that does not start like a crawl file."""
    with open_crawl_file(path) as f:
        head = f.read(_SNIFF_BYTES)
    compression = "none"
    if head.startswith(GZIP_MAGIC):
        compression = "gzip"
        try:
            head = zlib.decompressobj(31).decompress(head, _SNIFF_BYTES)
        except zlib.error as e:
            raise NotACrawlFileError(f"{path.name}: not a crawl file: gzip header is corrupt ({e})") from e
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if body.startswith(b"WARC/"):
        return CrawlFormat("warc", compression)
    if body.startswith(b"{"):
        return CrawlFormat("jsonl", compression)
    # The file's bytes are never quoted: the message reaches the event log and the UI.
    raise NotACrawlFileError(
        f"{path.name}: not a crawl file: its first bytes are neither a WARC record ('WARC/1.0') nor a JSON "
        f"object ({'gzip-compressed' if compression == 'gzip' else 'uncompressed'}, {len(head)} bytes examined); "
        "expected WARC or JSON lines with 'text' and 'url' fields, optionally gzip-compressed"
    )
