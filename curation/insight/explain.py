"""`curator explain DOC_ID|URL`: everything the lake knows about one document, stage by stage, read from the
tables and views themselves (never recomputed), at the current snapshot or any older one.

The answer is a dict (JSON as is) and Markdown (`to_markdown`): the page (crawl file, offset, fetch date) or the
quarantined record, the document (extractor, language), every filter's measurements, its verdict under every
filter recipe with the first rejecting rule, the duplicate cluster, ratings and domain, contamination, the
mixture manifests and phases holding it with their copies, and the shard files that hold those copies.
"""

import json
import math
from datetime import datetime
from pathlib import Path

import duckdb

from curation.filters import FILTERS
from curation.lake import tables
from curation.lake.client import Lake
from curation.mixtures.shards import INDEX

MAX_MEMBERS = 20  # cluster members listed (the size says how many there are)


class ExplainError(LookupError):
    pass


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _relations(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """Tables and views of one lake schema (per-recipe relations), by name."""
    return [
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ? "
            "UNION SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND schema_name = ? "
            "ORDER BY 1",
            [schema, schema],
        ).fetchall()
    ]


def _present(con: duckdb.DuckDBPyConnection) -> set[str]:
    return set(_relations(con, "main"))


def _pages(con, present: set[str], key: str) -> tuple[list[dict], list[dict]]:
    pages, quarantined = [], []
    if tables.RAW_PAGES.name in present:
        pages = _records(
            con,
            "SELECT page_id, crawl_file, record_offset, warc_record_id, url, fetch_date, http_status, content_type, "
            f"payload_bytes, truncated, source_format FROM {tables.RAW_PAGES.relation} "
            "WHERE page_id = ? OR url = ? ORDER BY fetch_date, crawl_file, record_offset",
            [key, key],
        )
    if tables.QUARANTINE.name in present:
        quarantined = _records(
            con,
            f"SELECT crawl_file, record_offset, warc_record_id, url, reason, detail FROM {tables.QUARANTINE.relation} "
            "WHERE url = ? OR warc_record_id = ? ORDER BY crawl_file, record_offset",
            [key, key],
        )
    return pages, quarantined


def _measurements(con, present: set[str], doc_id: str) -> dict:
    if tables.QUALITY_SIGNALS.name not in present:
        return {}
    rows = _records(con, f"SELECT * FROM {tables.QUALITY_SIGNALS.relation} WHERE doc_id = ?", [doc_id])
    if not rows:
        return {}
    row = rows[0]
    return {
        f.name: {m: _number(row.get(f"{f.name}__{m}")) for m in f.measures}
        for f in FILTERS
        if f"{f.name}_reason" in row
    }


def _number(value):
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    return value


def _verdicts(con, doc_id: str) -> dict:
    """Per filter recipe: kept, the first rejection (`filter:reason`), and every filter's own reason."""
    out = {}
    for view in _relations(con, tables.FILTERED_SCHEMA):
        if not view.endswith("__verdicts"):
            continue
        recipe = view.removesuffix("__verdicts")
        rows = _records(con, f'SELECT * FROM {tables.FILTERED_SCHEMA}."{view}" WHERE doc_id = ?', [doc_id])
        if not rows:
            continue
        row = rows[0]
        reasons = {k.removesuffix("_reason"): v for k, v in row.items() if k.endswith("_reason")}
        out[recipe] = {"kept": row["kept"], "first_rejection": row["reason"], "filters": reasons}
    return out


def _cluster(con, present: set[str], doc_id: str) -> dict | None:
    if tables.DEDUP_CLUSTERS.name not in present:
        return None
    rows = _records(con, f"SELECT * FROM {tables.DEDUP_CLUSTERS.relation} WHERE doc_id = ?", [doc_id])
    if not rows:
        return None
    row = rows[0]
    pairs = tables.DEDUP_PAIRS.relation if tables.DEDUP_PAIRS.name in present else None
    similarity = (
        f"""(SELECT max(p.similarity) FROM {pairs} AS p
             WHERE (p.doc_a = c.doc_id AND p.doc_b IN (?, c.cluster_id))
                OR (p.doc_b = c.doc_id AND p.doc_a IN (?, c.cluster_id)))"""
        if pairs
        else "NULL"
    )
    members = _records(
        con,
        f"""SELECT c.doc_id, c.is_representative, c.match_kind, {similarity} AS similarity
            FROM {tables.DEDUP_CLUSTERS.relation} AS c
            WHERE c.cluster_id = ? AND c.doc_id <> ?
            ORDER BY c.is_representative DESC, similarity DESC NULLS LAST, c.doc_id LIMIT {MAX_MEMBERS}""",
        ([doc_id, doc_id] if pairs else []) + [row["cluster_id"], doc_id],
    )
    return {
        "cluster_id": row["cluster_id"],
        "size": row["cluster_size"],
        "is_representative": row["is_representative"],
        "match_kind": row["match_kind"],
        "kept_by_dedup": row["is_representative"],
        "representative": row["cluster_id"],
        "members": [{**m, "similarity": _number(m["similarity"])} for m in members],
    }


def _one(con, present: set[str], table: tables.Table, doc_id: str, drop: tuple[str, ...] = ()) -> dict | None:
    if table.name not in present:
        return None
    rows = _records(con, f"SELECT * FROM {table.relation} WHERE doc_id = ?", [doc_id])
    if not rows:
        return None
    return {k: _number(v) for k, v in rows[0].items() if k not in ("doc_id", "crawl_file", *drop)}


def _many(con, present: set[str], table: tables.Table, doc_id: str) -> list[dict]:
    if table.name not in present:
        return []
    rows = _records(con, f"SELECT * FROM {table.relation} WHERE doc_id = ? ORDER BY ALL", [doc_id])
    return [{k: v for k, v in r.items() if k not in ("doc_id", "crawl_file")} for r in rows]


def _manifests(con, doc_id: str) -> list[dict]:
    out = []
    for recipe in _relations(con, tables.MANIFESTS_SCHEMA):
        rows = _records(
            con,
            f'SELECT phase, stream, repeats, tokens, domain FROM {tables.MANIFESTS_SCHEMA}."{recipe}" '
            "WHERE doc_id = ? ORDER BY phase, stream",
            [doc_id],
        )
        out += [{"recipe": recipe, **r} for r in rows]
    return out


def _inside(root: Path, name: str) -> Path | None:
    """A file an index names, only if it lies inside the shard folder (an index is data, not a path to trust)."""
    path = (root / name).resolve()
    return path if path.is_relative_to(root.resolve()) and path.is_file() else None


def _shards(con, shards_root: Path | None, doc_id: str, recipes: set[str]) -> list[dict]:
    """The shard files holding copies of the document, from each recipe's index.json (current files, whatever
    snapshot the rest of the answer reads)."""
    found = []
    for recipe in sorted(recipes):
        folder = shards_root / recipe if shards_root else None
        if folder is None or not (folder / INDEX).is_file():
            continue
        try:
            index = json.loads((folder / INDEX).read_text())
        except (OSError, ValueError):
            found.append({"recipe": recipe, "error": f"{folder / INDEX} is not a readable index"})
            continue
        for phase in index.get("phases", []):
            for shard in phase.get("shards", []):
                name = shard.get("rows_file") or shard.get("file", "")
                path = _inside(folder, name)
                if path is None:
                    continue
                reader = "read_json" if name.endswith((".jsonl.gz", ".jsonl")) else "read_parquet"
                copies = con.execute(
                    f"SELECT count(*) FROM {reader}(?) WHERE doc_id = ?", [str(path), doc_id]
                ).fetchone()[0]
                if copies:
                    found.append(
                        {
                            "recipe": recipe,
                            "phase": phase.get("phase"),
                            "file": str(folder / shard.get("file", name)),
                            "copies": copies,
                            "lake_snapshot_id": index.get("lake_snapshot_id"),
                        }
                    )
    return found


def _document(con, present: set[str], doc: dict, shards_root: Path | None) -> dict:
    doc_id = doc["doc_id"]
    manifests = _manifests(con, doc_id)
    return {
        "doc_id": doc_id,
        "crawl_file": doc["crawl_file"],
        "url": doc["url"],
        "extractor": doc["extractor"],
        "language": doc["language"],
        "language_score": _number(doc["language_score"]),
        "chars": doc["char_count"],
        "words": doc["word_count"],
        "lines": doc["line_count"],
        "measurements": _measurements(con, present, doc_id),
        "filter_recipes": _verdicts(con, doc_id),
        "dedup": _cluster(con, present, doc_id),
        "boilerplate": _one(con, present, tables.DOCUMENT_BOILERPLATE, doc_id, ("host", "line_numbers")),
        "output_fixes": _one(con, present, tables.DOCUMENT_OUTPUT_FIXES, doc_id),
        "contamination": _many(con, present, tables.CONTAMINATION, doc_id),
        "rating": _one(con, present, tables.QUALITY_RATINGS, doc_id),
        "manifests": manifests,
        "shards": _shards(con, shards_root, doc_id, {m["recipe"] for m in manifests}),
    }


def explain(lake: Lake, key: str, snapshot: int | None = None, shards_root: Path | None = None) -> dict:
    """Everything the lake holds about the page, document or quarantined record with id or URL `key`."""
    key = key.strip()
    if not key:
        raise ExplainError("give a document id, a page id, a WARC record id or a URL")
    with lake.connect(read_only=True, snapshot=snapshot) as con:
        present = _present(con)
        snapshot_id = lake.snapshot_id(con)
        pages, quarantined = _pages(con, present, key)
        docs = []
        if tables.DOCUMENTS.name in present:
            docs = _records(
                con,
                f"SELECT * EXCLUDE (text) FROM {tables.DOCUMENTS.relation} WHERE doc_id = ? OR page_id = ? OR url = ? "
                "ORDER BY fetch_date, doc_id",
                [key, key, key],
            )
        if not (pages or quarantined or docs):
            raise ExplainError(
                f"nothing in the lake (snapshot {snapshot_id}) has the id or URL {key!r}: not a page, document, "
                "WARC record id or quarantined record's URL"
            )
        by_page = {d["page_id"]: d for d in docs}
        return {
            "query": key,
            "lake_snapshot_id": snapshot_id,
            "pages": [{**p, "has_document": p["page_id"] in by_page} for p in pages],
            "quarantine": quarantined,
            "documents": [_document(con, present, d, shards_root) for d in docs],
        }


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]


def to_markdown(answer: dict) -> str:
    out = [f"# {answer['query']}", "", f"Lake snapshot {answer['lake_snapshot_id']}.", ""]
    if len(answer["pages"]) > 1:
        out += [f"{len(answer['pages'])} pages have this URL:", ""]
    if answer["pages"]:
        out += ["## Pages", ""]
        out += _table(
            ["page_id", "crawl file", "offset", "fetched", "HTTP", "bytes", "truncated", "document"],
            [
                [
                    p["page_id"],
                    p["crawl_file"],
                    p["record_offset"],
                    p["fetch_date"],
                    p["http_status"],
                    p["payload_bytes"],
                    p["truncated"],
                    "yes" if p["has_document"] else "no (no text)",
                ]
                for p in answer["pages"]
            ],
        ) + [""]
    if answer["quarantine"]:
        out += ["## Quarantined records", ""]
        out += _table(
            ["crawl file", "offset", "record id", "reason", "detail"],
            [
                [q["crawl_file"], q["record_offset"], q["warc_record_id"], q["reason"], q["detail"]]
                for q in answer["quarantine"]
            ],
        ) + [""]
    for doc in answer["documents"]:
        out += _document_markdown(doc)
    return "\n".join(out).rstrip() + "\n"


def _document_markdown(doc: dict) -> list[str]:
    out = [f"## Document {doc['doc_id']}", ""]
    out += [
        f"- crawl file {doc['crawl_file']}, URL {doc['url']}",
        f"- extractor {doc['extractor']}; language {doc['language']} (score {_fmt(doc['language_score'])}); "
        f"{doc['chars']} characters, {doc['words']} words, {doc['lines']} lines",
        "",
    ]
    if doc["filter_recipes"]:
        out += ["### Filter recipes", ""]
        out += _table(
            ["recipe", "kept", "first rejection", "every filter that rejects"],
            [
                [
                    recipe,
                    "kept" if v["kept"] else "dropped",
                    v["first_rejection"],
                    ", ".join(f"{f}:{r}" for f, r in v["filters"].items() if r) or "none",
                ]
                for recipe, v in sorted(doc["filter_recipes"].items())
            ],
        ) + [""]
    if doc["measurements"]:
        out += ["### Measurements", ""]
        out += _table(
            ["filter", "measurements"],
            [[f, ", ".join(f"{m}={_fmt(v)}" for m, v in ms.items())] for f, ms in doc["measurements"].items() if ms],
        ) + [""]
    cluster = doc["dedup"]
    if cluster:
        role = "the representative (kept)" if cluster["is_representative"] else "a duplicate (dropped by dedup)"
        out += [
            "### Deduplication",
            "",
            f"Cluster {cluster['cluster_id']} of {cluster['size']} ({cluster['match_kind']}); this document is {role}.",
            "",
        ]
        if cluster["members"]:
            out += _table(
                ["member", "representative", "match", "similarity"],
                [[m["doc_id"], m["is_representative"], m["match_kind"], m["similarity"]] for m in cluster["members"]],
            ) + [""]
    if doc["rating"]:
        r = doc["rating"]
        out += ["### Rating", ""]
        out += [
            f"overall {_fmt(r.get('overall_score'))} (expected {_fmt(r.get('overall_score_expected'))}); domain "
            f"{r.get('domain')} (p {_fmt(r.get('domain_probability'))}); "
            f"fastText quality {_fmt(r.get('fasttext_quality'))}",
            "",
            ", ".join(f"{k} {v}" for k, v in r.items() if isinstance(v, int) and not isinstance(v, bool)),
            "",
        ]
    if doc["contamination"]:
        out += ["### Contamination", ""]
        out += _table(
            ["benchmark", "matched n-grams", "longest span (words)", "first item"],
            [
                [c["benchmark"], c["matched_ngrams"], c["longest_span_words"], c["first_item"]]
                for c in doc["contamination"]
            ],
        ) + [""]
    if doc["manifests"]:
        out += ["### Mixtures", ""]
        out += _table(
            ["recipe", "phase", "stream", "copies", "tokens a copy", "domain"],
            [[m["recipe"], m["phase"], m["stream"], m["repeats"], m["tokens"], m["domain"]] for m in doc["manifests"]],
        ) + [""]
    else:
        out += ["In no mixture manifest.", ""]
    if doc["shards"]:
        out += ["### Shards", ""]
        out += _table(
            ["recipe", "phase", "file", "copies"],
            [[s["recipe"], s.get("phase"), s.get("file", s.get("error")), s.get("copies")] for s in doc["shards"]],
        ) + [""]
    return out
