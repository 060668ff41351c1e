"""What a hostile or unlucky user tries: keys and links that point outside the landing folder, records that used
to sink their file, numbers that are not numbers, run config that names a program, kills, and readers that used
to lock the pipeline out. Each test failed before the hardening issue."""

import gzip
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from support.samples import gzip_members, sample, warc_record

from curation.documents.pages import documents_from_pages
from curation.filters.recipe import RecipeError, load_recipe
from curation.ingest import quarantine as q
from curation.ingest.landing import LandingFileError, landing_file, ready_landing_files
from curation.ingest.reader import read_crawl_file
from curation.lake.sql_literals import double_literal
from curation.project import PROJECT_ROOT

ROOT = PROJECT_ROOT


def read_all(path: Path):
    read, batches = read_crawl_file(path)
    rows = [row for batch in batches for row in batch.to_pylist()]
    return read, rows


def test_keys_and_links_that_leave_the_landing_folder_are_refused(tmp_path, landing_dir):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.jsonl").write_text(json.dumps({"text": "secret", "url": "https://e.org/"}) + "\n")
    (landing_dir / "passwd.warc.gz").symlink_to("/etc/passwd")
    (landing_dir / "outside.jsonl").symlink_to(outside / "x.jsonl")
    for key in ("../outside/x.jsonl", str(outside / "x.jsonl"), "passwd.warc.gz", "outside.jsonl", "..", "a\\b.warc"):
        with pytest.raises(LandingFileError):
            landing_file(landing_dir, key)
    assert ready_landing_files(landing_dir, 0, time.time()) == []  # the sensor registers no link


def test_a_recipe_list_file_outside_the_recipe_folder_is_refused(tmp_path):
    recipe = tmp_path / "leaky.yaml"
    recipe.write_text("filters:\n  url: {blocked_domains: [/etc/passwd]}\n")
    with pytest.raises(RecipeError, match="outside the recipe folder"):
        load_recipe(recipe)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "ok.txt").write_text("example.org\n")
    recipe.write_text("filters:\n  url: {blocked_domains: [lists/ok.txt, ../../etc/passwd]}\n")
    with pytest.raises(RecipeError, match=r"filters.url.blocked_domains: \.\./\.\./etc/passwd is outside"):
        load_recipe(recipe)


def test_bad_jsonl_records_are_quarantined_and_the_rest_of_the_file_is_read(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "first good document", "url": "https://e.org/a"}),
        '{"id": "s", "text": "lone \\ud800 surrogate", "url": "https://e.org/s"}',
        '{"id": "n", "text": ' + "[" * 100_000 + "]" * 100_000 + "}",
        json.dumps({"id": "a", "text": "same id again", "url": "https://e.org/a2"}),
        json.dumps({"id": "b", "text": "last good document", "url": "https://e.org/b"}),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    read, rows = read_all(path)
    assert [r["warc_record_id"] for r in rows] == ["a", "b"]
    assert [(r["warc_record_id"], r["reason"]) for r in read.quarantine_rows] == [
        ("s", q.INVALID_UNICODE),
        (None, q.INVALID_JSON),
        ("a", q.DUPLICATE_RECORD_ID),
    ]
    assert "nested too deeply" in read.quarantine_rows[1]["detail"]
    pa.Table.from_pylist(read.quarantine_rows)  # every quarantine row is valid UTF-8 for Arrow


def page_body(n: int) -> bytes:
    return f"<html><body><p>Page {n} says hello to the world.</p></body></html>".encode()


def test_a_record_whose_length_lies_is_blamed_and_the_record_it_swallowed_is_kept(tmp_path):
    good = [warc_record(page_body(i), uri=f"https://t.org/{i}") for i in range(4)]
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    liar = warc_record(page_body(9), uri="https://t.org/liar", content_length=len(head + page_body(9)) + 300)
    for name, data in (
        ("lie.warc", good[0] + liar + b"".join(good[1:])),
        ("lie.warc.gz", gzip_members(good[0], liar, *good[1:])),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        read, rows = read_all(path)
        assert [r["url"] for r in rows] == [f"https://t.org/{i}" for i in range(4)], name
        assert [(r["url"], r["reason"]) for r in read.quarantine_rows] == [
            ("https://t.org/liar", q.INVALID_RECORD_LENGTH)
        ]
        assert read.counts["pages_stored"] == 4


def test_a_record_with_100k_headers_is_a_header_problem_not_a_gzip_one(tmp_path):
    many = (
        b"WARC/1.0\r\nWARC-Type: response\r\n"
        + b"".join(b"X-H%d: v\r\n" % i for i in range(100_000))
        + b"Content-Length: 0\r\n\r\n\r\n\r\n"
    )
    path = tmp_path / "many.warc.gz"
    path.write_bytes(gzip_members(warc_record(page_body(0)), many, warc_record(page_body(1))))
    read, rows = read_all(path)
    assert len(rows) == 2
    assert [r["reason"] for r in read.quarantine_rows] == [q.INVALID_WARC_HEADER]


def test_html_capped_after_content_decoding_is_marked_truncated(tmp_path):
    from curation.ingest.reader import IngestOptions

    html = b"<html><body>" + b"<p>word</p>" * 20_000 + b"</body></html>"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
    path = tmp_path / "zipped.warc"
    path.write_bytes(warc_record(gzip.compress(html), http_head=head))
    read, batches = read_crawl_file(path, options=IngestOptions(html_cap_bytes=50_000))
    [row] = [r for b in batches for r in b.to_pylist()]
    assert len(row["html"]) == 50_000 and row["truncated"] is True


@pytest.mark.parametrize("label", ["windows-874", "iso-8859-8-i", "utf8mb4", "none", "x-unknown-label"])
def test_an_unknown_charset_label_decodes_by_detection_and_is_counted(label):
    from collections import Counter

    html = "<html><body><p>Grüße aus München, ein ganzer Satz mit Inhalt.</p></body></html>".encode("cp1252")
    pages = pa.table(
        {
            "page_id": ["p"],
            "crawl_file": ["f"],
            "url": ["https://e.org/"],
            "host": ["e.org"],
            "fetch_date": pa.array([None], pa.timestamp("us", tz="UTC")),
            "html": [html],
            "charset": [label],
            "text": pa.array([None], pa.string()),
        }
    )
    stats = Counter()
    docs = documents_from_pages(pages, stats=stats)
    assert docs.num_rows == 1
    assert stats["charset_fallbacks"] == (0 if label in ("windows-874", "iso-8859-8-i", "utf8mb4") else 1)


SKIPPED = ("non_html_skipped", "empty_text_skipped", "warcinfo", "request", "metadata", "other")


def accounted(read) -> None:
    c = read.counts
    assert len(read.quarantine_rows) == c["quarantined"]
    quarantined = c["quarantined"] - c["quarantined_unseen"]  # corrupt stretches no record header was read from
    assert c["pages_stored"] + quarantined + sum(c[k] for k in SKIPPED) == c["records_seen"], dict(c)


@pytest.fixture(scope="module")
def fuzz_seeds():
    warc = gzip.decompress(sample("small-crawl-a.warc.gz").read_bytes())[:200_000]
    jsonl = gzip.decompress(sample("cc-main-2019-30-extracted-697.jsonl.gz").read_bytes())[:200_000]
    return {
        "warc": warc,
        "warc.gz": gzip_members(*[warc[i : i + 20_000] for i in range(0, len(warc), 20_000)]),
        "jsonl": jsonl,
    }


def test_mutated_crawl_files_never_raise_and_account_for_every_record(tmp_path, fuzz_seeds):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from curation.ingest.reader import IngestOptions

    options = IngestOptions(html_cap_bytes=4096, max_record_bytes=1 << 20)

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(
        kind=st.sampled_from(sorted(fuzz_seeds)),
        edits=st.lists(
            st.tuples(
                st.floats(0, 1), st.sampled_from(["flip", "cut", "dup", "junk", "surrogate"]), st.integers(1, 400)
            ),
            min_size=1,
            max_size=6,
        ),
    )
    def check(kind, edits):
        data = bytearray(fuzz_seeds[kind])
        for where, how, size in edits:
            at = int(where * (len(data) - 1))
            if how == "flip":
                data[at] ^= 0xFF
            elif how == "cut":
                del data[at : at + size]
            elif how == "dup":
                data[at:at] = data[at : at + size]
            elif how == "junk":
                data[at:at] = os.urandom(size) if size % 2 else b"WARC/1.0\r\n" * (size // 10 + 1)
            else:
                data[at:at] = b'\\ud800"}\n{"text": "x\\udfff", "url": "u"}\n'
        path = tmp_path / f"fuzz.{kind}"
        path.write_bytes(bytes(data))
        try:
            read, batches = read_crawl_file(path, options=options)
        except ValueError:  # NotACrawlFileError: refused before reading, nothing written
            return
        stored = 0
        for batch in batches:
            stored += batch.num_rows
            assert all(len(h or b"") <= options.html_cap_bytes for h in batch.column("html").to_pylist())
        assert stored == read.counts["pages_stored"]
        accounted(read)
        pa.Table.from_pylist(read.quarantine_rows)

    check()


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_and_infinity_are_refused_when_a_filter_recipe_loads(tmp_path, value):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"filters:\n  gopher_repetition: {{dup_line_frac: {value}}}\n")
    with pytest.raises(RecipeError, match="filters.gopher_repetition.dup_line_frac: expected a finite number"):
        load_recipe(recipe)
    with pytest.raises(ValueError):
        double_literal(math.nan)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"domain_weights": {"mode": "explicit", "weights": {"Coding": math.inf}}}, "weights"),
        ({"selection": {"method": "threshold", "min": {"overall_score": math.nan}}}, "min"),
    ],
)
def test_nan_and_infinity_are_refused_when_a_mixture_recipe_loads(change, field):
    from curation.mixtures.recipe import MixtureRecipeError, parse_mixture_recipe

    stream = {"name": "web", "filter_recipe": "fineweb", **change}
    with pytest.raises(MixtureRecipeError, match=field):
        parse_mixture_recipe({"token_budget": 1000, "streams": [stream]}, "t", "t.yaml", {"fineweb"})
    with pytest.raises(MixtureRecipeError, match="chars_per_token"):
        parse_mixture_recipe(
            {"token_budget": 1000, "token_counting": {"chars_per_token": 1e-300}, "streams": [stream | {}]},
            "t",
            "t.yaml",
            {"fineweb"},
        )


def test_a_killed_dbt_parent_takes_its_dbt_child_with_it(tmp_path):
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time; "
            "child = subprocess.Popen([sys.executable, '-c', "
            "'from curation.statistics.guarded_dbt import die_with_parent; die_with_parent(); import time; "
            "time.sleep(120)']); "
            f"open({str(pid_file)!r}, 'w').write(str(child.pid)); time.sleep(120)",
        ],
        cwd=ROOT,
    )
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(pid_file.read_text())
    time.sleep(0.5)  # the child armed its parent-death signal
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the child outlived its killed parent")
