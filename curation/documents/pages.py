"""raw_pages batch -> documents batch: main text (extracted, or passed through for JSONL crawls), language, counts.

A pure function over Arrow record batches, so a distributed engine (Ray Data `map_batches`) can run it as is.
"""

from collections import Counter

import pyarrow as pa

from curation.documents.extract import ExtractionMode, decode_html_counted, extract_text, extractor_name
from curation.documents.langid import identify
from curation.lake import tables

PASS_THROUGH = "source text"
PAGE_COLUMNS = ("page_id", "crawl_file", "url", "host", "fetch_date", "html", "charset", "text")


def documents_from_pages(
    pages: pa.RecordBatch | pa.Table, mode: ExtractionMode = ExtractionMode.quality, stats: Counter | None = None
) -> pa.Table:
    """One document per page that has text; pages whose extraction comes out empty are dropped. `stats` counts
    `charset_fallbacks` (declared charset unusable: detected instead) and `extraction_failures` (the extractor
    raised on a page: no document for it, the rest of the batch goes on)."""
    stats = stats if stats is not None else Counter()
    rows, texts = [], []
    for page in pages.select(list(PAGE_COLUMNS)).to_pylist():
        if page["text"] is not None:
            text, extractor = page["text"], PASS_THROUGH
        elif page["html"] is not None:
            html, fell_back = decode_html_counted(page["html"], page["charset"])
            stats["charset_fallbacks"] += fell_back
            try:
                text, extractor = extract_text(html, mode), extractor_name(mode)
            except Exception:  # a parser bug on one hostile page must not sink its partition
                stats["extraction_failures"] += 1
                continue
        else:
            continue
        text = text.strip()
        if not text:
            continue
        rows.append((page, extractor))
        texts.append(text)
    languages, scores = identify(texts)
    return pa.Table.from_pylist(
        [
            {
                "doc_id": page["page_id"],
                "page_id": page["page_id"],
                "crawl_file": page["crawl_file"],
                "url": page["url"],
                "host": page["host"],
                "fetch_date": page["fetch_date"],
                "text": text,
                "language": language,
                "language_score": score,
                "char_count": len(text),
                "word_count": len(text.split()),
                "line_count": text.count("\n") + 1,
                "extractor": extractor,
            }
            for (page, extractor), text, language, score in zip(rows, texts, languages, scores, strict=True)
        ],
        schema=tables.DOCUMENTS.schema,
    )


def documents_and_counts(pages: pa.RecordBatch | pa.Table, mode: ExtractionMode) -> tuple[pa.Table, Counter]:
    """`documents_from_pages` with its counts returned instead of accumulated: what a remote worker sends back."""
    stats = Counter()
    return documents_from_pages(pages, mode, stats), stats
