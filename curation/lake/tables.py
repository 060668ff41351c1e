"""The lake's table contract: every table's name, Arrow schema, key and partition column, and how the relations
made per recipe are named. Transforms, assets, checks, dbt sources (held to this by a test) and tests read it;
no stage learns a neighbour's table from the neighbour's module.

All tables live in the lake's default schema `main`; per-recipe relations live in one schema per kind.
"""

from dataclasses import dataclass

import pyarrow as pa

from curation.filters import FILTERS
from curation.filters.language_settings import THRESHOLDS
from curation.rating.criteria import CRITERIA

UTC_MICROS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Table:
    """A lake table (or, with `view=True`, a view) in schema `main`."""

    name: str
    schema: pa.Schema | None
    key: tuple[str, ...]
    partition: str | None = None  # the column a partition run replaces by (DELETE ... WHERE col = key; INSERT)
    view: bool = False

    @property
    def relation(self) -> str:
        """The name SQL uses, schema-qualified so that views bind under any alias a client attaches the lake."""
        return f"main.{self.name}"

    def __str__(self) -> str:
        return self.name


CRAWL_PARTITION = "crawl_file"  # the partition column of every per-crawl-file table

RAW_PAGES = Table(
    "raw_pages",
    pa.schema(
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
    ),
    key=("page_id",),
    partition=CRAWL_PARTITION,
)

QUARANTINE = Table(
    "quarantine",
    pa.schema(
        [
            ("crawl_file", pa.string()),
            ("record_offset", pa.int64()),
            ("warc_record_id", pa.string()),
            ("url", pa.string()),
            ("reason", pa.string()),  # one of curation.ingest.quarantine.REASONS
            ("detail", pa.string()),
        ]
    ),
    key=("crawl_file", "record_offset", "reason"),
    partition=CRAWL_PARTITION,
)

CRAWL_FILES = Table(
    "crawl_files",
    pa.schema(
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
    ),
    key=("crawl_file",),
    partition=CRAWL_PARTITION,
)

DOCUMENTS = Table(
    "documents",
    pa.schema(
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
    ),
    key=("doc_id",),
    partition=CRAWL_PARTITION,
)

QUALITY_SIGNALS = Table(
    "quality_signals",
    pa.schema(
        [
            ("doc_id", pa.string()),
            ("crawl_file", pa.string()),
            ("language", pa.string()),
            ("language_score", pa.float32()),
            ("language_key", pa.string()),  # FineWeb-2's key of the language and script (deu_Latn; `default`)
            # every registered filter's measurements, `<filter>__<measure>`, then its default verdict
            *[(f"{f.name}__{m}", pa.float64()) for f in FILTERS for m in f.measures],
            *[(f"{f.name}_reason", pa.string()) for f in FILTERS],
            ("fineweb_reason", pa.string()),  # first rejection in FineWeb's order; NULL: kept
        ]
    ),
    key=("doc_id",),
    partition=CRAWL_PARTITION,
)

DOCUMENT_LINES = Table(
    "document_lines",
    pa.schema(  # per line of the text (text.split("\n")): what span-level dedup needs, without the text
        [
            ("doc_id", pa.string()),
            ("crawl_file", pa.string()),
            ("host", pa.string()),
            ("text_hash", pa.int64()),  # xxh3-64 of the whole text: what a stored token count was counted on
            ("line_hashes", pa.list_(pa.int64())),  # xxh3-64 of the normalised line; NULL for a blank line
            ("line_chars", pa.list_(pa.int32())),
            ("line_words", pa.list_(pa.int32())),
        ]
    ),
    key=("doc_id",),
    partition=CRAWL_PARTITION,
)
DOCUMENT_OUTPUT_FIXES = Table(
    "document_output_fixes",
    pa.schema(  # what the output fixes (curation/output: ftfy, PII, table lines) change in the whole lake text
        [
            ("doc_id", pa.string()),
            ("crawl_file", pa.string()),
            ("mojibake_fixed", pa.bool_()),  # ftfy changed the text
            ("emails", pa.int32()),  # e-mail addresses replaced by placeholders
            ("ipv4", pa.int32()),  # public IPv4 addresses replaced
            ("ipv6", pa.int32()),  # public IPv6 addresses replaced
            ("table_lines", pa.int32()),  # lines of `|` only, collapsed
            ("chars_before", pa.int64()),
            ("chars_after", pa.int64()),
            ("text_md5", pa.string()),  # md5 (hex) of the UTF-8 lake text these columns describe
            ("fixes_version", pa.string()),  # curation.output.fixes.version() that made them
            ("fixed_text", pa.string()),  # the text as it leaves the lake; NULL where the fixes change nothing
        ]
    ),
    key=("doc_id",),
    partition=CRAWL_PARTITION,
)
CONTAMINATION = Table(
    "contamination",
    pa.schema(  # one row per document and evaluation set sharing a word n-gram (curation/decontamination)
        [
            ("doc_id", pa.string()),
            ("crawl_file", pa.string()),
            ("benchmark", pa.string()),  # its name in benchmarks/benchmarks.yaml
            ("benchmark_version", pa.string()),  # file sha256, n-gram size, fields, normalisation
            ("matched_ngrams", pa.int32()),  # distinct n-grams of the document found in the set
            ("longest_span_words", pa.int32()),  # longest run of consecutive matching n-grams, in words
            ("first_item", pa.int32()),  # the set's item (1-based line of its file) first matched
            ("first_position", pa.int32()),  # where in the document (normalised words, 0-based)
        ]
    ),
    key=("doc_id", "benchmark"),
    partition=CRAWL_PARTITION,
)
CONTAMINATION_SCANS = Table(
    "contamination_scans",
    pa.schema(  # which partitions were scanned against which version of each set (what "not contaminated" means)
        [
            ("crawl_file", pa.string()),
            ("benchmark", pa.string()),
            ("benchmark_version", pa.string()),
            ("n_grams", pa.int32()),
            ("documents", pa.int64()),
            ("contaminated_documents", pa.int64()),
            ("scanned_at", UTC_MICROS),
        ]
    ),
    key=("crawl_file", "benchmark"),
    partition=CRAWL_PARTITION,
)
BOILERPLATE_LINES = Table(
    "boilerplate_lines",
    pa.schema(  # rewritten whole from every partition's document_lines
        [
            ("scope", pa.string()),  # host | corpus
            ("host", pa.string()),  # '*' for the corpus scope
            ("line_hash", pa.int64()),
            ("documents", pa.int64()),  # distinct duplicate clusters (near-duplicates count once) with the line
            ("min_documents", pa.int64()),  # the threshold it passed
            ("example_doc_id", pa.string()),
            ("example", pa.string()),  # the line as one of those documents has it (at most 200 characters)
        ]
    ),
    key=("scope", "host", "line_hash"),
)
DOCUMENT_BOILERPLATE = Table(
    "document_boilerplate",
    pa.schema(  # one row per document with at least one boilerplate line, rewritten with boilerplate_lines
        [
            ("doc_id", pa.string()),
            ("crawl_file", pa.string()),
            ("host", pa.string()),
            ("lines", pa.int32()),  # non-blank lines of the text
            ("boilerplate_lines", pa.int32()),
            ("host_boilerplate_lines", pa.int32()),  # of those, repeated within the host
            ("corpus_boilerplate_lines", pa.int32()),  # repeated across the corpus (a line may be both)
            ("boilerplate_chars", pa.int32()),  # characters the dropped lines take, their line breaks included
            ("boilerplate_words", pa.int32()),
            ("line_numbers", pa.list_(pa.int32())),  # 1-based positions in text.split("\n") left out downstream
        ]
    ),
    key=("doc_id",),
)

FILTER_LANGUAGE_SETTINGS = Table(  # per recipe and FineWeb-2 language key: the thresholds its rules read
    "filter_language_settings",
    pa.schema([("recipe", pa.string()), ("key", pa.string()), *[(name, pa.float64()) for name in THRESHOLDS]]),
    key=("recipe", "key"),
    partition="recipe",
)
URL_FILTER_LISTS = Table(
    "url_filter_lists",
    pa.schema([("recipe", pa.string()), ("list", pa.string()), ("entry", pa.string())]),
    key=("recipe", "list", "entry"),
    partition="recipe",
)

_SIGNATURES = pa.schema(
    [
        ("doc_id", pa.string()),
        ("crawl_file", pa.string()),
        ("fetch_date", UTC_MICROS),
        ("exact_hash", pa.string()),  # xxh3-128 of the normalised words (their 64-bit hashes in order)
        ("shingles", pa.int32()),
        ("signature", pa.list_(pa.uint32())),
        ("shingle_set", pa.list_(pa.uint32())),  # distinct 5-gram hashes (top 32 bits), sorted: exact Jaccard
    ]
)
_BAND_KEYS = pa.schema(
    [("doc_id", pa.string()), ("crawl_file", pa.string()), ("band", pa.int8()), ("band_key", pa.int64())]
)
FINGERPRINT_SCHEMAS = {"signatures": _SIGNATURES, "band_keys": _BAND_KEYS}  # what one batch's fingerprint returns

DEDUP_SIGNATURES = Table(
    "dedup_signatures",
    _SIGNATURES.append(pa.field("minhash_config", pa.string())),
    key=("doc_id", "minhash_config"),
    partition=CRAWL_PARTITION,
)
DEDUP_BAND_KEYS = Table(
    "dedup_band_keys",
    _BAND_KEYS.append(pa.field("minhash_config", pa.string())),
    key=("doc_id", "minhash_config", "band"),
    partition=CRAWL_PARTITION,
)
DEDUP_PAIRS = Table(
    "dedup_pairs",
    pa.schema(
        [
            ("crawl_file", pa.string()),  # the partition whose run found the link
            ("doc_a", pa.string()),
            ("doc_b", pa.string()),
            ("kind", pa.string()),  # exact | fuzzy
            ("similarity", pa.float64()),  # exact Jaccard of the shingle sets (1.0 for exact)
        ]
    ),
    key=("doc_a", "doc_b"),
    partition=CRAWL_PARTITION,
)
DEDUP_CLUSTERS = Table(
    "dedup_clusters",
    pa.schema(  # one row per fingerprinted document, rewritten whole from all partitions' links
        [
            ("doc_id", pa.string()),
            ("crawl_file", pa.string()),
            ("cluster_id", pa.string()),  # the representative's doc_id
            ("cluster_size", pa.int32()),
            ("is_representative", pa.bool_()),
            ("match_kind", pa.string()),  # unique | exact | fuzzy
        ]
    ),
    key=("doc_id",),
)

ANNOTATIONS = Table(
    "annotations",
    pa.schema(
        [
            ("doc_id", pa.string()),
            ("source", pa.string()),
            ("url", pa.string()),
            ("text", pa.string()),
            ("full_chars", pa.int64()),
            *[(c, pa.int8()) for c in CRITERIA],
            ("domain", pa.string()),
            ("language", pa.string()),
            ("annotation_file", pa.string()),
        ]
    ),
    key=("doc_id",),
)
MODEL_VERSIONS = Table(
    "model_versions",
    pa.schema(
        [
            ("kind", pa.string()),
            ("version", pa.string()),
            ("path", pa.string()),
            ("trained_at", UTC_MICROS),
            ("annotations", pa.int32()),
            ("metrics", pa.string()),
        ]
    ),
    key=("kind", "version"),
)
RATING_INPUT = Table("rating_input", None, key=("doc_id",), view=True)
QUALITY_RATINGS = Table(
    "quality_ratings",
    pa.schema(
        [
            ("doc_id", pa.string()),
            *[(c, pa.int8()) for c in CRITERIA],
            ("overall_score_expected", pa.float32()),  # the rater's continuous overall score, for ranking
            ("domain", pa.string()),
            ("domain_probability", pa.float32()),
            ("fasttext_quality", pa.float32()),  # DCLM-style classifier: P(high quality)
            ("rater_version", pa.string()),
            ("classifier_version", pa.string()),
        ]
    ),
    key=("doc_id",),
)

MANIFEST_SCHEMA = pa.schema(  # lake.mixture_manifests.<recipe>
    [
        ("doc_id", pa.string()),
        ("phase", pa.string()),
        ("stream", pa.string()),
        ("repeats", pa.int32()),  # copies of the document in this phase and stream
        ("tokens", pa.int64()),  # tokens of one copy
        ("domain", pa.string()),
        ("language", pa.string()),
        ("source", pa.string()),  # the crawl file it came from
        ("cluster_size", pa.int64()),
        ("base_weight", pa.int32()),  # 1, or its rehydration weight
    ]
)
CELL_SCHEMA = pa.schema(  # one target cell of a manifest, as computed
    [
        ("phase", pa.string()),
        ("stream", pa.string()),
        ("source", pa.string()),  # '*' unless the stream splits its budget by source
        ("domain", pa.string()),
        ("target_tokens", pa.float64()),
        ("achieved_tokens", pa.int64()),
        ("documents", pa.int64()),
        ("copies", pa.int64()),
        ("candidates", pa.int64()),
        ("capacity_tokens", pa.int64()),  # every candidate at the cap
        ("shortfall_tokens", pa.float64()),  # > 0 only where capacity is below the target
    ]
)
DOCUMENT_TOKENS = Table(
    "document_tokens",
    pa.schema(  # filled for the documents a recipe that counts with a tokenizer can select, only where missing
        [
            ("doc_id", pa.string()),
            ("crawl_file", pa.string()),
            ("tokenizer", pa.string()),  # name@sha256[:12] of the tokenizer file
            ("boilerplate_lines", pa.string()),  # drop | keep: which text was counted (the recipe's setting)
            ("text_key", pa.string()),  # md5 of the text's hash and the lines left out: changes when either does
            ("tokens", pa.int64()),  # without special tokens
        ]
    ),
    key=("doc_id", "tokenizer", "boilerplate_lines"),
)
MIXTURE_CELLS = Table(
    "mixture_cells",
    pa.schema([("recipe", pa.string()), *CELL_SCHEMA]),
    key=("recipe", "phase", "stream", "source", "domain"),
    partition="recipe",
)
MIXTURE_SUMMARIES = Table(
    "mixture_summaries",
    pa.schema(
        [
            ("recipe", pa.string()),
            ("recipe_sha256", pa.string()),
            ("lake_snapshot_id", pa.int64()),
            ("code_version", pa.string()),
            ("summary", pa.string()),  # JSON: recipe, input snapshots, targets vs achieved, shortfalls
        ]
    ),
    key=("recipe",),
    partition="recipe",
)

TABLES: tuple[Table, ...] = (
    RAW_PAGES,
    QUARANTINE,
    CRAWL_FILES,
    DOCUMENTS,
    QUALITY_SIGNALS,
    DOCUMENT_LINES,
    DOCUMENT_OUTPUT_FIXES,
    CONTAMINATION,
    CONTAMINATION_SCANS,
    URL_FILTER_LISTS,
    FILTER_LANGUAGE_SETTINGS,
    DEDUP_SIGNATURES,
    DEDUP_BAND_KEYS,
    DEDUP_PAIRS,
    DEDUP_CLUSTERS,
    BOILERPLATE_LINES,
    DOCUMENT_BOILERPLATE,
    ANNOTATIONS,
    MODEL_VERSIONS,
    RATING_INPUT,
    QUALITY_RATINGS,
    DOCUMENT_TOKENS,
    MIXTURE_CELLS,
    MIXTURE_SUMMARIES,
)
BY_NAME = {t.name: t for t in TABLES}

# Relations made per recipe, one schema per kind: lake.<schema>.<recipe name>
FILTERED_SCHEMA = "filtered_documents"  # a filter recipe's kept documents (a view)
DEDUPLICATED_SCHEMA = "deduplicated_documents"  # its documents, one per duplicate cluster (a view)
MANIFESTS_SCHEMA = "mixture_manifests"  # a mixture recipe's manifest (a table)
STATISTICS_SCHEMA = "stats"  # the dbt models


def filtered_view(recipe: str) -> str:
    return f"{FILTERED_SCHEMA}.{recipe}"


def verdicts_view(recipe: str) -> str:
    """One row per measured document: each filter's reason, the first rejection, kept."""
    return f"{FILTERED_SCHEMA}.{recipe}__verdicts"


def deduplicated_view(recipe: str) -> str:
    return f"{DEDUPLICATED_SCHEMA}.{recipe}"


def manifest_table(recipe: str) -> str:
    return f"{MANIFESTS_SCHEMA}.{recipe}"


def dbt_sources() -> tuple[Table, ...]:
    """The tables dbt reads through `source('lake', ...)` (dbt_project/models/staging/__sources.yml); the
    statistics asset creates any that is missing, empty with its schema, so a lake short of a stage still builds."""
    return (
        RAW_PAGES,
        QUARANTINE,
        CRAWL_FILES,
        DOCUMENTS,
        DEDUP_CLUSTERS,
        BOILERPLATE_LINES,
        DOCUMENT_BOILERPLATE,
        DOCUMENT_OUTPUT_FIXES,
        CONTAMINATION,
        CONTAMINATION_SCANS,
        QUALITY_RATINGS,
        MIXTURE_CELLS,
        MIXTURE_SUMMARIES,
    )
