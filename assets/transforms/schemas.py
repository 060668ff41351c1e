"""Arrow schemas of the ingestion tables: the contract between transforms, the lake and dbt."""

import pyarrow as pa

UTC_MICROS = pa.timestamp("us", tz="UTC")

RAW_PAGES = pa.schema(
    [
        ("page_id", pa.string()),  # 128-bit hex hash of (crawl_file, record id): stable across re-runs
        ("crawl_file", pa.string()),  # the crawl partition key
        ("record_offset", pa.int64()),  # where the record starts in the file (see README: Lake tables)
        ("warc_record_id", pa.string()),
        ("url", pa.string()),
        ("host", pa.string()),
        ("fetch_date", UTC_MICROS),
        ("http_status", pa.int16()),
        ("content_type", pa.string()),
        ("charset", pa.string()),
        ("payload_digest", pa.string()),
        ("payload_bytes", pa.int64()),  # size of the whole payload, before the cap
        ("html", pa.binary()),  # HTML payload, capped; NULL for extracted-text crawls
        ("text", pa.string()),  # already-extracted text (JSONL crawls); NULL for WARC
        ("truncated", pa.bool_()),  # payload cut by our cap or by the crawler (WARC-Truncated)
        ("source_format", pa.string()),  # 'warc' | 'jsonl'
    ]
)

QUARANTINE = pa.schema(
    [
        ("crawl_file", pa.string()),
        ("record_offset", pa.int64()),
        ("warc_record_id", pa.string()),
        ("url", pa.string()),
        ("reason", pa.string()),  # one of quarantine.REASONS
        ("detail", pa.string()),
    ]
)

CRAWL_FILES = pa.schema(
    [
        ("crawl_file", pa.string()),
        ("source_format", pa.string()),
        ("compression", pa.string()),
        ("file_bytes", pa.int64()),
        ("records_seen", pa.int64()),
        ("warcinfo_records", pa.int64()),
        ("request_records", pa.int64()),
        ("response_records", pa.int64()),
        ("metadata_records", pa.int64()),
        ("other_records", pa.int64()),
        ("pages_stored", pa.int64()),
        ("non_html_skipped", pa.int64()),
        ("empty_text_skipped", pa.int64()),
        ("quarantined", pa.int64()),
        ("truncated_pages", pa.int64()),
        ("dates_from_http_header", pa.int64()),
        ("parser", pa.string()),
        ("ingested_at", UTC_MICROS),
    ]
)

DOCUMENTS = pa.schema(
    [
        ("doc_id", pa.string()),  # one document per page today: the page_id
        ("page_id", pa.string()),
        ("crawl_file", pa.string()),
        ("url", pa.string()),
        ("host", pa.string()),
        ("fetch_date", UTC_MICROS),
        ("text", pa.string()),
        ("language", pa.string()),  # ISO 639 code from lid.176, 'unknown' for empty text
        ("language_score", pa.float32()),
        ("char_count", pa.int32()),
        ("word_count", pa.int32()),
        ("line_count", pa.int32()),
        ("extractor", pa.string()),  # name and version; 'source text' for already-extracted crawls
    ]
)
