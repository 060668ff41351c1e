"""The dbt marts on the demo lake (every stage materialized by `make demo`'s run) agree with the lake tables
they summarise, recomputed here independently of the models."""

import math
import re
from collections import Counter

import pytest

RECIPES = ("fineweb", "fineweb2")


@pytest.fixture(scope="module")
def con(demo_lake):
    with demo_lake["lake"].lake().connect(read_only=True) as connection:
        yield connection


def query(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def test_the_demo_builds_every_mart_and_passes_every_dbt_test(demo_lake):
    assert demo_lake["failed"] == []
    tables = demo_lake["tables"]
    for mart in (
        "corpus_funnel",
        "filter_removals",
        "language_distribution",
        "recipe_languages",
        "ratings_by_domain",
        "dedup_cluster_sizes",
        "mixture_composition",
        "concept_terms",
        "concept_pairs",
    ):
        assert tables.get(f"stats.{mart}", 0) > 0, mart


@pytest.mark.parametrize("recipe", RECIPES)
def test_the_funnel_counts_each_stage_per_partition(con, recipe):
    funnel = {
        r[0]: r[1:]
        for r in query(
            con,
            "SELECT crawl_file, pages, documents, kept, unique_documents, rated, selected FROM stats.corpus_funnel "
            "WHERE recipe = ?",
            [recipe],
        )
    }
    expected = {}
    for (crawl_file,) in query(con, "SELECT DISTINCT crawl_file FROM documents"):

        def count(sql, crawl_file=crawl_file):
            return query(con, sql, [crawl_file])[0][0]

        unique = f"FROM deduplicated_documents.{recipe} d WHERE d.crawl_file = ?"
        expected[crawl_file] = (
            count("SELECT count(*) FROM raw_pages WHERE crawl_file = ?"),
            count("SELECT count(*) FROM documents WHERE crawl_file = ?"),
            count(f"SELECT count(*) FROM filtered_documents.{recipe} WHERE crawl_file = ?"),
            count(f"SELECT count(*) {unique}"),
            count(f"SELECT count(*) {unique} AND doc_id IN (SELECT doc_id FROM quality_ratings)"),
            count(
                f"SELECT count(*) {unique} AND doc_id IN (SELECT doc_id FROM mixture_manifests.fineweb_like "
                "UNION SELECT doc_id FROM mixture_manifests.qurating_like "
                "UNION SELECT doc_id FROM mixture_manifests.dataman_like)"
            ),
        )
    assert funnel == expected
    assert sum(row[5] for row in funnel.values()) > 0  # something was selected


@pytest.mark.parametrize("recipe", RECIPES)
def test_removals_per_filter_and_reason_match_the_verdicts(con, recipe):
    removed = dict(
        query(
            con,
            "SELECT filter || ':' || reason, sum(removed)::INT FROM stats.filter_removals WHERE recipe = ? "
            "GROUP BY 1 HAVING sum(removed) > 0",
            [recipe],
        )
    )
    verdicts = dict(
        query(con, f"SELECT reason, count(*) FROM filtered_documents.{recipe}__verdicts WHERE NOT kept GROUP BY 1")
    )
    assert removed == verdicts
    gopher = {"fineweb": "gopher_quality", "fineweb2": "fineweb2_gopher_quality"}[recipe]
    failing = query(
        con,
        "SELECT sum(failing)::INT FROM stats.filter_removals WHERE recipe = ? AND filter = ? "
        "AND reason = 'gopher_below_alpha_threshold'",
        [recipe, gopher],
    )[0][0]
    independent = query(
        con,
        f"SELECT count(*) FROM filtered_documents.{recipe}__verdicts "
        f"WHERE {gopher}_reason = 'gopher_below_alpha_threshold'",
    )[0][0]
    assert failing == independent > removed.get(f"{gopher}:gopher_below_alpha_threshold", 0)


def test_languages_add_up_to_each_partitions_documents(con):
    per_partition = query(
        con,
        "SELECT l.crawl_file, sum(l.documents)::INT, d.n, round(sum(l.share_of_partition), 2) "
        "FROM stats.language_distribution l JOIN (SELECT crawl_file, count(*) AS n FROM documents GROUP BY 1) d "
        "USING (crawl_file) GROUP BY l.crawl_file, d.n",
    )
    assert len(per_partition) == 5
    assert all(total == n and share == 1.0 for _, total, n, share in per_partition)
    top = query(
        con,
        "SELECT language FROM stats.language_distribution "
        "WHERE crawl_file = 'small-crawl-a.warc.gz' AND rank_in_partition = 1",
    )
    assert top == [("en",)]


def test_ratings_by_domain_are_the_mean_and_histogram_of_each_criterion(con):
    mart = {
        (d, c): (n, mean, hist)
        for d, c, n, mean, *hist in query(
            con,
            "SELECT domain, criterion, documents, mean_score, score_1, score_2, score_3, score_4, score_5 "
            "FROM stats.ratings_by_domain",
        )
    }
    assert len({c for _, c in mart}) == 14
    for domain, n, mean, *hist in query(
        con,
        "SELECT domain, count(*), round(avg(coherence), 3), "
        + ", ".join(f"count(*) FILTER (WHERE coherence = {s})" for s in range(1, 6))
        + " FROM quality_ratings GROUP BY 1",
    ):
        assert mart[(domain, "coherence")] == (n, mean, hist)


def test_cluster_sizes_account_for_every_fingerprinted_document(con):
    documents, duplicates, clusters = query(
        con, "SELECT sum(documents)::INT, sum(duplicates)::INT, sum(clusters)::INT FROM stats.dedup_cluster_sizes"
    )[0]
    assert (documents, duplicates, clusters) == query(
        con,
        "SELECT count(*), count(*) FILTER (WHERE NOT is_representative), count(DISTINCT cluster_id) "
        "FROM dedup_clusters",
    )[0]
    assert duplicates > 0


def test_mixture_composition_is_the_manifest_against_its_targets(con):
    for recipe in ("fineweb_like", "qurating_like"):
        achieved = dict(
            query(
                con,
                "SELECT phase || '/' || domain, achieved_tokens::BIGINT FROM stats.mixture_composition "
                "WHERE recipe = ? AND achieved_tokens > 0",
                [recipe],
            )
        )
        assert achieved == dict(
            query(
                con, f"SELECT phase || '/' || domain, sum(tokens * repeats) FROM mixture_manifests.{recipe} GROUP BY 1"
            )
        )
    gaps = query(con, "SELECT max(abs(share_gap)) FROM stats.mixture_composition WHERE recipe = 'fineweb_like'")
    assert gaps[0][0] < 0.05  # natural domain weights met within five points
    # the DataMan recipe reads the documents rated 5 (calibrated ratings: a few percent of the sample), and the
    # cells whose source x domain has none are shortfalls
    [(achieved, shortfall)] = query(
        con,
        "SELECT sum(achieved_tokens), sum(shortfall_tokens) FROM stats.mixture_composition "
        "WHERE recipe = 'dataman_like'",
    )
    assert achieved == query(con, "SELECT sum(tokens * repeats) FROM mixture_manifests.dataman_like")[0][0] > 0
    assert shortfall > 0


def rated_english_terms(con) -> dict[str, list[set[str]]]:
    stopwords = {w for (w,) in query(con, "SELECT word FROM stats.stopwords")}
    by_domain: dict[str, list[set[str]]] = {}
    for domain, text in query(
        con,
        "SELECT r.domain, d.text FROM quality_ratings r JOIN documents d USING (doc_id) WHERE d.language = 'en'",
    ):
        terms = {t for t in re.findall(r"[a-z][a-z]+", text.lower()) if len(t) >= 3 and t not in stopwords}
        by_domain.setdefault(domain, []).append(terms)
    return by_domain


def test_concept_terms_and_pair_pmi_per_domain(con):
    by_domain = rated_english_terms(con)
    for domain, term, term_documents, domain_documents in query(
        con, "SELECT domain, term, term_documents, domain_documents FROM stats.concept_terms WHERE rank = 1"
    ):
        docs = by_domain[domain]
        frequency = Counter(t for terms in docs for t in terms)
        assert domain_documents == len(docs)
        assert term_documents == frequency[term] == max(frequency.values())
    pairs = query(con, "SELECT domain, term_a, term_b, pair_documents, pmi FROM stats.concept_pairs WHERE rank <= 3")
    assert pairs
    for domain, a, b, together, pmi in pairs:
        docs = by_domain[domain]
        n_a, n_b = sum(a in d for d in docs), sum(b in d for d in docs)
        assert together == sum(a in d and b in d for d in docs) >= 3
        assert pmi == pytest.approx(math.log(together * len(docs) / (n_a * n_b)), abs=1e-4)


def test_every_asset_shows_its_row_count_and_a_markdown_table(demo_lake):
    from orchestration.definitions import defs

    metadata = demo_lake["metadata"]
    assert set(metadata) == {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    without_rows = sorted(key for key, m in metadata.items() if "dagster/row_count" not in m)
    assert without_rows == []
    without_table = sorted(key for key, m in metadata.items() if not any(text.startswith("|") for text in m.values()))
    assert without_table == []
