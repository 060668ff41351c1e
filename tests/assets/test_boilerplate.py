"""Repeated boilerplate lines as assets: a banner becomes a host's template line only once enough distinct pages
share it (copies of one page count once); thresholds are run configuration; re-running gives the same tables.
The real crawl pages' banners and navigation lines are tested on the demo lake
(tests/e2e/test_boilerplate_on_the_demo.py)."""

import json

import dagster as dg
from support.lake import materialize_partition, rows
from support.samples import documents as sample_texts

from assets.dedup.assets import dedup_clusters, dedup_fingerprints
from assets.dedup.boilerplate import CHECK_EXAMPLES, boilerplate
from assets.documents.assets import documents
from assets.ingestion.assets import ingest_crawl_file
from assets.signals.lines import document_lines
from curation.dedup.lines import normalized_line, without_lines
from curation.lake.client import Lake

PER_PARTITION = [ingest_crawl_file, documents, document_lines, dedup_fingerprints]
CORPUS = [dedup_clusters, boilerplate]


def run_corpus(instance, resources, **config):
    run_config = {"ops": {"boilerplate": {"config": config}}} if config else None
    result = dg.materialize(CORPUS, instance=instance, resources=resources, run_config=run_config)
    assert all(check.passed for check in result.get_asset_check_evaluations())
    return result


def found(lake) -> dict[tuple[str, str], tuple[str, int]]:
    return {
        (scope, normalized_line(example)): (host, documents)
        for scope, host, example, documents in rows(
            lake, "SELECT scope, host, example, documents FROM boilerplate_lines ORDER BY ALL"
        )
    }


def write_jsonl(path, pages: dict[str, str]) -> None:
    with open(path, "w") as handle:
        for page_id, text in pages.items():
            handle.write(json.dumps({"id": page_id, "url": f"https://shop.example/{page_id}", "text": text}) + "\n")


def test_near_duplicate_copies_of_a_page_do_not_make_its_lines_a_template(instance, resources, landing_dir, lake):
    banner = "We use cookies to improve your experience. Accept all or manage your preferences."
    articles = [text for text in sample_texts() if len(text) > 2000][:3]  # three unrelated real pages
    pages = {f"p{i}": f"{banner}\n{article}" for i, article in enumerate(articles)}
    pages["p0-copy"] = pages["p0"]  # the same page crawled twice: one duplicate cluster
    write_jsonl(landing_dir / "a.jsonl", pages)
    assert materialize_partition(PER_PARTITION, instance, resources, "a.jsonl").success
    # four pages share the banner, but only three distinct ones: a host template at 3, not at 4
    run_corpus(instance, resources, host_min_documents=4)
    assert rows(lake, "SELECT count(*) FROM boilerplate_lines")[0][0] == 0
    assert rows(lake, "SELECT count(*) FROM document_boilerplate")[0][0] == 0
    result = run_corpus(instance, resources)
    assert CHECK_EXAMPLES in {c.check_name for c in result.get_asset_check_evaluations()}
    assert found(lake) == {("host", normalized_line(banner)): ("shop.example", 3)}
    assert rows(lake, "SELECT doc_id, line_numbers, boilerplate_chars FROM document_boilerplate ORDER BY 1") == [
        (doc_id, [1], len(banner) + 1) for doc_id in page_ids(lake, ["p0", "p0-copy", "p1", "p2"])
    ]
    [(text,)] = rows(lake, "SELECT text FROM documents WHERE url LIKE '%/p2'")
    assert text.startswith(banner) and without_lines(text, [1]) == articles[2]  # the lake keeps the banner

    # re-running gives the same tables
    before = [rows(lake, f"SELECT * FROM {t} ORDER BY ALL") for t in ("boilerplate_lines", "document_boilerplate")]
    run_corpus(instance, resources)
    assert [rows(lake, f"SELECT * FROM {t} ORDER BY ALL") for t in ("boilerplate_lines", "document_boilerplate")] == (
        before
    )


def page_ids(lake: Lake, pages: list[str]) -> list[str]:
    by_page = dict(rows(lake, "SELECT split_part(url, '/', -1), doc_id FROM documents"))
    return sorted(by_page[p] for p in pages)
