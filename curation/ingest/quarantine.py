"""Stable reasons a record is quarantined instead of stored; each doubles as a stat key and a test assertion."""

TRUNCATED_RECORD = "truncated_record"  # the file ends before the record's Content-Length
INVALID_GZIP = "invalid_gzip"  # a gzip member does not decompress; reading resumes at the next member
INVALID_WARC_HEADER = "invalid_warc_header"  # no parsable WARC header where a record must start
RECORD_TOO_LARGE = "record_too_large"  # over the configured bound on one record's decompressed size
MISSING_RECORD_ID = "missing_record_id"
MISSING_TARGET_URI = "missing_target_uri"
INVALID_DATE = "invalid_date"  # neither WARC-Date nor the HTTP Date header parses
INVALID_HTTP_RESPONSE = "invalid_http_response"  # response block without a parsable HTTP status line
UNSUPPORTED_CONTENT_ENCODING = "unsupported_content_encoding"  # e.g. brotli or zstd HTTP bodies
INVALID_JSON = "invalid_json"
MISSING_TEXT = "missing_text"
MISSING_URL = "missing_url"
DUPLICATE_RECORD_ID = "duplicate_record_id"  # a later record reuses an earlier record's id (page_id is a key)
INVALID_UNICODE = "invalid_unicode"  # a JSON string with a lone surrogate (\ud800): not encodable as UTF-8
INVALID_RECORD_LENGTH = "invalid_record_length"  # Content-Length runs past the record's end into the next one

REASONS = (
    TRUNCATED_RECORD,
    INVALID_GZIP,
    INVALID_WARC_HEADER,
    RECORD_TOO_LARGE,
    MISSING_RECORD_ID,
    MISSING_TARGET_URI,
    INVALID_DATE,
    INVALID_HTTP_RESPONSE,
    UNSUPPORTED_CONTENT_ENCODING,
    INVALID_JSON,
    MISSING_TEXT,
    MISSING_URL,
    DUPLICATE_RECORD_ID,
    INVALID_UNICODE,
    INVALID_RECORD_LENGTH,
)
