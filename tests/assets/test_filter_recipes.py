"""Filter recipes: validation before anything runs, the URL filter's reasons, and recipe views over stored signals."""

from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
from support.lake import materialize_partition
from support.recipes import FINEWEB, write_recipe
from support.samples import land

from assets.documents.assets import documents
from assets.filtered.assets import CHECK_VERDICT_PER_SIGNAL, filtered_documents_asset, filtered_documents_assets
from assets.ingestion.assets import ingest_crawl_file
from assets.resources import ComputeResource, LakeResource, LandingResource
from assets.signals.assets import QUALITY_SIGNALS, quality_signals
from curation.cli import main as check_recipes
from curation.filters import Document
from curation.filters import recipe as recipes
from curation.filters.recipe import RecipeError, load_recipe
from curation.filters.url import URLFilter
from curation.recipes import load_all

JSONL = "cc-main-2019-30-extracted-697.jsonl.gz"


def test_a_bad_recipe_fails_only_its_own_asset_and_the_checker_refuses_it_before_any_run(tmp_path, capsys):
    folder = tmp_path / "filters"
    write_recipe(folder, "good", {"filters": {"c4": {}}})
    write_recipe(folder, "loose", {"filters": {"gopher_quality": {"min_stop_words": 9}}})
    with pytest.raises(RecipeError, match=r"loose.yaml: filters.gopher_quality.min_stop_words: 9 is out of range"):
        recipes.load_recipes(folder)
    loaded = {a.key.to_user_string(): a for a in filtered_documents_assets(load_all(filter_folder=folder))}
    assert set(loaded) == {"filtered_documents/good", "filtered_documents/loose"}
    error = loaded["filtered_documents/loose"].metadata_by_key[dg.AssetKey(["filtered_documents", "loose"])]
    assert "min_stop_words: 9 is out of range" in error["recipe_error"]
    (tmp_path / "no-mixtures").mkdir()
    assert check_recipes(["check-recipes", "--filters", str(folder), "--mixtures", str(tmp_path / "no-mixtures")]) == 1
    out = capsys.readouterr().out
    assert "ok  " in out and "BAD " in out and "min_stop_words" in out


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """The JSONL sample ingested, extracted and measured once; recipes then only decide."""
    root = tmp_path_factory.mktemp("recipes")
    landing = root / "landing"
    landing.mkdir()
    land(landing, JSONL)
    lake = LakeResource(
        catalog="sqlite:" + str(root / "lake" / "catalog.sqlite"), data_path=str(root / "lake" / "files")
    )
    resources = {
        "lake": lake,
        "landing": LandingResource(path=str(landing), settle_seconds=0),
        "compute": ComputeResource(),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        materialize_partition([ingest_crawl_file, documents, quality_signals], instance, resources, JSONL)
        yield SimpleNamespace(instance=instance, resources=resources, lake=lake.lake(), root=root)


def query(lake, sql, params=None):
    with lake.connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def materialize_recipe(measured, path: Path):
    asset = filtered_documents_asset(load_recipe(path))
    result = dg.materialize([asset], instance=measured.instance, resources=measured.resources)
    [event] = result.get_asset_materialization_events()
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == CHECK_VERDICT_PER_SIGNAL and check.passed
    return asset, {k: v.value for k, v in event.materialization.metadata.items()}


def test_the_fineweb_view_keeps_what_the_stored_default_verdicts_keep(measured):
    _, metadata = materialize_recipe(measured, FINEWEB)
    kept = query(measured.lake, "SELECT count(*) FROM quality_signals WHERE fineweb_reason IS NULL")[0][0]
    assert query(measured.lake, "SELECT count(*) FROM filtered_documents.fineweb")[0][0] == kept
    assert metadata["dagster/row_count"] == kept and metadata["documents_measured"] == 670
    assert metadata["kept_fraction"] == round(kept / 670, 4)
    assert sum(v for k, v in metadata.items() if k.startswith("dropped_by_")) + kept == 670
    # the SQL decision agrees with the Python one stored by quality_signals, document by document
    disagreements = query(
        measured.lake,
        "SELECT count(*) FROM filtered_documents.fineweb__verdicts v JOIN quality_signals s USING (doc_id) "
        "WHERE v.reason IS DISTINCT FROM s.fineweb_reason",
    )
    assert disagreements == [(0,)]
    # the kept view carries the documents' text and columns
    [(language, has_text)] = query(
        measured.lake, "SELECT min(language), bool_and(length(text) > 0) FROM filtered_documents.fineweb"
    )
    assert language == "en" and has_text


def test_non_english_documents_are_dropped_by_fineweb_and_judged_by_their_own_language_in_fineweb2(measured):
    _, metadata = materialize_recipe(measured, FINEWEB.with_name("fineweb2.yaml"))
    materialize_recipe(measured, FINEWEB)
    kept = dict(
        query(
            measured.lake,
            "SELECT language_key, count(*) FROM filtered_documents.fineweb2 "
            "JOIN quality_signals USING (doc_id) GROUP BY 1",
        )
    )
    assert kept.get("spa_Latn", 0) > 0 and kept.get("eng_Latn", 0) > 0
    reasons = query(
        measured.lake,
        "SELECT DISTINCT f.reason FROM filtered_documents.fineweb__verdicts f "
        "JOIN filtered_documents.fineweb2__verdicts m USING (doc_id) WHERE m.kept AND m.language <> 'en'",
    )
    assert reasons == [("language:other_language",)]
    # each FineWeb-2 filter's SQL verdict is the Python verdict quality_signals stored, document by document
    for step in ("fineweb2_language", "fineweb2_repetition", "fineweb2_quality", "fineweb2_gopher_quality"):
        [(differ,)] = query(
            measured.lake,
            f"SELECT count(*) FROM filtered_documents.fineweb2__verdicts v JOIN quality_signals s USING (doc_id) "
            f"WHERE v.{step}_reason IS DISTINCT FROM s.{step}_reason",
        )
        assert differ == 0, step
    # a language without a FineWeb-2 config gets `default`: counted, and not judged by stop words
    [(defaults, unjudged)] = query(
        measured.lake,
        "SELECT count(*), count(*) FILTER (WHERE fineweb2_gopher_quality__stop_words IS NULL) FROM quality_signals "
        "WHERE language_key = 'default'",
    )
    assert defaults == unjudged == metadata["documents_with_default_language_settings"]


def test_a_per_language_override_moves_only_that_languages_verdicts_without_measuring(measured, tmp_path):
    base = load_recipe(FINEWEB.with_name("fineweb2.yaml"))
    recipe = {"filters": {name: dict(kwargs) for name, kwargs in base.steps}}
    recipe["filters"]["fineweb2_repetition"] = {"languages": {"spa_Latn": {"dup_line_frac": 0.01}}}
    path = write_recipe(tmp_path, "strict_spanish", recipe)
    materialize_recipe(measured, FINEWEB.with_name("fineweb2.yaml"))
    materialize_recipe(measured, path)
    moved = query(
        measured.lake,
        "SELECT a.language_key, b.reason FROM filtered_documents.fineweb2__verdicts v "
        "JOIN filtered_documents.strict_spanish__verdicts b USING (doc_id) JOIN quality_signals a USING (doc_id) "
        "WHERE v.reason IS DISTINCT FROM b.reason",
    )
    assert moved and {key for key, _ in moved} == {"spa_Latn"}
    assert {reason for _, reason in moved} == {"fineweb2_repetition:dup_line_frac"}
    with pytest.raises(RecipeError, match=r"filters.fineweb2_repetition.languages: .*'xyz_Latn' is not a FineWeb-2"):
        recipe["filters"]["fineweb2_repetition"] = {"languages": {"xyz_Latn": {"dup_line_frac": 0.2}}}
        load_recipe(write_recipe(tmp_path, "bad_key", recipe))
    with pytest.raises(RecipeError, match=r"deu_Latn.new_line_ratio: not a setting of this filter"):
        recipe["filters"]["fineweb2_repetition"] = {"languages": {"deu_Latn": {"new_line_ratio": 0.2}}}
        load_recipe(write_recipe(tmp_path, "bad_setting", recipe))


def test_a_recipe_blocklist_drops_documents_from_listed_domains_and_urls(measured, tmp_path):
    [(host, count)] = query(
        measured.lake,
        "SELECT host, count(*) FROM documents d JOIN quality_signals s USING (doc_id) WHERE s.fineweb_reason IS NULL "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
    )
    parent = ".".join(host.split(".")[-2:])  # block the registered domain: the host is blocked with it
    [(url,)] = query(measured.lake, "SELECT min(url) FROM documents WHERE host <> ?", [host])
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "domains.txt").write_text(f"# test list\n{parent.upper()}\n")
    (tmp_path / "lists" / "urls.txt").write_text(f"{url}\n")
    recipe = (
        FINEWEB.read_text()
        .replace("name: fineweb", "name: blocking")
        .replace(
            "    soft_word_threshold: 2",
            "    soft_word_threshold: 2\n    blocked_domains: [lists/domains.txt]\n    blocked_urls: [lists/urls.txt]",
        )
    )
    _, metadata = materialize_recipe(measured, write_recipe(tmp_path, "blocking", recipe))
    blocked = dict(
        query(measured.lake, "SELECT url_reason, count(*) FROM filtered_documents.blocking__verdicts GROUP BY 1")
    )
    assert blocked["domain"] >= count and blocked["url"] == 1
    assert metadata["dropped_by_url"] == sum(n for reason, n in blocked.items() if reason)
    # the SQL verdict is the Python filter's, URL by URL
    python = URLFilter(blocked_domains=frozenset({parent}), blocked_urls=frozenset({url}))
    rows = query(
        measured.lake,
        "SELECT d.url, d.host, v.url_reason FROM filtered_documents.blocking__verdicts v "
        "JOIN documents d USING (doc_id)",
    )
    assert [python.judge(Document("", url=u, host=h)) for u, h, _ in rows] == [r for _, _, r in rows]


def test_a_new_threshold_redecides_only_the_recipe_view(measured, tmp_path):
    folder = tmp_path / "filters"
    path = write_recipe(folder, "strict", FINEWEB.read_text().replace("name: fineweb", "name: strict"))
    asset, before = materialize_recipe(measured, path)
    signals_before = measured.instance.get_latest_materialization_event(dg.AssetKey(QUALITY_SIGNALS))
    upstream = [ingest_crawl_file, documents, quality_signals]
    tick = dg.evaluate_automation_conditions(  # the automation sensor's tick before the edit
        defs=dg.Definitions(assets=[*upstream, asset], resources=measured.resources), instance=measured.instance
    )
    assert tick.total_requested == 0

    path.write_text(path.read_text().replace("language_threshold: 0.65", "language_threshold: 0.95"))
    [edited] = filtered_documents_assets(load_all(filter_folder=folder))
    assert edited.code_versions_by_key[edited.key] != asset.code_versions_by_key[asset.key]
    defs = dg.Definitions(assets=[*upstream, edited], resources=measured.resources)
    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=measured.instance, cursor=tick.cursor)
    assert evaluation.total_requested == 1 and evaluation.get_num_requested(edited.key) == 1

    _, after = materialize_recipe(measured, path)
    assert after["dagster/row_count"] < before["dagster/row_count"]
    assert after["dropped_by_language"] > before["dropped_by_language"]
    assert after["documents_measured"] == before["documents_measured"]
    # nothing upstream was measured again
    latest = measured.instance.get_latest_materialization_event(dg.AssetKey(QUALITY_SIGNALS))
    assert latest.run_id == signals_before.run_id
