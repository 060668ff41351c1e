"""Extracted-text JSONL crawls: Dolma's real file, and lines broken the ways real files break."""

import gzip
import json

import pytest
from support.samples import sample

from curation.ingest import quarantine as q
from curation.ingest.reader import IngestOptions, read_crawl_file


def read_all(path, options=None):
    read, batches = read_crawl_file(path, options=options)
    return read, [row for batch in batches for row in batch.to_pylist()]


def test_dolma_extracted_crawl_passes_text_through():
    read, rows = read_all(sample("cc-main-2019-30-extracted-697.jsonl.gz"))
    assert read.fmt.source_format == "jsonl" and read.fmt.compression == "gzip"
    assert read.counts["records_seen"] == 697
    assert len(rows) == 670
    assert read.counts["empty_text_skipped"] == 27  # the extractor found no text: counted, not quarantined
    assert read.quarantine_rows == []
    assert all(r["html"] is None and r["text"].strip() for r in rows)
    assert all(r["url"].startswith("http") and r["host"] for r in rows)  # Dolma's warc_url, with its scheme
    assert all(r["fetch_date"].year == 2019 for r in rows)
    assert len({r["page_id"] for r in rows}) == 670


def write_jsonl(path, lines: list[str | dict]) -> None:
    body = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    path.write_bytes(gzip.compress(body.encode()))


GOOD = {"id": "a", "text": "Ein echter Satz über Daten.", "url": "https://de.example.org/a"}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": "x", "text": "unterminated', q.INVALID_JSON),
        ("[1, 2, 3]", q.INVALID_JSON),
        ({"id": "x", "url": "https://x.org/"}, q.MISSING_TEXT),
        ({"id": "x", "text": "words without an address"}, q.MISSING_URL),
    ],
)
def test_bad_lines_are_quarantined_and_the_rest_is_kept(tmp_path, line, reason):
    path = tmp_path / "x.jsonl.gz"
    write_jsonl(path, [GOOD, line, {**GOOD, "id": "b"}])
    read, rows = read_all(path)
    assert [r["warc_record_id"] for r in rows] == ["a", "b"]
    [row] = read.quarantine_rows
    assert row["reason"] == reason and "line 2" in row["detail"]
    assert row["record_offset"] == len(json.dumps(GOOD)) + 1


def test_overlong_line_is_skipped_without_holding_it(tmp_path):
    path = tmp_path / "long.jsonl"
    huge = {"id": "h", "text": "z" * 100_000, "url": "https://h.org/"}
    path.write_text(json.dumps(huge) + "\n" + json.dumps(GOOD) + "\n")
    read, rows = read_all(path, IngestOptions(html_cap_bytes=1000, max_record_bytes=10_000))
    assert [r["url"] for r in rows] == ["https://de.example.org/a"]
    assert [r["reason"] for r in read.quarantine_rows] == [q.RECORD_TOO_LARGE]
    assert rows[0]["record_offset"] == len(json.dumps(huge)) + 1


def test_truncated_gzip_keeps_what_was_readable(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    whole = gzip.compress(("\n".join(json.dumps({**GOOD, "id": str(i)}) for i in range(200)) + "\n").encode())
    path.write_bytes(whole[: len(whole) * 2 // 3])
    read, rows = read_all(path)
    assert 0 < len(rows) < 200
    assert [r["reason"] for r in read.quarantine_rows] == [q.TRUNCATED_RECORD]
