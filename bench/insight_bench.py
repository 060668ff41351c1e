"""`curator explain` and `curator diff` on a synthetic 1M-document lake (issue goals: explain under 2 s, a diff of two
snapshots under 30 s on this machine).

    .venv/bin/python bench/insight_bench.py [--documents N] [--partitions P] [--rounds R]

The lake (embedded SQLite catalog, in a temporary folder) holds N documents over P crawl partitions in the
contract's tables (raw_pages without payload, documents with short texts, quality_signals with every filter's
measurements drawn at random, dedup_clusters, quality_ratings), the `fineweb` filter recipe's views made by the
same code as the asset, and one mixture manifest table. Snapshot A is taken; then one partition is rewritten
(1% of its documents' texts and signals changed, the rest written again unchanged), the recipe re-made with
`gopher_quality.min_doc_words` 50 -> 100, 1% of the clusters merged and the manifest rewritten: snapshot B.
Figures: wall seconds of `diff(A, B)` and of `explain` (a kept and a dropped document, at the latest snapshot
and at A), each the median of R rounds in this process, after one untimed warm-up of each; the diff's counts
are checked against what was planted. Results: bench/results/insight.{json,md}.
"""

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation.filters.recipe import load_recipe, parse_recipe  # noqa: E402
from curation.filters.sql import kept_select, language_settings_rows, list_rows, verdicts_select  # noqa: E402
from curation.insight.diff import diff  # noqa: E402
from curation.insight.explain import explain  # noqa: E402
from curation.lake import tables  # noqa: E402
from curation.lake.client import Lake  # noqa: E402
from curation.recipe_files import read_yaml  # noqa: E402


def _signals_select(count_sql: str) -> str:
    """quality_signals rows for the documents of `count_sql`: every measurement random in a plausible range."""
    columns = []
    for field in tables.QUALITY_SIGNALS.schema:
        name = field.name
        if name in ("doc_id", "crawl_file", "language", "language_score"):
            columns.append(f"d.{name}")
        elif name == "language_key":
            columns.append("'eng_Latn'")
        elif name.endswith("_reason"):
            columns.append("NULL::VARCHAR")
        elif name.endswith("__words") or name.endswith("__n_words"):
            columns.append("d.word_count::DOUBLE")
        elif name.endswith("__stop_words"):
            columns.append("(5 + hash(d.doc_id || 's') % 40)::DOUBLE")
        elif name.endswith(("__alpha_words_ratio", "__line_punct_ratio")):
            columns.append("0.85 + (hash(d.doc_id || '" + name + "') % 100) / 1000.0")
        elif name.endswith("__char_dup_ratio"):
            columns.append("(hash(d.doc_id || '" + name + "') % 1000) / 200000.0")
        elif name.startswith("c4__") and not name.endswith("__sentences"):
            columns.append("0.0")
        elif name.endswith("__sentences"):
            columns.append("(5 + hash(d.doc_id || 'c') % 40)::DOUBLE")
        elif "ratio" in name or "frac" in name:
            columns.append("(hash(d.doc_id || '" + name + "') % 1000) / 20000.0")
        else:
            columns.append("(3 + hash(d.doc_id || '" + name + "') % 5)::DOUBLE")
    named = [f'{sql} AS "{field.name}"' for sql, field in zip(columns, tables.QUALITY_SIGNALS.schema, strict=True)]
    return f"SELECT {', '.join(named)} FROM ({count_sql}) AS d"


def _documents_sql(where: str = "", salt: str = "") -> str:
    return f"""SELECT 'd' || lpad(i::VARCHAR, 8, '0') AS doc_id, 'd' || lpad(i::VARCHAR, 8, '0') AS page_id,
        'crawl-' || lpad((i % {{p}})::VARCHAR, 4, '0') || '.warc.gz' AS crawl_file,
        'https://host' || (i % 5000) || '.example/page/' || i AS url, 'host' || (i % 5000) || '.example' AS host,
        TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i) AS fetch_date,
        repeat('word ', 20 + (i % 200)) || '{salt}' || (hash(i) % 1000)::VARCHAR AS text,
        'en' AS language, 0.9::FLOAT AS language_score, (100 + (i % 1000))::INT AS char_count,
        (20 + (i % 200))::INT AS word_count, (1 + i % 30)::INT AS line_count, 'resiliparse 0.15' AS extractor
        FROM range({{n}}) AS t(i) {where}"""


def build(lake: Lake, n: int, partitions: int) -> tuple[int, int, str]:
    docs = _documents_sql().format(n=n, p=partitions)
    path = ROOT / "recipes" / "filters" / "fineweb.yaml"
    recipe = load_recipe(path)
    data = read_yaml(path)
    data["filters"]["gopher_quality"]["min_doc_words"] = 100
    tighter = parse_recipe(data, "fineweb", "bench: fineweb with min_doc_words 100", path.parent)
    lake.create_missing_tables({t.name: t.schema for t in tables.TABLES if t.schema is not None})
    with lake.transaction("synthetic lake") as con:
        con.execute(f"INSERT INTO documents BY NAME {docs}")
        con.execute(
            "INSERT INTO raw_pages BY NAME SELECT page_id, crawl_file, 0::BIGINT AS record_offset, url, host, "
            "fetch_date, 200::SMALLINT AS http_status, 'warc' AS source_format FROM documents"
        )
        con.execute(f"INSERT INTO quality_signals BY NAME {_signals_select('SELECT * FROM documents')}")
        con.execute(
            "INSERT INTO dedup_clusters BY NAME SELECT doc_id, crawl_file, "
            "'d' || lpad(((substr(doc_id, 2)::INT // 3) * 3)::VARCHAR, 8, '0') AS cluster_id, 3 AS cluster_size, "
            "substr(doc_id, 2)::INT % 3 = 0 AS is_representative, 'fuzzy' AS match_kind FROM documents"
        )
        con.execute(
            "INSERT INTO quality_ratings BY NAME SELECT doc_id, (1 + hash(doc_id) % 5)::TINYINT AS overall_score, "
            "['Medicine', 'Law', 'Technology', 'Other'][(1 + hash(doc_id) % 4)::BIGINT] AS domain FROM documents"
        )
    _recipe(lake, recipe, "recipe fineweb")
    _manifest(lake, "0")
    with lake.connect(read_only=True) as con:
        before = lake.snapshot_id(con)
    # B: one partition rewritten (1% of its rows changed), the recipe tightened, 1% of clusters merged
    target = f"crawl-{0:04d}.warc.gz"
    changed = _documents_sql("WHERE i % {p} = 0", salt="").format(n=n, p=partitions)
    edited = (
        "SELECT * REPLACE (CASE WHEN substr(doc_id, 2)::INT % 100 = 0 THEN text || ' edited' ELSE text END AS text) "
        f"FROM ({changed})"
    )
    with lake.transaction("partition rewritten") as con:
        for table in ("documents", "quality_signals"):
            con.execute(f"DELETE FROM {table} WHERE crawl_file = ?", [target])
        con.execute(f"INSERT INTO documents BY NAME {edited}")
        con.execute(
            "INSERT INTO quality_signals BY NAME "
            + _signals_select(f"SELECT * FROM documents WHERE crawl_file = '{target}'")
        )
    with lake.transaction("clusters merged") as con:
        con.execute(
            "UPDATE dedup_clusters "
            "SET cluster_id = 'd' || lpad(((substr(cluster_id, 2)::INT // 300) * 300)::VARCHAR, 8, '0') "
            "WHERE substr(cluster_id, 2)::INT % 300 = 3"
        )
    _recipe(lake, tighter, "recipe fineweb tightened")
    _manifest(lake, "1")
    with lake.connect(read_only=True) as con:
        after = lake.snapshot_id(con)
    return before, after, target


def _recipe(lake: Lake, recipe, message: str) -> None:
    filters = recipe.build()
    lake.replace_partition(
        "recipe",
        recipe.name,
        {
            tables.URL_FILTER_LISTS.name: (tables.URL_FILTER_LISTS.schema, [list_rows(recipe, filters)]),
            tables.FILTER_LANGUAGE_SETTINGS.name: (
                tables.FILTER_LANGUAGE_SETTINGS.schema,
                [language_settings_rows(recipe, filters)],
            ),
        },
        message=message,
        then=[
            f"CREATE SCHEMA IF NOT EXISTS {tables.FILTERED_SCHEMA}",
            f"CREATE OR REPLACE VIEW {tables.verdicts_view(recipe.name)} AS {verdicts_select(recipe, filters)}",
            f"CREATE OR REPLACE VIEW {tables.filtered_view(recipe.name)} AS {kept_select(recipe)}",
        ],
    )


def _manifest(lake: Lake, seed: str) -> None:
    with lake.transaction(f"manifest {seed}") as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {tables.MANIFESTS_SCHEMA}")
        con.execute(
            f"CREATE OR REPLACE TABLE {tables.manifest_table('mix')} AS "
            "SELECT doc_id, 'main' AS phase, 'web' AS stream, "
            f"(1 + hash(doc_id || '{seed}') % 3)::INT AS repeats, word_count::BIGINT AS tokens, 'Other' AS domain, "
            "language, crawl_file AS source, 1::BIGINT AS cluster_size, 1 AS base_weight "
            f"FROM documents WHERE hash(doc_id || '{seed}') % 3 = 0"
        )


def timed(function, rounds: int) -> tuple[float, object]:
    function()  # warm-up: extension checks, first attach
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="insight-bench-") as tmp:
        lake = Lake(f"sqlite:{tmp}/catalog.sqlite", f"{tmp}/files")
        start = time.perf_counter()
        before, after, target = build(lake, args.documents, args.partitions)
        build_s = time.perf_counter() - start
        diff_s, result = timed(lambda: diff(lake, before, after), args.rounds)
        stages = {s["table"]: s for s in result["stages"]}
        fineweb = next(r for r in result["filter_recipes"] if r["recipe"] == "fineweb")
        per_partition = args.documents // args.partitions
        checks = {
            "documents changed = 1% of the rewritten partition": stages["documents"]["changed"]
            == len(range(0, args.documents, 100)),
            "documents added/removed = 0": stages["documents"]["added"] == stages["documents"]["removed"] == 0,
            "fineweb gained nothing, lost only gopher_short_doc": fineweb["gained"] == 0
            and set(fineweb["lost_by_rule"]) <= {"gopher_quality:gopher_short_doc"},
            "clusters merged": result["dedup"]["merged"] > 0,
        }
        explains = {}
        with lake.connect(read_only=True) as con:
            kept = con.execute("SELECT doc_id FROM filtered_documents.fineweb__verdicts WHERE kept LIMIT 1").fetchone()
            dropped = con.execute(
                "SELECT doc_id FROM filtered_documents.fineweb__verdicts WHERE NOT kept LIMIT 1"
            ).fetchone()
        for label, doc, snapshot in (
            ("kept, latest", kept[0], None),
            ("dropped, latest", dropped[0], None),
            ("kept, at snapshot A", kept[0], before),
        ):
            seconds, answer = timed(lambda d=doc, s=snapshot: explain(lake, d, snapshot=s), args.rounds)
            explains[label] = round(seconds, 3)
            checks[f"explain {label} finds the document"] = answer["documents"][0]["doc_id"] == doc
    figures = {
        "documents": args.documents,
        "partitions": args.partitions,
        "documents_per_partition": per_partition,
        "build_s": round(build_s, 1),
        "snapshots": [before, after],
        "diff_s": round(diff_s, 2),
        "explain_s": explains,
        "lost_by_rule": fineweb["lost_by_rule"],
        "checks": checks,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}",
        "rounds": args.rounds,
    }
    out = ROOT / "bench" / "results"
    (out / "insight.json").write_text(json.dumps(figures, indent=2) + "\n")
    lines = [
        "# explain and diff on a synthetic lake",
        "",
        f"{args.documents:,} documents over {args.partitions} partitions ({figures['machine']}); medians of "
        f"{args.rounds} rounds after a warm-up; building the lake took {figures['build_s']} s.",
        "",
        "| query | seconds | goal |",
        "|---|---|---|",
        f"| diff snapshot {before} -> {after} | {figures['diff_s']} | < 30 |",
        *[f"| explain ({label}) | {s} | < 2 |" for label, s in explains.items()],
        "",
        "Checks: " + "; ".join(f"{k}: {'ok' if v else 'FAILED'}" for k, v in checks.items()),
        "",
    ]
    (out / "insight.md").write_text("\n".join(lines))
    print("\n".join(lines))
    if not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
