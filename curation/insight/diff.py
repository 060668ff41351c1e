"""`curator diff --from A --to B`: what changed between two versions of the corpus, as queries over the lake
attached at both snapshots (each with the tables and views it had then).

- per stage (a keyed table): rows added, removed, and changed (same key, other values). Only the rows DuckLake
  records as inserted or deleted between the snapshots are compared (`ducklake_table_changes`): a partition
  rewritten with the same rows counts as unchanged, and an untouched partition costs nothing;
- per filter recipe: documents kept at B and not at A (gained, by the rule that rejected them at A) and kept at A
  and not at B (lost, by the rule that rejects them at B), with their language and domain, and their ids;
- per dedup: clusters merged (a cluster at B holding documents of several clusters at A) and split;
- per mixture recipe: rows, copies and tokens per phase and domain at A and B.
"""

from dataclasses import dataclass

import duckdb

from curation.insight.snapshots import Snapshot, resolve, snapshots
from curation.lake import tables
from curation.lake.client import AFTER, ALIAS, Lake

BEFORE = ALIAS
MAX_IDS = 1000  # document ids listed per recipe and direction (the counts are complete)
STAGES = (  # the keyed tables a diff compares, in the order data flows
    tables.RAW_PAGES,
    tables.QUARANTINE,
    tables.DOCUMENTS,
    tables.QUALITY_SIGNALS,
    tables.DEDUP_CLUSTERS,
    tables.DOCUMENT_BOILERPLATE,
    tables.CONTAMINATION,
    tables.QUALITY_RATINGS,
    tables.DOCUMENT_TOKENS,
)


@dataclass(frozen=True)
class Versions:
    before: Snapshot
    after: Snapshot


def _relations(con: duckdb.DuckDBPyConnection, alias: str, schema: str, suffix: str = "") -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = ? AND schema_name = ?",
        [alias, schema, alias, schema],
    ).fetchall()
    return {r[0].removesuffix(suffix) for r in rows if r[0].endswith(suffix)}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _key(table: tables.Table, prefix: str = "") -> str:
    return ", ".join(f"{prefix}{k}" for k in table.key)


def _count(con, alias: str, table: tables.Table) -> int:
    return con.execute(f"SELECT count(*) FROM {alias}.{table.relation}").fetchone()[0]


def _stage(con, versions: Versions, table: tables.Table, present: tuple[bool, bool]) -> dict:
    """Rows added, removed and changed by key. From the rows inserted and deleted between the snapshots: a key
    deleted and inserted again with equal values is rewritten, not changed."""
    had, has = present
    before_rows = _count(con, BEFORE, table) if had else 0
    after_rows = _count(con, AFTER, table) if has else 0
    if not had or not has:
        return {
            "table": table.name,
            "rows_before": before_rows,
            "rows_after": after_rows,
            "added": after_rows,
            "removed": before_rows,
            "changed": 0,
        }
    key = _key(table)
    columns = _common_columns(con, table)
    digest = f"hash({', '.join(columns)})"
    try:
        counts = _changed_rows(con, versions, table, key, digest)
    except duckdb.Error:  # the change history between them is gone (the table re-created): compare every row
        counts = con.execute(
            f"""WITH b AS (SELECT {key}, {digest} AS h FROM {BEFORE}.{table.relation}),
            a AS (SELECT {key}, {digest} AS h FROM {AFTER}.{table.relation})
            SELECT count(*) FILTER (WHERE b.h IS NULL), count(*) FILTER (WHERE a.h IS NULL),
                   count(*) FILTER (WHERE a.h <> b.h)
            FROM b FULL JOIN a USING ({key})"""
        ).fetchone()
    return {
        "table": table.name,
        "rows_before": before_rows,
        "rows_after": after_rows,
        "added": counts[0],
        "removed": counts[1],
        "changed": counts[2],
    }


def _changed_rows(con, versions: Versions, table: tables.Table, key: str, digest: str) -> tuple:
    """(added, removed, changed) from the rows DuckLake records as inserted, deleted or updated between the
    snapshots, never reading an untouched file. Per row id, its first change tells what it was at `before` (a
    delete or update's pre-image: it existed) and its last what it is at `after` (an insert or post-image)."""
    start, end = versions.before.id + 1, versions.after.id
    return con.execute(
        f"""WITH c AS (
            SELECT *,
                row_number() OVER (PARTITION BY rowid ORDER BY snapshot_id,
                    change_type IN ('insert', 'update_postimage')) AS first_change,
                row_number() OVER (PARTITION BY rowid ORDER BY snapshot_id DESC,
                    change_type IN ('delete', 'update_preimage')) AS last_change
            FROM ducklake_table_changes('{AFTER}', 'main', '{table.name}', {start}, {end})
        ),
        b AS (SELECT {key}, {digest} AS h FROM c
              WHERE first_change = 1 AND change_type IN ('delete', 'update_preimage')),
        a AS (SELECT {key}, {digest} AS h FROM c
              WHERE last_change = 1 AND change_type IN ('insert', 'update_postimage'))
        SELECT count(*) FILTER (WHERE b.h IS NULL), count(*) FILTER (WHERE a.h IS NULL),
               count(*) FILTER (WHERE a.h <> b.h)
        FROM b FULL JOIN a USING ({key})"""
    ).fetchone()


def _common_columns(con, table: tables.Table) -> list[str]:
    def names(alias: str) -> list[str]:
        return [r[0] for r in con.execute(f"DESCRIBE {alias}.{table.relation}").fetchall()]

    after = set(names(AFTER))
    return [f'"{c}"' for c in names(BEFORE) if c in after]


def _domain_join(con, has_ratings: bool) -> tuple[str, str]:
    if not has_ratings:
        return "", "NULL"
    return f"LEFT JOIN {AFTER}.{tables.QUALITY_RATINGS.relation} AS r USING (doc_id)", "r.domain"


def _recipe(con, recipe: str, present: tuple[bool, bool], has_ratings: bool) -> dict:
    """Each side's verdicts decided once (a view re-runs every filter's SQL on each read), then compared."""
    view = f'{tables.FILTERED_SCHEMA}."{recipe}__verdicts"'
    for side, alias, here in (("verdicts_before", BEFORE, present[0]), ("verdicts_after", AFTER, present[1])):
        source = (
            f"{alias}.{view}"
            if here
            else "(SELECT NULL::VARCHAR AS doc_id, NULL::VARCHAR AS language, "
            "NULL::VARCHAR AS reason, NULL::BOOLEAN AS kept WHERE false)"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE {side} AS SELECT doc_id, language, reason, kept FROM {source}")
    join, domain = _domain_join(con, has_ratings)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE moved AS
        WITH both_sides AS (
            SELECT doc_id, coalesce(a.language, b.language) AS language, b.kept AS kept_before, a.kept AS kept_after,
                   b.reason AS reason_before, a.reason AS reason_after
            FROM verdicts_before AS b FULL JOIN verdicts_after AS a USING (doc_id)
            WHERE coalesce(b.kept, false) <> coalesce(a.kept, false)
        )
        SELECT m.*, {domain} AS domain,
               CASE WHEN coalesce(kept_after, false) THEN 'gained' ELSE 'lost' END AS direction,
               CASE WHEN coalesce(kept_after, false)
                    THEN coalesce(reason_before, CASE WHEN kept_before IS NULL THEN 'new document' END)
                    ELSE coalesce(reason_after, CASE WHEN kept_after IS NULL THEN 'document removed' END) END AS rule
        FROM both_sides AS m {join}"""
    )
    kept = [
        con.execute(f"SELECT count(*) FILTER (WHERE kept) FROM {side}").fetchone()[0]
        for side in ("verdicts_before", "verdicts_after")
    ]
    out = {"recipe": recipe, "kept_before": kept[0], "kept_after": kept[1]}
    for direction in ("gained", "lost"):
        out[direction] = con.execute("SELECT count(*) FROM moved WHERE direction = ?", [direction]).fetchone()[0]
        for by in ("rule", "language", "domain"):
            out[f"{direction}_by_{by}"] = dict(
                con.execute(
                    f"SELECT coalesce({by}, '-'), count(*) FROM moved WHERE direction = ? "
                    "GROUP BY 1 ORDER BY 2 DESC, 1",
                    [direction],
                ).fetchall()
            )
        out[f"{direction}_documents"] = _rows(
            con,
            "SELECT doc_id, rule, language, domain FROM moved WHERE direction = ? "
            f"ORDER BY rule, doc_id LIMIT {MAX_IDS}",
            [direction],
        )
    return out


def _dedup(con, present: tuple[bool, bool]) -> dict | None:
    if not all(present):
        return None
    clusters = tables.DEDUP_CLUSTERS.relation
    counts = con.execute(
        f"""WITH b AS (SELECT doc_id, cluster_id FROM {BEFORE}.{clusters}),
        a AS (SELECT doc_id, cluster_id FROM {AFTER}.{clusters}),
        common AS (SELECT doc_id, b.cluster_id AS cb, a.cluster_id AS ca FROM b JOIN a USING (doc_id)),
        merged AS (SELECT ca FROM common GROUP BY ca HAVING count(DISTINCT cb) > 1),
        split AS (SELECT cb FROM common GROUP BY cb HAVING count(DISTINCT ca) > 1)
        SELECT (SELECT count(DISTINCT cluster_id) FROM b), (SELECT count(DISTINCT cluster_id) FROM a),
               (SELECT count(*) FROM merged), (SELECT count(*) FROM split),
               (SELECT count(*) FROM common WHERE ca <> cb)"""
    ).fetchone()
    return {
        "clusters_before": counts[0],
        "clusters_after": counts[1],
        "merged": counts[2],
        "split": counts[3],
        "documents_moved_between_clusters": counts[4],
    }


def _mixture(con, recipe: str, present: tuple[bool, bool]) -> dict:
    def cells(alias: str, here: bool) -> dict:
        if not here:
            return {}
        rows = con.execute(
            f"""SELECT phase, coalesce(domain, '-'), count(*), sum(repeats)::BIGINT, sum(repeats * tokens)::BIGINT
            FROM {alias}.{tables.MANIFESTS_SCHEMA}."{recipe}" GROUP BY 1, 2"""
        ).fetchall()
        return {(p, d): (n, c, t) for p, d, n, c, t in rows}

    before, after = cells(BEFORE, present[0]), cells(AFTER, present[1])
    rows = []
    for phase, domain in sorted(before.keys() | after.keys()):
        b, a = before.get((phase, domain), (0, 0, 0)), after.get((phase, domain), (0, 0, 0))
        rows.append(
            {
                "phase": phase,
                "domain": domain,
                "rows_before": b[0],
                "rows_after": a[0],
                "copies_before": b[1],
                "copies_after": a[1],
                "tokens_before": b[2],
                "tokens_after": a[2],
            }
        )
    return {
        "recipe": recipe,
        "cells": rows,
        "changed": any(r["tokens_before"] != r["tokens_after"] or r["rows_before"] != r["rows_after"] for r in rows),
    }


def resolve_pair(lake: Lake, before: str, after: str) -> Versions:
    with lake.connect(read_only=True) as con:
        history = snapshots(con)
    versions = Versions(resolve(history, before), resolve(history, after))
    if versions.before.id > versions.after.id:
        raise ValueError(
            f"--from {versions.before.id} is newer than --to {versions.after.id}: give the older snapshot first"
        )
    return versions


def diff(lake: Lake, before: str | int, after: str | int = "latest") -> dict:
    """What changed from snapshot `before` to `after` (ids, times or commit-message words; see snapshots.resolve)."""
    versions = resolve_pair(lake, str(before), str(after))
    with lake.compare(versions.before.id, versions.after.id) as con:
        main = (_relations(con, BEFORE, "main"), _relations(con, AFTER, "main"))
        stages = [
            _stage(con, versions, t, (t.name in main[0], t.name in main[1]))
            for t in STAGES
            if t.name in main[0] | main[1]
        ]
        filters = (
            _relations(con, BEFORE, tables.FILTERED_SCHEMA, "__verdicts"),
            _relations(con, AFTER, tables.FILTERED_SCHEMA, "__verdicts"),
        )
        has_ratings = tables.QUALITY_RATINGS.name in main[1]
        recipes = [
            _recipe(con, name, (name in filters[0], name in filters[1]), has_ratings)
            for name in sorted(filters[0] | filters[1])
        ]
        name = tables.DEDUP_CLUSTERS.name
        dedup = _dedup(con, (name in main[0], name in main[1]))
        manifests = (
            _relations(con, BEFORE, tables.MANIFESTS_SCHEMA),
            _relations(con, AFTER, tables.MANIFESTS_SCHEMA),
        )
        mixtures = [
            _mixture(con, name, (name in manifests[0], name in manifests[1]))
            for name in sorted(manifests[0] | manifests[1])
        ]
    return {
        "from": _snapshot(versions.before),
        "to": _snapshot(versions.after),
        "stages": stages,
        "filter_recipes": recipes,
        "dedup": dedup,
        "mixtures": mixtures,
    }


def _snapshot(s: Snapshot) -> dict:
    return {"id": s.id, "time": s.time.isoformat(), "message": s.message}


def _signed(n: int) -> str:
    return f"+{n:,}" if n > 0 else f"{n:,}"


def _table(header: list[str], rows: list[list]) -> list[str]:
    def cell(v) -> str:
        return "-" if v is None else (f"{v:,}" if isinstance(v, int) else str(v).replace("|", "\\|"))

    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in rows
    ]


def to_markdown(result: dict, max_ids: int = 20) -> str:
    f, t = result["from"], result["to"]
    out = [
        f"# Corpus diff: snapshot {f['id']} -> {t['id']}",
        "",
        f"- from {f['id']} ({f['time']}): {f['message'] or '-'}",
        f"- to {t['id']} ({t['time']}): {t['message'] or '-'}",
        "",
        "## Stages",
        "",
    ]
    out += _table(
        ["table", "rows before", "rows after", "added", "removed", "changed"],
        [
            [s["table"], s["rows_before"], s["rows_after"], s["added"], s["removed"], s["changed"]]
            for s in result["stages"]
        ],
    )
    out += ["", "## Filter recipes", ""]
    out += _table(
        ["recipe", "kept before", "kept after", "gained", "lost"],
        [[r["recipe"], r["kept_before"], r["kept_after"], r["gained"], r["lost"]] for r in result["filter_recipes"]],
    )
    for r in result["filter_recipes"]:
        for direction, rule_at in (("gained", "rejected them before"), ("lost", "rejects them now")):
            if not r[direction]:
                continue
            out += ["", f"### {r['recipe']}: {r[direction]:,} documents {direction}", ""]
            out += _table([f"rule that {rule_at}", "documents"], [[k, v] for k, v in r[f"{direction}_by_rule"].items()])
            out += [
                "",
                "By language: " + ", ".join(f"{k} {v:,}" for k, v in r[f"{direction}_by_language"].items()),
                "By domain: " + ", ".join(f"{k} {v:,}" for k, v in r[f"{direction}_by_domain"].items()),
                "",
            ]
            docs = r[f"{direction}_documents"][:max_ids]
            out += [f"- {d['doc_id']} ({d['rule']})" for d in docs]
            if r[direction] > len(docs):
                out += [f"- ... and {r[direction] - len(docs):,} more"]
    if result["dedup"]:
        d = result["dedup"]
        out += [
            "",
            "## Deduplication",
            "",
            f"Clusters {d['clusters_before']:,} -> {d['clusters_after']:,}: "
            f"{d['merged']:,} merged, {d['split']:,} split; "
            f"{d['documents_moved_between_clusters']:,} documents changed cluster.",
        ]
    for m in result["mixtures"]:
        cells = [
            c
            for c in m["cells"]
            if (c["rows_before"], c["copies_before"], c["tokens_before"])
            != (c["rows_after"], c["copies_after"], c["tokens_after"])
        ]
        out += ["", f"## Mixture {m['recipe']}", ""]
        if not cells:
            out += [f"Unchanged: {len(m['cells'])} phase and domain cells, the same rows, copies and tokens."]
            continue
        if len(cells) < len(m["cells"]):
            out += [f"{len(m['cells']) - len(cells)} of {len(m['cells'])} cells unchanged; the others:", ""]
        out += _table(
            ["phase", "domain", "rows", "copies", "tokens", "tokens change"],
            [
                [
                    c["phase"],
                    c["domain"],
                    f"{c['rows_before']:,} -> {c['rows_after']:,}",
                    f"{c['copies_before']:,} -> {c['copies_after']:,}",
                    f"{c['tokens_before']:,} -> {c['tokens_after']:,}",
                    _signed(c["tokens_after"] - c["tokens_before"]),
                ]
                for c in cells
            ],
        )
    return "\n".join(out).rstrip() + "\n"
