"""Main-text extraction quality and speed on sample-pages-990.warc.gz with trafilatura's eval snippets.

    .venv/bin/python bench/extraction_eval.py [WARC] [EVALDATA_JSON]

For each page, `with` snippets must be in the extracted text and `without` snippets must not. Reported: share
of `with` present, share of `without` absent, their mean, and documents per CPU-second. Pages are read with this
project's WARC reader and decoded as the documents asset decodes them. Writes bench/results/extraction.{json,md}.
"""

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation.documents.extract import ExtractionMode, decode_html, extract_text, extractor_name  # noqa: E402
from curation.ingest.reader import IngestOptions, read_crawl_file  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def resiliparse_plain(html: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=True)


def main() -> None:
    warc = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "crawl" / "sample-pages-990.warc.gz"
    evaldata = json.loads(
        Path(sys.argv[2] if len(sys.argv) > 2 else SHARED / "extraction" / "trafilatura-evaldata.json").read_text()
    )
    read, batches = read_crawl_file(warc, options=IngestOptions(html_cap_bytes=64 << 20))
    pages = [(r["url"], decode_html(r["html"], r["charset"])) for b in batches for r in b.to_pylist()]
    pages = [(url, html) for url, html in pages if url in evaldata]
    contenders = {
        "resiliparse main_content (no line pass)": resiliparse_plain,
        f"fast: {extractor_name(ExtractionMode.fast)}": lambda h: extract_text(h, ExtractionMode.fast),
        f"quality: {extractor_name(ExtractionMode.quality)}": lambda h: extract_text(h, ExtractionMode.quality),
    }
    results = {}
    for name, fn in contenders.items():
        start, texts = time.process_time(), {}
        for url, html in pages:
            texts[url] = fn(html) or ""
        seconds = time.process_time() - start
        kept = [s in texts[u] for u, _ in pages for s in evaldata[u].get("with", [])]
        dropped = [s not in texts[u] for u, _ in pages for s in evaldata[u].get("without", [])]
        with_share, without_share = sum(kept) / len(kept), sum(dropped) / len(dropped)
        results[name] = {
            "with_present": round(with_share, 3),
            "without_absent": round(without_share, 3),
            "mean": round((with_share + without_share) / 2, 3),
            "docs_per_cpu_second": round(len(pages) / seconds, 1),
            "empty_outputs": sum(1 for t in texts.values() if not t.strip()),
        }
        print(name, results[name], flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "extraction.json").write_text(json.dumps({"pages": len(pages), "results": results}, indent=2) + "\n")
    lines = [
        f"# Extraction on {warc.name}: {len(pages)} pages with eval snippets",
        "",
        "| extractor | `with` present | `without` absent | mean | docs/s per core | empty |",
        "|---|---|---|---|---|---|",
    ] + [
        f"| {n} | {r['with_present']} | {r['without_absent']} | {r['mean']} | {r['docs_per_cpu_second']} | "
        f"{r['empty_outputs']} |"
        for n, r in results.items()
    ]
    (out / "extraction.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
