"""A mixture recipe computed into a manifest by SQL over the lake: which documents, how many times, in which phase.

The connection passed in must see the lake as one snapshot (attach it read-only at that snapshot), so the same
recipe on the same snapshot gives the same rows. Nothing here loops over documents in Python; Python only turns
a few aggregates (supply per stream, source and domain; removal rates per cluster size) into targets and weights.

How a stream fills a target cell (phase x stream x [source] x domain), in SQL:
1. candidates: the stream's pool (its filter recipe's deduplicated documents with ratings, in its languages)
   narrowed by the selection; each candidate has a base weight (1, or its rehydration weight) and room (the
   repetition cap minus the copies earlier phases and streams already took).
2. full rounds: the largest k with sum(tokens x min(base x k, room)) <= target; every candidate gets that many.
3. one partial round in the selection's order (unseen documents first, then priority): a candidate takes one more
   base's worth of copies while the cell's running total stays below the target by at least half of what it
   adds, so a cell lands within half a document's contribution of its target.
4. balance: the cells' misses add up over a phase, so one boundary document per cell may move (taken or given
   back) to bring the phase and stream total within half a document of its target; each cell stays within one.
Where even every candidate at the cap cannot reach the target, the cell records its shortfall.
"""

import hashlib
import math
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import duckdb
import pyarrow as pa

from curation.decontamination import selection as decontamination
from curation.decontamination.benchmarks import load_registry
from curation.filters.sql import VIEW_SCHEMA
from curation.lake import tables
from curation.lake.sql import sql_string
from curation.lake.sql_literals import double_literal
from curation.mixtures.recipe import MixtureRecipe, Stream, split_by_source
from curation.tokens import counts as token_counts
from curation.tokens.tokenizer_files import open_tokenizer

DEDUPLICATED = tables.DEDUPLICATED_SCHEMA  # the dedup stage's views, one per filter recipe
RATINGS = tables.QUALITY_RATINGS.relation
CLUSTERS = tables.DEDUP_CLUSTERS.relation
BOILERPLATE = tables.DOCUMENT_BOILERPLATE.relation
LINES, TOKENS = tables.DOCUMENT_LINES.relation, tables.DOCUMENT_TOKENS.relation
# the base tables a manifest reads, directly or through the recipe views
INPUT_TABLES = (
    "documents",
    "quality_signals",
    "url_filter_lists",
    "dedup_clusters",
    "document_boilerplate",
    "document_lines",
    "document_tokens",
    "contamination",
    "contamination_scans",
    "quality_ratings",
)
ALL_SOURCES = "*"
ANY_DOMAIN = "*"  # the target of a stream with no candidates at all

MANIFEST = tables.MANIFEST_SCHEMA
CELLS = tables.CELL_SCHEMA


@dataclass(frozen=True)
class Manifest:
    rows: pa.Table  # MANIFEST, ordered by phase (recipe order), stream, doc_id
    cells: pa.Table  # CELLS, targets against what was achieved
    summary: dict


def code_version() -> str:
    """The package version and a hash of this package's source: what the manifest's numbers depend on."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    try:
        version = metadata.version("curator-lakehouse")
    except metadata.PackageNotFoundError:
        version = "0+unknown"
    return f"{version}+{digest.hexdigest()[:12]}"


def uniform_sql(key_sql: str) -> str:
    """A number in (0, 1) from an md5 of the key: the same on every machine and DuckDB version."""
    return f"(((md5_number_lower({key_sql}) >> 11)::DOUBLE + 0.5) / 9007199254740992.0)"


class TokenCountsMissing(RuntimeError):
    """Documents the recipe may select have no current count by its tokenizer: materialize document_tokens."""


def tokens_sql(recipe: MixtureRecipe, alias: str) -> str:
    counting = recipe.token_counting
    if counting.method == "tokenizer":  # real counts, joined in build_bases from document_tokens
        return f"{alias}.token_count"
    if counting.method == "words":
        return f"greatest(1, ceil({alias}.word_count * {double_literal(counting.tokens_per_word)}))::BIGINT"
    ratio = double_literal(counting.chars_per_token)
    if counting.chars_per_token_by_language:
        by_language = counting.chars_per_token_by_language.items()
        cases = " ".join(f"WHEN {sql_string(lang)} THEN {double_literal(value)}" for lang, value in by_language)
        ratio = f"(CASE {alias}.language {cases} ELSE {ratio} END)"
    return f"greatest(1, ceil({alias}.char_count / {ratio}))::BIGINT"


# --- rehydration weights ------------------------------------------------------------------------------------------


def removal_rates(con: duckdb.DuckDBPyConnection, filter_recipe: str) -> list[tuple[int, int, int]]:
    """(cluster size, clusters, clusters whose representative the filter recipe removed), by size."""
    return con.execute(
        f"""
SELECT c.cluster_size, count(*) AS clusters, count(*) FILTER (WHERE NOT coalesce(v.kept, FALSE)) AS removed
FROM {CLUSTERS} AS c LEFT JOIN {VIEW_SCHEMA}.{filter_recipe}__verdicts AS v USING (doc_id)
WHERE c.is_representative
GROUP BY 1 ORDER BY 1"""
    ).fetchall()


def weights_from_removal_rates(
    rates: list[tuple[int, int, int]], max_weight: int, min_cluster_documents: int, window: int = 5
) -> dict[int, int]:
    """FineWeb2's rehydration weights: sizes removed at or above the overall rate repeat once, the least-removed
    size `max_weight` times, linear in between, smoothed over `window` neighbouring sizes (edges kept), rounded.
    Sizes seen fewer than `min_cluster_documents` times join one tail bucket from the first such size on."""
    if not rates:
        return {1: 1}
    buckets: list[list[int]] = []
    for size, clusters, removed in rates:
        if buckets and (buckets[-1][3] or clusters < min_cluster_documents):
            buckets[-1][1] += clusters
            buckets[-1][2] += removed
            buckets[-1][3] = True
        else:
            buckets.append([size, clusters, removed, clusters < min_cluster_documents and bool(buckets)])
    total = sum(b[1] for b in buckets)
    overall = sum(b[2] for b in buckets) / total
    bucket_rates = [b[2] / b[1] for b in buckets]
    lowest = min(bucket_rates)
    reps = [
        1.0 if rate >= overall or lowest >= overall else 1 + (max_weight - 1) * (rate - overall) / (lowest - overall)
        for rate in bucket_rates
    ]
    half = window // 2
    smoothed = [
        reps[i] if i < half or i >= len(reps) - half else sum(reps[i - half : i + half + 1]) / window
        for i in range(len(reps))
    ]
    weights, previous = {}, None
    for (size, *_), value in zip(buckets, smoothed, strict=True):
        weight = max(1, min(max_weight, math.floor(value + 0.5)))
        if weight != previous:
            weights[size] = weight
            previous = weight
    return weights


def rehydration_weights(con, stream: Stream, max_repeats: int) -> tuple[dict[int, int], list | None]:
    """The stream's weights by smallest cluster size, capped at max_repeats, and the rates they came from."""
    dedup = stream.dedup
    if dedup.mode == "representatives":
        return {1: 1}, None
    if isinstance(dedup.weights, dict):
        return dict(sorted(dedup.weights.items())), None
    rates = removal_rates(con, stream.filter_recipe)
    weights = weights_from_removal_rates(rates, min(dedup.max_weight, max_repeats), dedup.min_cluster_documents)
    return weights, rates


# --- the pool of each stream ---------------------------------------------------------------------------------------


def benchmark_versions() -> dict[str, str]:
    """The registered evaluation sets' current versions (benchmarks/benchmarks.yaml)."""
    return {name: b.version for name, b in load_registry().items()}


def build_bases(con, recipe: MixtureRecipe, versions: dict[str, str] | None = None) -> None:
    """Each filter recipe's deduplicated documents joined with their ratings, once, without texts: every stream
    over that recipe reads this temp table instead of the lake views again. Unless the recipe keeps them,
    documents the contamination scan flags are not in it."""
    versions = benchmark_versions() if versions is None else versions
    for name in sorted({s.filter_recipe for s in recipe.streams}):
        ratings = {"domain"}
        for stream in recipe.streams:
            if stream.filter_recipe == name:
                sel = stream.selection
                ratings |= {sel.score, *sel.min, *sel.max} | ({"overall_score"} if sel.method == "dataman" else set())
        ratings -= {"language_score"}
        # counted as the shards will hold the text: without its boilerplate lines, unless the recipe keeps them
        # (a document whose every line is boilerplate, e.g. a widget's "Processing Feedback ..." page, has nothing
        # left to train on and is not in the pool)
        mode = recipe.boilerplate_lines
        chars, words, joins = "d.char_count", "d.word_count", [f"LEFT JOIN {BOILERPLATE} AS b USING (doc_id)"]
        if mode == "drop":
            chars = "greatest(d.char_count - coalesce(b.boilerplate_chars, 0), 0)::INTEGER"
            words = "greatest(d.word_count - coalesce(b.boilerplate_words, 0), 0)::INTEGER"
        clean = ""
        if recipe.decontamination == "exclude":
            unscanned, benchmark = con.execute(
                decontamination.unscanned_sql(f"{DEDUPLICATED}.{name}", versions)
            ).fetchone()
            if unscanned:
                raise decontamination.ContaminationNotScanned(
                    f"{unscanned} documents of filter recipe {name} are in crawl partitions not scanned against "
                    f"{benchmark} (version {versions[benchmark]}): materialize {tables.CONTAMINATION.name} for them "
                    "(or set decontamination: keep)"
                )
            clean = f"\n  AND d.doc_id NOT IN ({decontamination.flagged_sql(versions)})"
        token_count = "NULL::BIGINT"
        if recipe.token_counting.method == "tokenizer":
            tokenizer = open_tokenizer(recipe.token_counting.tokenizer, recipe.token_counting.eos_token)
            token_count = "t.tokens"
            joins += [
                f"LEFT JOIN {LINES} AS l USING (doc_id)",
                f"LEFT JOIN {TOKENS} AS t ON t.doc_id = d.doc_id AND t.tokenizer = {sql_string(tokenizer.id)} "
                f"AND t.boilerplate_lines = {sql_string(mode)} AND t.text_key = {token_counts.text_key_sql(mode)}",
            ]
        con.execute(
            f"""
CREATE OR REPLACE TEMP TABLE base_{name} AS
SELECT d.doc_id, d.crawl_file, d.language, d.language_score, {chars} AS char_count, {words} AS word_count,
       {token_count} AS token_count, d.cluster_size::BIGINT AS cluster_size,
       {", ".join(f"q.{c}" for c in sorted(ratings))}
FROM {DEDUPLICATED}.{name} AS d
JOIN {RATINGS} AS q USING (doc_id)
{" ".join(joins)}
WHERE {token_counts.has_text_sql(mode)}{clean}"""
        )
        if recipe.token_counting.method == "tokenizer":
            uncounted = con.execute(f"SELECT count(*) FROM base_{name} WHERE token_count IS NULL").fetchone()[0]
            if uncounted:
                raise TokenCountsMissing(
                    f"{uncounted} documents of filter recipe {name} have no current count by {tokenizer.id}: "
                    f"materialize {tables.DOCUMENT_TOKENS.name} first"
                )


def _passes_sql(stream: Stream) -> str:
    sel = stream.selection
    predicates = [f"b.{c} >= {double_literal(v)}" for c, v in sel.min.items()] + [
        f"b.{c} <= {double_literal(v)}" for c, v in sel.max.items()
    ]
    if sel.method == "dataman":
        predicates.append(f"b.overall_score >= {sel.min_overall_score}")
    if stream.languages is not None:
        predicates.append(f"b.language IN ({', '.join(map(sql_string, stream.languages))})")
    return " AND ".join(predicates) or "TRUE"


def pool_sql(con, recipe: MixtureRecipe, stream: Stream) -> str:
    """One row per document the stream may use: candidate or not, order score, seeded tiebreak."""
    sel = stream.selection
    base = f"base_{stream.filter_recipe}"
    languages = "TRUE"
    if stream.languages is not None:
        languages = f"b.language IN ({', '.join(map(sql_string, stream.languages))})"
    passes = _passes_sql(stream)
    score = f"b.{sel.score}::DOUBLE"
    if sel.method == "top_k":
        order_score = f"coalesce({score}, -1e308)"
    elif sel.method == "qurating":
        # z-normalised over the stream's candidates, divided by tau; Gumbel noise is added per phase when filling
        mean, std = con.execute(f"SELECT avg({score}), stddev_pop({score}) FROM {base} AS b WHERE {passes}").fetchone()
        order_score = "0.0"
        if std:
            z = f"({score} - {double_literal(mean or 0.0)}) / {double_literal(std)}"
            order_score = f"coalesce({z}, 0) / {double_literal(sel.tau)}"
    else:
        order_score = "0.0"
    tiebreak = uniform_sql(f"'{recipe.seed}:{stream.name}:' || b.doc_id")
    candidate = "passes"
    if sel.method == "top_k" and (sel.k is not None or sel.fraction is not None):
        rank = "row_number() OVER (PARTITION BY passes ORDER BY score DESC NULLS LAST, tiebreak)"
        limit = (
            str(sel.k)
            if sel.k is not None
            else f"ceil({double_literal(sel.fraction)} * count(*) FILTER (WHERE passes) OVER ())"
        )
        candidate = f"passes AND {rank} <= {limit}"
    source = "b.crawl_file" if split_by_source(stream) else sql_string(ALL_SOURCES)
    return f"""
SELECT s.* EXCLUDE (passes), ({candidate}) AS cand
FROM (
    SELECT {sql_string(stream.name)} AS stream, b.doc_id, b.crawl_file, {source} AS src, b.language, b.domain,
           {tokens_sql(recipe, "b")} AS tokens, b.cluster_size, ({passes}) AS passes, {score} AS score,
           {tiebreak} AS tiebreak, {order_score} AS order_score,
           {str(sel.method == "qurating").upper()} AS noisy
    FROM {base} AS b
    WHERE {languages}
) AS s"""


def _weight_sql(weights: dict[int, int], cap: int) -> str:
    """The rehydration weight of `cluster_size`: that of the largest listed size not above it, capped."""
    cases = " ".join(
        f"WHEN cluster_size >= {size} THEN {min(w, cap)}" for size, w in sorted(weights.items(), reverse=True)
    )
    return f"(CASE {cases} ELSE 1 END)::INTEGER"


def build_pool(con, recipe: MixtureRecipe, weights: dict[str, dict[int, int]]) -> None:
    build_bases(con, recipe)
    parts = " UNION ALL ".join(
        f"SELECT *, {_weight_sql(weights[stream.name], recipe.max_repeats)} AS base_weight "
        f"FROM ({pool_sql(con, recipe, stream)})"
        for stream in recipe.streams
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE pool AS {parts}")


# --- targets --------------------------------------------------------------------------------------------------------


def _normalised(weights: dict) -> dict:
    total = sum(weights.values())
    return {k: v / total for k, v in weights.items()} if total > 0 else {k: 0.0 for k in weights}


def domain_shares(stream: Stream, natural: dict[str, float]) -> dict[str, float]:
    mode = stream.domain_weights
    if mode.mode == "explicit":
        return _normalised({d: w for d, w in mode.weights.items() if w > 0})
    shares = _normalised({d: t for d, t in natural.items() if t > 0})
    if mode.mode == "temperature":
        shares = _normalised({d: s ** (1 / mode.temperature) for d, s in shares.items()})
    return shares


def targets(recipe: MixtureRecipe, supply: list[tuple[str, str, str, float, float]]) -> list[tuple]:
    """(phase, stream, source, domain, target tokens) from (stream, source, domain, candidate, pool) supply."""
    rows = []
    for stream in recipe.streams:
        use_pool = stream.domain_weights.natural_from == "pool"
        natural: dict[str, dict[str, float]] = {}
        for name, src, domain, cand_tokens, pool_tokens in supply:
            if name == stream.name:
                natural.setdefault(src, {})[domain] = pool_tokens if use_pool else cand_tokens
        source_shares = _normalised({src: sum(d.values()) for src, d in natural.items()})
        if not any(source_shares.values()):  # nothing to draw from: one cell that records the whole shortfall
            source_shares = {ALL_SOURCES: 1.0}
        for phase in recipe.phases:
            for src in sorted(source_shares):
                shares = domain_shares(stream, natural.get(src, {}))
                if phase.upsample:
                    shares = _normalised({d: s * phase.upsample.get(d, 1.0) for d, s in shares.items()})
                budget = recipe.token_budget * phase.fraction * stream.share * source_shares[src]
                if not any(shares.values()):  # nothing to draw from: the whole budget is a shortfall
                    rows.append((phase.name, stream.name, src, ANY_DOMAIN, budget))
                for domain in sorted(shares):
                    if shares[domain] > 0:
                        rows.append((phase.name, stream.name, src, domain, budget * shares[domain]))
    return rows


# --- filling --------------------------------------------------------------------------------------------------------


def fill_sql(recipe: MixtureRecipe, phase: str, stream: str) -> str:
    cap = recipe.max_repeats
    noise_key = f"'{recipe.seed}:{stream}:{phase}:' || p.doc_id"
    gumbel = f"-ln(-ln({uniform_sql(noise_key)}))"
    unseen_first = "seen, " if recipe.prefer_unseen else ""
    return f"""
WITH c AS (
    SELECT p.doc_id, p.src, p.domain, p.tokens, p.base_weight, p.cluster_size, p.language, p.crawl_file,
           {cap} - coalesce(u.n, 0) AS room,
           least(p.base_weight, {cap} - coalesce(u.n, 0)) AS base,
           coalesce(u.n, 0) > 0 AS seen,
           p.order_score + CASE WHEN p.noisy THEN {gumbel} ELSE 0 END AS priority, p.tiebreak
    FROM pool AS p LEFT JOIN used AS u USING (doc_id)
    WHERE p.stream = {sql_string(stream)} AND p.cand AND coalesce(u.n, 0) < {cap}
),
t AS (SELECT src, domain, target FROM targets WHERE phase = {sql_string(phase)} AND stream = {sql_string(stream)}),
groups AS (SELECT src, domain, base, room, sum(tokens)::DOUBLE AS tokens FROM c GROUP BY ALL),
rounds AS (
    SELECT g.src, g.domain, r.k, sum(g.tokens * least(g.base * r.k, g.room)) AS achieved
    FROM groups AS g, range(1, {cap + 1}) AS r(k) GROUP BY ALL
),
full_rounds AS (
    SELECT t.src, t.domain, t.target, coalesce(max(r.k) FILTER (WHERE r.achieved <= t.target), 0) AS k
    FROM t LEFT JOIN rounds AS r USING (src, domain) GROUP BY ALL
),
ranked AS (
    SELECT c.*, f.target, least(c.base * f.k, c.room) AS r_full,
           least(c.base * (f.k + 1), c.room) - least(c.base * f.k, c.room) AS extra
    FROM c JOIN full_rounds AS f USING (src, domain)
),
running AS (
    SELECT *,
        target - sum(tokens * r_full) OVER (PARTITION BY src, domain) AS remaining,
        coalesce(sum(tokens * extra) OVER (
            PARTITION BY src, domain ORDER BY {unseen_first}priority DESC, tiebreak, doc_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
    FROM ranked
)
SELECT doc_id, {sql_string(phase)} AS phase, {sql_string(stream)} AS stream, r_full, extra, room,
       extra > 0 AND before + tokens * extra / 2.0 < remaining AS partial,
       row_number() OVER (PARTITION BY src, domain ORDER BY {unseen_first}priority DESC, tiebreak, doc_id) AS position,
       tokens, domain, language, crawl_file AS source, cluster_size, base_weight::INTEGER AS base_weight, src,
       target
FROM running"""


def balance(con: duckdb.DuckDBPyConnection) -> None:
    """Cells land within half a document each, but their misses add up over a phase. Move each cell's boundary
    document (the next one it would take, or the last one it took) where that brings the (phase, stream) total
    closest to its target, cells whose own miss the move shrinks (or grows least) first: the total lands within
    half a document, every cell stays within one. Cells short of supply are left out: their shortfall is
    recorded, not moved."""
    cells = con.execute(
        """
SELECT src, domain, any_value(target) AS target, sum(tokens * (r_full + CASE WHEN partial THEN extra ELSE 0 END))
FROM filled GROUP BY ALL HAVING bool_or(extra > 0 AND NOT partial) OR bool_or(partial)"""
    ).fetchall()
    gap = sum(t - a for _, _, t, a in cells)
    if abs(gap) < 1:
        return
    adding = gap > 0
    boundary = con.execute(
        f"""
SELECT src, domain, doc_id, tokens * extra AS amount FROM filled
WHERE {"extra > 0 AND NOT partial" if adding else "partial"}
QUALIFY position = {"min" if adding else "max"}(position) OVER (PARTITION BY src, domain)"""
    ).fetchall()
    miss = {(src, domain): t - a for src, domain, t, a in cells}
    sign = 1 if adding else -1

    def cost(b) -> float:  # how much further from its own target the move takes the cell (negative: closer)
        before = miss[(b[0], b[1])]
        return abs(before - sign * b[3]) - abs(before)

    boundary.sort(key=lambda b: (cost(b), b[0], b[1]))
    moved, chosen = 0.0, []
    for _, _, doc_id, amount in boundary:
        if moved + amount / 2 < abs(gap):
            moved += amount
            chosen.append(doc_id)
    if chosen:
        con.execute("UPDATE filled SET partial = NOT partial WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))", [chosen])


def cell_stats_sql(phase: str, stream: str) -> str:
    """Candidates and capacity (every candidate at its remaining cap) per cell, as the cell was filled."""
    return f"""
SELECT t.phase, t.stream, t.src, t.domain, count(f.doc_id) AS candidates,
       coalesce(sum(f.tokens * f.room), 0)::BIGINT AS capacity_tokens
FROM (SELECT * FROM targets WHERE phase = {sql_string(phase)} AND stream = {sql_string(stream)}) AS t
LEFT JOIN filled AS f ON f.src = t.src AND f.domain = t.domain
GROUP BY ALL"""


def compute_manifest(
    con: duckdb.DuckDBPyConnection, recipe: MixtureRecipe, snapshot_id: int, input_snapshots: dict[str, int]
) -> Manifest:
    """The recipe's manifest from the lake as `con` sees it (one snapshot, recorded as `snapshot_id`)."""
    weights, rates = {}, {}
    for stream in recipe.streams:
        weights[stream.name], rates[stream.name] = rehydration_weights(con, stream, recipe.max_repeats)
    build_pool(con, recipe, weights)
    supply = con.execute(
        "SELECT stream, src, domain, sum(tokens * base_weight) FILTER (WHERE cand)::DOUBLE, "
        "sum(tokens * base_weight)::DOUBLE FROM pool GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    supply = [(s, src, d, c or 0.0, p or 0.0) for s, src, d, c, p in supply]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE targets (phase VARCHAR, stream VARCHAR, src VARCHAR, domain VARCHAR, "
        "target DOUBLE)"
    )
    con.executemany("INSERT INTO targets VALUES (?, ?, ?, ?, ?)", targets(recipe, supply))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE manifest (doc_id VARCHAR, phase VARCHAR, stream VARCHAR, repeats INTEGER, "
        "tokens BIGINT, domain VARCHAR, language VARCHAR, source VARCHAR, cluster_size BIGINT, base_weight INTEGER, "
        "src VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cell_stats (phase VARCHAR, stream VARCHAR, src VARCHAR, domain VARCHAR, "
        "candidates BIGINT, capacity_tokens BIGINT)"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE used (doc_id VARCHAR, n INTEGER)")  # copies taken so far
    for phase in recipe.phases:
        for stream in recipe.streams:
            con.execute(f"CREATE OR REPLACE TEMP TABLE filled AS {fill_sql(recipe, phase.name, stream.name)}")
            con.execute(f"INSERT INTO cell_stats {cell_stats_sql(phase.name, stream.name)}")
            balance(con)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE step AS SELECT doc_id, phase, stream, "
                "(r_full + CASE WHEN partial THEN extra ELSE 0 END)::INTEGER AS repeats, tokens, domain, language, "
                "source, cluster_size, base_weight, src FROM filled "
                "WHERE r_full + CASE WHEN partial THEN extra ELSE 0 END > 0"
            )
            con.execute("INSERT INTO manifest SELECT * FROM step")
            con.execute(
                "CREATE OR REPLACE TEMP TABLE used AS SELECT doc_id, sum(n)::INTEGER AS n FROM "
                "(SELECT * FROM used UNION ALL SELECT doc_id, repeats FROM step) GROUP BY doc_id"
            )
    order = ", ".join(f"({sql_string(p)}, {i})" for i, p in enumerate(recipe.phase_names()))
    con.execute(f"CREATE OR REPLACE TEMP TABLE phase_order AS SELECT * FROM (VALUES {order}) AS v(phase, position)")
    rows = (
        con.execute(
            f"SELECT {', '.join(MANIFEST.names)} FROM manifest JOIN phase_order USING (phase) "
            "ORDER BY position, stream, doc_id"
        )
        .to_arrow_table()
        .cast(MANIFEST)
    )
    cells = (
        con.execute(
            """
SELECT t.phase, t.stream, t.src AS source, t.domain, t.target AS target_tokens,
       coalesce(sum(m.tokens * m.repeats), 0)::BIGINT AS achieved_tokens, count(m.doc_id) AS documents,
       coalesce(sum(m.repeats), 0)::BIGINT AS copies, coalesce(any_value(s.candidates), 0) AS candidates,
       coalesce(any_value(s.capacity_tokens), 0)::BIGINT AS capacity_tokens,
       CASE WHEN coalesce(any_value(s.capacity_tokens), 0) < t.target
            THEN greatest(t.target - coalesce(sum(m.tokens * m.repeats), 0), 0) ELSE 0 END AS shortfall_tokens
FROM targets AS t
JOIN phase_order AS o USING (phase)
LEFT JOIN manifest AS m ON m.phase = t.phase AND m.stream = t.stream AND m.src = t.src AND m.domain = t.domain
LEFT JOIN cell_stats AS s ON s.phase = t.phase AND s.stream = t.stream AND s.src = t.src AND s.domain = t.domain
GROUP BY t.phase, t.stream, t.src, t.domain, t.target, o.position
ORDER BY o.position, t.stream, t.src, t.domain"""
        )
        .to_arrow_table()
        .cast(CELLS)
    )
    summary = summarize(con, recipe, rows, cells, snapshot_id, input_snapshots, weights, rates)
    return Manifest(rows, cells, summary)


# --- summary --------------------------------------------------------------------------------------------------------


def _share(part: float, whole: float) -> float:
    return round(part / whole, 6) if whole else 0.0


def contaminated_rows(con, rows: pa.Table, input_snapshots: dict[str, int | None]) -> int:
    """Documents of manifest `rows` that a registered set's current version flags (read independently of how the
    pool was built: what the blocking check counts)."""
    if input_snapshots.get(tables.CONTAMINATION.name) is None:
        return 0
    con.register("_checked", rows.select(["doc_id"]))
    flagged = decontamination.flagged_sql(benchmark_versions())
    count = con.execute(f"SELECT count(DISTINCT doc_id) FROM _checked WHERE doc_id IN ({flagged})").fetchone()[0]
    con.unregister("_checked")
    return int(count)


def _token_count_used(recipe: MixtureRecipe) -> dict:
    counting = recipe.token_counting
    if counting.method == "tokenizer":
        tokenizer = open_tokenizer(counting.tokenizer, counting.eos_token)
        return {"method": "tokenizer", "tokenizer": tokenizer.id, "table": tables.DOCUMENT_TOKENS.name}
    if counting.method == "words":
        return {"method": "words", "estimate": f"words x {counting.tokens_per_word}"}
    return {"method": "estimate", "estimate": f"characters / {counting.chars_per_token}"}


def summarize(con, recipe, rows: pa.Table, cells: pa.Table, snapshot_id, input_snapshots, weights, rates) -> dict:
    """What the manifest promised and what it holds: deterministic (sorted, rounded), so equal inputs give equal
    bytes."""
    con.register("_rows", rows)
    con.register("_cells", cells)
    phases = []
    for phase in recipe.phases:
        domains = con.execute(
            """
SELECT c.domain, sum(c.target_tokens), sum(c.achieved_tokens)::BIGINT, sum(c.shortfall_tokens)
FROM _cells AS c WHERE c.phase = ? GROUP BY 1 ORDER BY 1""",
            [phase.name],
        ).fetchall()
        target = sum(t for _, t, _, _ in domains)
        achieved = sum(a for _, _, a, _ in domains)
        phases.append(
            {
                "phase": phase.name,
                "fraction": phase.fraction,
                "target_tokens": round(target),
                "achieved_tokens": int(achieved),
                "domains": [
                    {
                        "domain": d,
                        "target_tokens": round(t),
                        "achieved_tokens": int(a),
                        "target_share": _share(t, target),
                        "achieved_share": _share(a, achieved),
                        "shortfall_tokens": round(s),
                    }
                    for d, t, a, s in domains
                ],
            }
        )
    languages = con.execute(
        "SELECT language, sum(tokens * repeats)::BIGINT FROM _rows GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    totals = con.execute(
        "SELECT count(DISTINCT doc_id), coalesce(sum(repeats), 0)::BIGINT, "
        "coalesce(sum(tokens * repeats), 0)::BIGINT, coalesce(max(repeats), 0) FROM _rows"
    ).fetchone()
    most = con.execute(
        "SELECT coalesce(max(n), 0) FROM (SELECT sum(repeats) AS n FROM _rows GROUP BY doc_id)"
    ).fetchone()[0]
    shortfalls = con.execute(
        """
SELECT phase, stream, source, domain, target_tokens, achieved_tokens, candidates, shortfall_tokens FROM _cells
WHERE shortfall_tokens > 0"""
    ).fetchall()
    dropped, emptied = (0, 0, 0), {}
    if recipe.boilerplate_lines == "drop":
        dropped = con.execute(
            "SELECT count(*), coalesce(sum(b.boilerplate_lines * r.repeats), 0)::BIGINT, "
            f"coalesce(sum(b.boilerplate_chars * r.repeats), 0)::BIGINT FROM _rows AS r JOIN {BOILERPLATE} AS b "
            "USING (doc_id)"
        ).fetchone()
        for name in sorted({s.filter_recipe for s in recipe.streams}):
            emptied[name] = con.execute(
                f"SELECT count(*) FROM {DEDUPLICATED}.{name} JOIN {BOILERPLATE} AS b USING (doc_id) "
                "WHERE b.boilerplate_lines >= b.lines"
            ).fetchone()[0]
    versions = benchmark_versions()
    scanned = input_snapshots.get(tables.CONTAMINATION.name) is not None
    flagged = decontamination.flagged_sql(versions if scanned else {})
    in_manifest = con.execute(f"SELECT count(DISTINCT doc_id) FROM _rows WHERE doc_id IN ({flagged})").fetchone()[0]
    left_out = {
        name: con.execute(f"SELECT count(*) FROM {DEDUPLICATED}.{name} WHERE doc_id IN ({flagged})").fetchone()[0]
        for name in sorted({s.filter_recipe for s in recipe.streams})
    }
    con.unregister("_rows")
    con.unregister("_cells")
    achieved_total = totals[2]
    return {
        "recipe": recipe.name,
        "recipe_sha256": recipe.sha256,
        "recipe_settings": recipe.model_dump(mode="json"),
        "code_version": code_version(),
        "lake_snapshot_id": snapshot_id,
        "input_table_snapshots": dict(sorted(input_snapshots.items())),
        "token_budget": recipe.token_budget,
        "achieved_tokens": achieved_total,
        "documents": totals[0],
        "copies": totals[1],
        "max_repeats_of_a_document": int(most),
        "phases": phases,
        "token_count": _token_count_used(recipe),
        "boilerplate_lines": {  # over every copy: what the shards leave out of the lake's texts
            "mode": recipe.boilerplate_lines,
            "manifest_rows_with_lines_dropped": int(dropped[0]),
            "lines_dropped": int(dropped[1]),
            "characters_dropped": int(dropped[2]),
            "documents_left_out_as_all_boilerplate": emptied,  # per filter recipe
        },
        "decontamination": {  # the contamination scan's verdicts at this snapshot, by the sets' current versions
            "mode": recipe.decontamination,
            "benchmarks": versions,
            "flagged_documents_in_pool": left_out,  # per filter recipe: left out unless mode is keep
            "contaminated_documents_in_manifest": int(in_manifest),
        },
        "languages": [
            {"language": lang, "tokens": int(t), "share": _share(t, achieved_total)} for lang, t in languages
        ],
        "rehydration_weights": {s: {str(k): v for k, v in w.items()} for s, w in weights.items()},
        "rehydration_removal_rates": {
            s: [{"cluster_size": size, "clusters": n, "removed": r} for size, n, r in r_]
            for s, r_ in rates.items()
            if r_
        },
        "shortfalls": [
            {
                "phase": p,
                "stream": s,
                "source": src,
                "domain": d,
                "target_tokens": round(t),
                "achieved_tokens": int(a),
                "candidates": int(n),
                "shortfall_tokens": round(short),
                "reason": "no candidates" if not n else f"supply at the repetition cap ({recipe.max_repeats})",
            }
            for p, s, src, d, t, a, n, short in shortfalls
        ],
    }
