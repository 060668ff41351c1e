"""The WARC reader on real crawl files and on records broken the ways real files break."""

import gzip

import pytest
from support.samples import gzip_members, sample, warc_record

from curation.ingest import quarantine as q
from curation.ingest.formats import NotACrawlFileError
from curation.ingest.reader import IngestOptions, read_crawl_file


def read_all(path, options=None):
    read, batches = read_crawl_file(path, options=options)
    rows = [row for batch in batches for row in batch.to_pylist()]
    return read, rows


@pytest.mark.parametrize(
    ("name", "pages", "records", "by_type"),
    [
        ("small-crawl-a.warc.gz", 22, 48, {"warcinfo": 1, "request": 22, "response": 22, "metadata": 1, "other": 2}),
        ("small-crawl-b.warc.gz", 15, 34, {"warcinfo": 1, "request": 15, "response": 15, "metadata": 1, "other": 2}),
        ("cc-main-2020-34-excerpt.warc.gz", 16, 50, {"warcinfo": 1, "request": 17, "response": 16, "metadata": 16}),
        ("sample-pages-60.warc.gz", 60, 61, {"warcinfo": 1, "response": 60}),
    ],
)
def test_real_crawl_files_give_exact_counts(name, pages, records, by_type):
    read, rows = read_all(sample(name))
    assert len(rows) == pages
    assert read.counts["records_seen"] == records
    assert {k: read.counts[k] for k in by_type} == by_type
    assert read.quarantine_rows == []
    assert len({r["page_id"] for r in rows}) == pages
    assert all(r["fetch_date"] is not None for r in rows)
    assert all(r["host"] for r in rows if r["url"].startswith("http"))
    first = rows[0]
    assert first["http_status"] == 200 and "html" in first["content_type"]
    assert first["html"].lstrip()[:1] == b"<" and first["source_format"] == "warc"


def test_target_uris_without_a_scheme_are_kept_with_no_host():
    """The trafilatura eval pages carry their eval keys ('hard::...') as WARC-Target-URI: kept, host NULL."""
    _, rows = read_all(sample("sample-pages-60.warc.gz"))
    odd = [r for r in rows if not r["url"].startswith("http")]
    assert len(odd) == 35
    assert all(r["url"].startswith("hard::") and r["host"] is None for r in odd)


def test_page_ids_are_stable_across_reads():
    _, first = read_all(sample("small-crawl-a.warc.gz"))
    _, second = read_all(sample("small-crawl-a.warc.gz"))
    assert [r["page_id"] for r in first] == [r["page_id"] for r in second]


def test_clipped_record_is_quarantined_as_truncated():
    read, rows = read_all(sample("malformed-clipped-record.warc.gz"))
    assert rows == []
    [row] = read.quarantine_rows
    assert row["reason"] == q.TRUNCATED_RECORD
    assert row["record_offset"] == 0
    assert "74970 of 88038" in row["detail"]
    assert row["url"].startswith("http")


def test_clueweb_quirks_are_repaired_not_lost():
    """WARC/0.18, bare-LF HTTP headers, WARC-Date '2008-10-294T...': pages kept, dated by the HTTP Date header."""
    read, rows = read_all(sample("malformed-clueweb-quirk.warc.gz"))
    assert len(rows) == 29
    assert read.counts["dates_from_http_header"] == 29
    assert all(r["fetch_date"].year == 2009 for r in rows)
    assert all(r["charset"] == "euc-jp" for r in rows)
    # quirks mode: the HTTP header ends at the blank line, so the payload starts with the document itself
    assert all(r["html"].lstrip().lower().startswith(b"<html") for r in rows)


def test_corrupt_gzip_member_is_quarantined_and_the_rest_is_read(tmp_path):
    good = [warc_record(f"<html><p>page {i}</p></html>".encode(), uri=f"https://a.org/{i}") for i in range(5)]
    members = [gzip.compress(r) for r in good]
    broken = bytearray(members[2])
    broken[20:40] = bytes(b ^ 0xFF for b in broken[20:40])  # damage the deflate data, keep the gzip header
    members[2] = bytes(broken)
    path = tmp_path / "corrupt.warc.gz"
    path.write_bytes(b"".join(members))

    read, rows = read_all(path)
    assert [r["url"] for r in rows] == ["https://a.org/0", "https://a.org/1", "https://a.org/3", "https://a.org/4"]
    [row] = read.quarantine_rows
    assert row["reason"] == q.INVALID_GZIP
    assert row["record_offset"] == len(members[0]) + len(members[1])
    assert f"resumed at offset {row['record_offset'] + len(members[2])}" in row["detail"]


def test_garbage_between_uncompressed_records_is_quarantined(tmp_path):
    records = [warc_record(f"<html>{i}</html>".encode(), uri=f"https://b.org/{i}") for i in range(3)]
    path = tmp_path / "plain.warc"
    path.write_bytes(records[0] + b"this is not a WARC header\r\n\r\n" + records[1] + records[2])
    read, rows = read_all(path)
    assert [r["url"] for r in rows] == ["https://b.org/0", "https://b.org/1", "https://b.org/2"]
    assert [r["reason"] for r in read.quarantine_rows] == [q.INVALID_WARC_HEADER]
    assert read.quarantine_rows[0]["record_offset"] == len(records[0])


@pytest.mark.parametrize("layout", ["plain", "whole-file gzip"])
def test_uncompressed_and_whole_file_gzip_read_the_same_pages(tmp_path, layout):
    data = gzip.decompress(sample("small-crawl-b.warc.gz").read_bytes())
    path = tmp_path / ("x.warc" if layout == "plain" else "x.warc.gz")
    path.write_bytes(data if layout == "plain" else gzip.compress(data))
    read, rows = read_all(path)
    _, reference = read_all(sample("small-crawl-b.warc.gz"))
    assert read.fmt.compression == ("none" if layout == "plain" else "gzip")
    assert [r["url"] for r in rows] == [r["url"] for r in reference]
    assert [r["html"] for r in rows] == [r["html"] for r in reference]


def test_html_is_capped_with_a_truncated_flag(tmp_path):
    big = b"<html><body>" + b"x" * 5000 + b"</body></html>"
    path = tmp_path / "big.warc.gz"
    path.write_bytes(gzip_members(warc_record(big), warc_record(b"<html>small</html>", uri="https://e.org/s")))
    read, rows = read_all(path, IngestOptions(html_cap_bytes=1000))
    assert [len(r["html"]) for r in rows] == [1000, len(b"<html>small</html>")]
    assert [r["truncated"] for r in rows] == [True, False]
    assert rows[0]["payload_bytes"] == len(big)
    assert read.counts["truncated_pages"] == 1


def test_record_over_the_size_bound_is_quarantined_unread(tmp_path):
    path = tmp_path / "huge.warc.gz"
    path.write_bytes(gzip_members(warc_record(b"<html>" + b"y" * 50_000 + b"</html>"), warc_record(b"<html>ok</html>")))
    read, rows = read_all(path, IngestOptions(html_cap_bytes=1000, max_record_bytes=10_000))
    assert len(rows) == 1
    assert [r["reason"] for r in read.quarantine_rows] == [q.RECORD_TOO_LARGE]


def test_non_html_payloads_and_other_records_are_counted_not_stored(tmp_path):
    path = tmp_path / "mixed.warc.gz"
    png = warc_record(b"\x89PNG\r\n\x1a\n" + b"\0" * 50, http_head=b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n")
    request = warc_record(b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n", rtype="request")
    untyped = warc_record(b"<!DOCTYPE html><html><p>sniffed</p></html>", http_head=b"HTTP/1.1 200 OK\r\n")
    path.write_bytes(gzip_members(request, png, untyped))
    read, rows = read_all(path)
    assert len(rows) == 1 and rows[0]["content_type"] is None
    assert read.counts["non_html_skipped"] == 1
    assert read.counts["request"] == 1


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (warc_record(uri=None), q.MISSING_TARGET_URI),
        (warc_record(record_id=""), q.MISSING_RECORD_ID),
        (warc_record(date="2008-10-294T05:21:46-0700"), q.INVALID_DATE),
        (warc_record(http_head=b"garbage without a status line\r\n"), q.INVALID_HTTP_RESPONSE),
    ],
)
def test_invalid_records_are_quarantined_with_their_reason(tmp_path, record, reason):
    path = tmp_path / "bad.warc.gz"
    good = warc_record(b"<html><p>fine</p></html>", uri="https://ok.org/")
    path.write_bytes(gzip_members(record, good))
    read, rows = read_all(path)
    assert [r["url"] for r in rows] == ["https://ok.org/"]
    assert [r["reason"] for r in read.quarantine_rows] == [reason]


def test_truncated_file_quarantines_the_last_record(tmp_path):
    records = [
        warc_record(b"<html>" + bytes(str(i), "ascii") * 3000 + b"</html>", uri=f"https://t.org/{i}") for i in range(3)
    ]
    path = tmp_path / "cut.warc"
    path.write_bytes(gzip.decompress(gzip_members(*records[:2])) + records[2][: len(records[2]) // 2])
    read, rows = read_all(path)
    assert [r["url"] for r in rows] == ["https://t.org/0", "https://t.org/1"]
    assert [r["reason"] for r in read.quarantine_rows] == [q.TRUNCATED_RECORD]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"root:x:0:0:root:/root:/bin/bash\n", "uncompressed"),
        (b"\x89PNG\r\n\x1a\n\0\0", "not a crawl file"),
        (gzip.compress(b"<html>a gzip'd page, not a WARC</html>", mtime=0), "gzip-compressed"),
    ],
)
def test_a_file_that_is_not_a_crawl_file_is_refused_before_reading(tmp_path, content, expected):
    path = tmp_path / "not-a-crawl.warc.gz"
    path.write_bytes(content)
    with pytest.raises(NotACrawlFileError, match="not a crawl file") as err:
        read_crawl_file(path)
    assert expected in str(err.value)
    assert "not-a-crawl.warc.gz" in str(err.value)
    # the file's bytes never reach the message (it lands in the event log and the UI)
    for quoted in (b"root", b"PNG", b"html", b"gzip'd"):
        assert quoted.decode() not in str(err.value).replace("gzip-compressed", "")
