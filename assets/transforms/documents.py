"""raw_pages batch -> documents batch: main text (extracted, or passed through for JSONL crawls), language, counts.

A pure function over Arrow record batches, so a distributed engine (Ray Data `map_batches`) can run it as is.
"""

import pyarrow as pa

from assets.transforms import schemas
from assets.transforms.extract import ExtractionMode, decode_html, extract_text, extractor_name
from assets.transforms.langid import identify

PASS_THROUGH = "source text"
PAGE_COLUMNS = ("page_id", "crawl_file", "url", "host", "fetch_date", "html", "charset", "text")


def documents_from_pages(pages: pa.RecordBatch | pa.Table, mode: ExtractionMode = ExtractionMode.quality) -> pa.Table:
    """One document per page that has text; pages whose extraction comes out empty are dropped."""
    rows, texts = [], []
    for page in pages.select(list(PAGE_COLUMNS)).to_pylist():
        if page["text"] is not None:
            text, extractor = page["text"], PASS_THROUGH
        elif page["html"] is not None:
            text, extractor = extract_text(decode_html(page["html"], page["charset"]), mode), extractor_name(mode)
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
        schema=schemas.DOCUMENTS,
    )
