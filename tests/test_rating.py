"""Quality ratings: annotations in, a cross-validated rater and a fastText classifier trained, documents scored
per Arrow batch on the CPU, and Great Expectations gates that stop scoring (input) and what follows (output)."""

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import numpy as np
import pyarrow as pa
import pytest

from assets.rating import assets as rating
from assets.transforms import schemas
from assets.transforms.rating import scoring
from assets.transforms.rating.annotations import AnnotationError, load_annotations
from assets.transforms.rating.criteria import CRITERIA, DOMAINS, annotator_view
from assets.transforms.rating.encoder import pick_device, windows_of
from assets.transforms.recipes import load_recipes
from orchestration.resources import AnnotationsResource, LakeResource, ModelStoreResource

ANNOTATIONS = Path(__file__).resolve().parents[1] / "data" / "annotations"
QUICK = {
    rating.RATER_MODEL: {
        "config": {
            "max_annotations": 80,
            "folds": 2,
            "inner_folds": 2,
            "mlp_epochs": 15,
            "mlp_seeds": 1,
            "gbm_iterations": 40,
            "window_tokens": 32,
        }
    },
    rating.QUALITY_CLASSIFIER: {"config": {"max_annotations": 80, "folds": 2}},
}
RECIPES = list(load_recipes(Path(__file__).resolve().parents[1] / "recipes" / "filters").values())


def annotation_rows(n: int) -> list[dict]:
    lines = (ANNOTATIONS / "dataman-ratings-800.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:n]]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


# --- annotation files --------------------------------------------------------------------------------------------


def test_the_bundled_annotations_load_with_all_criteria_and_domains():
    table = load_annotations(ANNOTATIONS)
    assert table.num_rows == 800
    assert set(table.column("domain").to_pylist()) <= set(DOMAINS)
    for c in CRITERIA:
        values = table.column(c).to_numpy()
        assert values.min() >= 1 and values.max() <= 5
    long = [
        t
        for t, n in zip(table.column("text").to_pylist(), table.column("full_chars").to_pylist(), strict=True)
        if n > 2500
    ]
    assert long and all("\n[...]\n" in t and len(t) <= 2507 for t in long)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"overall_score": 6}, "overall_score", "outside 1..5"),
        ({"coherence": "high"}, "coherence", "expected an integer"),
        ({"domain": "Sports"}, "domain", "not one of DataMan's 15 domains"),
        ({"text": None}, "text", "missing"),
    ],
)
def test_a_malformed_annotation_refuses_the_set_with_file_line_and_field(tmp_path, change, field, reason):
    rows = annotation_rows(3)
    rows[1].update(change)
    write_jsonl(tmp_path / "batch.jsonl", rows)
    with pytest.raises(AnnotationError) as refused:
        load_annotations(tmp_path)
    assert (refused.value.file, refused.value.line, refused.value.field) == ("batch.jsonl", 2, field)
    assert reason in refused.value.reason


def test_a_document_rated_in_two_files_is_refused(tmp_path):
    rows = annotation_rows(2)
    write_jsonl(tmp_path / "a.jsonl", rows)
    write_jsonl(tmp_path / "b.jsonl", rows[1:])
    with pytest.raises(AnnotationError, match="already rated in a.jsonl:2"):
        load_annotations(tmp_path)


def test_the_annotator_view_is_head_and_tail_of_long_texts():
    text = "a" * 2000 + "b" * 1000
    view = annotator_view(text)
    assert view == "a" * 1800 + "\n[...]\n" + "b" * 700
    assert annotator_view("short text") == "short text"


def test_embedding_windows_cover_head_and_tail_without_overlap():
    assert windows_of(list(range(100)), 128) == [list(range(100))]
    assert windows_of(list(range(200)), 128) == [list(range(128)), list(range(128, 200))]
    assert windows_of(list(range(1000)), 128) == [list(range(128)), list(range(872, 1000))]


def test_scoring_runs_in_the_gpu_pool():
    assert rating.quality_ratings.op.pool == rating.GPU_POOL == "gpu"


def test_the_device_falls_back_to_cpu_and_refuses_a_missing_gpu():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert pick_device("auto") == "cpu"
    with pytest.raises(ValueError, match="CUDA is not available"):
        pick_device("cuda")


# --- a small lake: documents, deduplicated views, models ---------------------------------------------------------


def seed_documents(lake: LakeResource, texts: list[tuple[str, str, float]]) -> None:
    """documents rows and one deduplicated view per recipe over all of them (stand-ins for the crawl stages)."""
    rows = [
        {
            "doc_id": f"doc-{i:03d}",
            "page_id": f"doc-{i:03d}",
            "crawl_file": "seed.jsonl",
            "url": f"https://example.org/{i}",
            "host": "example.org",
            "fetch_date": datetime(2024, 3, 1, tzinfo=UTC),
            "text": text,
            "language": language,
            "language_score": score,
            "char_count": len(text),
            "word_count": len(text.split()),
            "line_count": text.count("\n") + 1,
            "extractor": "test",
        }
        for i, (text, language, score) in enumerate(texts)
    ]
    store = lake.lake()
    with store.transaction("seed documents") as con:
        con.execute("DROP TABLE IF EXISTS documents")
        con.register("_docs", pa.Table.from_pylist(rows, schema=schemas.DOCUMENTS))
        con.execute("CREATE TABLE documents AS SELECT * FROM _docs")
        con.unregister("_docs")
        con.execute("CREATE SCHEMA IF NOT EXISTS deduplicated_documents")
        for recipe in RECIPES:
            con.execute(f"CREATE OR REPLACE VIEW deduplicated_documents.{recipe.name} AS SELECT * FROM main.documents")


@dg.asset(deps=[rating.QUALITY_RATINGS], group_name="downstream")
def downstream_of_quality_ratings() -> None:
    """Stands in for the mixtures that read the ratings."""


RATING_ASSETS = [
    rating.annotations,
    rating.rater_model,
    rating.quality_classifier,
    rating.rating_input_asset(RECIPES),
    rating.quality_ratings,
    downstream_of_quality_ratings,
]


@pytest.fixture(scope="module")
def rated_lake(tmp_path_factory):
    """A lake with 12 real documents, a quick rater and classifier trained on 80 annotations, all scored."""
    root = tmp_path_factory.mktemp("rating")
    lake = LakeResource(
        catalog="sqlite:" + str(root / "lake" / "catalog.sqlite"), data_path=str(root / "lake" / "files")
    )
    docs = [(r["text"], r["language"], 0.9) for r in annotation_rows(200)[100:112] if r["text"]]
    seed_documents(lake, docs)
    resources = {
        "lake": lake,
        "models": ModelStoreResource(path=str(root / "models")),
        "annotations": AnnotationsResource(path=str(ANNOTATIONS)),
    }
    with dg.instance_for_test() as instance:
        result = dg.materialize(RATING_ASSETS, instance=instance, resources=resources, run_config={"ops": QUICK})
        yield lake, resources, result, len(docs)


def read_table(lake: LakeResource, sql: str) -> pa.Table:
    with lake.lake().connect(read_only=True) as con:
        return con.execute(sql).to_arrow_table()


def materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def check(result, name: str):
    [evaluation] = [c for c in result.get_asset_check_evaluations() if c.check_name == name]
    return evaluation


def test_every_deduplicated_document_gets_ratings_a_domain_and_model_versions(rated_lake):
    lake, _, result, documents = rated_lake
    assert result.success
    ratings = read_table(lake, "SELECT * FROM quality_ratings ORDER BY doc_id")
    assert ratings.num_rows == documents
    assert ratings.column("doc_id").to_pylist() == [f"doc-{i:03d}" for i in range(documents)]
    for c in CRITERIA:
        assert set(ratings.column(c).to_pylist()) <= {1, 2, 3, 4, 5}
    assert set(ratings.column("domain").to_pylist()) <= set(DOMAINS)
    assert all(0 <= p <= 1 for p in ratings.column("fasttext_quality").to_pylist())
    versions = read_table(lake, "SELECT kind, version, annotations FROM model_versions ORDER BY kind").to_pylist()
    assert [(v["kind"], v["annotations"]) for v in versions] == [("quality_classifier", 80), ("rater", 80)]
    assert set(ratings.column("rater_version").to_pylist()) == {versions[1]["version"]}
    assert check(result, rating.CHECK_RATING_INPUT).passed and check(result, rating.CHECK_QUALITY_RATINGS).passed
    assert "downstream_of_quality_ratings" in materialized(result)


def test_the_rater_reports_cross_validated_metrics_beside_baselines(rated_lake):
    _, _, result, _ = rated_lake
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "rater_model"]
    metadata = event.materialization.metadata
    assert metadata["folds"].value == 2 and metadata["annotations"].value == 80
    # even a quick rater on 80 documents ranks overall quality far better than predicting the mean (0.0)
    assert metadata["overall_spearman"].value > 0.4
    assert metadata["domain_accuracy"].value >= metadata["baseline_domain_accuracy"].value - 0.1
    table = metadata["criteria"].value
    assert all(c in table for c in CRITERIA)
    classifier = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "quality_classifier"
    ]
    assert classifier[0].materialization.metadata["roc_auc_high_vs_low"].value > 0.6


def test_scoring_is_a_pure_function_of_an_arrow_batch(rated_lake):
    lake, resources, _, _ = rated_lake
    store = resources["models"].store()
    versions = rating.current_versions(lake)
    scorer = scoring.Scorer(
        store.load_rater(versions["rater"]),
        store.load_classifier(versions["quality_classifier"]),
        versions["quality_classifier"],
    )
    docs = read_table(lake, "SELECT doc_id, text, language, language_score FROM rating_input ORDER BY doc_id")
    whole = scorer(docs)
    parts = pa.concat_tables([scorer(batch) for batch in docs.to_batches(max_chunksize=5)])
    assert whole.schema == scoring.SCHEMA and whole.column("doc_id") == docs.column("doc_id")
    assert np.allclose(
        whole.column("overall_score_expected").to_numpy(), parts.column("overall_score_expected").to_numpy(), atol=1e-3
    )
    assert scorer(docs.slice(0, 0)).num_rows == 0
    stored = read_table(lake, "SELECT doc_id, overall_score_expected FROM quality_ratings ORDER BY doc_id")
    assert np.allclose(stored.column(1).to_numpy(), whole.column("overall_score_expected").to_numpy(), atol=1e-3)


def test_rerunning_reuses_the_stored_model_and_scores_only_new_documents(rated_lake):
    lake, resources, _, documents = rated_lake
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [rating.rater_model, rating.rating_input_asset(RECIPES), rating.quality_ratings],
            instance=instance,
            resources=resources,
            run_config={"ops": {rating.RATER_MODEL: QUICK[rating.RATER_MODEL]}},
        )
    [trained] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "rater_model"]
    assert trained.materialization.metadata["reused"].value is True
    [event] = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "quality_ratings"
    ]
    assert event.materialization.metadata["scored_this_run"].value == 0
    assert read_table(lake, "SELECT count(*) AS n FROM quality_ratings").column("n")[0].as_py() == documents


def test_a_failing_input_expectation_stops_scoring(rated_lake, monkeypatch):
    lake, resources, _, _ = rated_lake
    original = rating.rating_input_sql
    # a bug upstream: every document twice, one of them empty
    monkeypatch.setattr(
        rating,
        "rating_input_sql",
        lambda recipes: original(recipes) + " UNION ALL SELECT 'doc-000', 'x', 'u', '', 'en', 1.5",
    )
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [rating.rating_input_asset(RECIPES), rating.quality_ratings, downstream_of_quality_ratings],
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
    gate = check(result, rating.CHECK_RATING_INPUT)
    assert not result.success and not gate.passed
    assert gate.metadata["failed_expectations"].value == 3  # unique doc_id, text length, language score
    assert "expect_column_values_to_be_unique" in gate.metadata["results"].value
    assert materialized(result) == {"rating_input"}
    monkeypatch.undo()
    with dg.instance_for_test() as instance:  # put the good view back for the other tests
        dg.materialize([rating.rating_input_asset(RECIPES)], instance=instance, resources=resources)


def test_a_failing_output_expectation_blocks_what_reads_the_ratings(rated_lake, monkeypatch):
    lake, resources, _, documents = rated_lake
    original = scoring.Scorer.score

    def off_scale(self, batch):  # a bug in the scorer: ratings of 0
        table = original(self, batch)
        return table.set_column(
            table.schema.get_field_index("coherence"), "coherence", pa.array([0] * table.num_rows, pa.int8())
        )

    monkeypatch.setattr(scoring.Scorer, "score", off_scale)
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [rating.quality_ratings, downstream_of_quality_ratings],
            instance=instance,
            resources=resources,
            run_config={"ops": {rating.QUALITY_RATINGS: {"config": {"rescore_all": True}}}},
            raise_on_error=False,
        )
    gate = check(result, rating.CHECK_QUALITY_RATINGS)
    assert not gate.passed and gate.metadata["unexpected_rows"].value == documents
    assert "downstream_of_quality_ratings" not in materialized(result)


# --- annotations from an LLM endpoint (a local fake server) ----------------------------------------------------


class FakeChatServer(BaseHTTPRequestHandler):
    answers: list[str] = []
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeChatServer.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        answer = FakeChatServer.answers[(len(FakeChatServer.requests) - 1) % len(FakeChatServer.answers)]
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": answer}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_endpoint(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), FakeChatServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeChatServer.requests = []
    monkeypatch.setenv("CURATOR_ANNOTATOR_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1")
    monkeypatch.setenv("CURATOR_ANNOTATOR_MODEL", "fake-rater")
    monkeypatch.setenv("CURATOR_ANNOTATOR_API_KEY", "secret")
    yield FakeChatServer
    server.shutdown()


def test_an_llm_endpoint_rates_new_documents_into_a_new_annotation_file(tmp_path, fake_endpoint):
    good = {c: 4 for c in CRITERIA} | {"domain": "Technology", "language": "en"}
    fake_endpoint.answers = ["Here you go:\n" + json.dumps(good), json.dumps(good | {"overall_score": 9})]
    folder = tmp_path / "annotations"
    folder.mkdir()
    write_jsonl(folder / "seed.jsonl", annotation_rows(3))
    lake = LakeResource(
        catalog="sqlite:" + str(tmp_path / "lake" / "catalog.sqlite"), data_path=str(tmp_path / "lake" / "files")
    )
    seed_documents(lake, [("A long enough English text about computers.\n" * 5, "en", 0.95)] * 4)
    with lake.lake().transaction("rating input") as con:
        con.execute(f"CREATE VIEW rating_input AS {rating.rating_input_sql(RECIPES)}")
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [rating.annotations],
            instance=instance,
            resources={"lake": lake, "annotations": AnnotationsResource(path=str(folder))},
            run_config={"ops": {rating.ANNOTATIONS: {"config": {"request_new": 4}}}},
        )
    assert len(fake_endpoint.requests) == 4
    first = fake_endpoint.requests[0]
    assert first["path"] == "/v1/chat/completions" and first["auth"] == "Bearer secret"
    assert first["body"]["model"] == "fake-rater" and "DataMan" in first["body"]["messages"][0]["content"]
    [new_file] = folder.glob("llm-*.jsonl")
    rated = [json.loads(line) for line in new_file.read_text().splitlines()]
    assert len(rated) == 2  # the two answers rating overall_score 9 were refused
    assert all(r["overall_score"] == 4 and r["domain"] == "Technology" for r in rated)
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["requested_from_endpoint"].value == 2
    assert read_table(lake, "SELECT count(*) AS n FROM annotations").column("n")[0].as_py() == 5


def test_asking_for_llm_annotations_without_an_endpoint_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATOR_ANNOTATOR_BASE_URL", raising=False)
    lake = LakeResource(
        catalog="sqlite:" + str(tmp_path / "lake" / "catalog.sqlite"), data_path=str(tmp_path / "lake" / "files")
    )
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [rating.annotations],
            instance=instance,
            resources={"lake": lake, "annotations": AnnotationsResource(path=str(ANNOTATIONS))},
            run_config={"ops": {rating.ANNOTATIONS: {"config": {"request_new": 1}}}},
            raise_on_error=False,
        )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "CURATOR_ANNOTATOR_BASE_URL" in failure.message


def test_the_fasttext_classifier_scores_high_and_low_texts_and_empty_ones_as_zero():
    from assets.transforms.rating.quality_classifier import (
        ClassifierSettings,
        high_quality_probability,
        train_classifier,
    )

    table = load_annotations(ANNOTATIONS)
    texts, overall = table.column("text").to_pylist(), table.column("overall_score").to_numpy()
    model = train_classifier(texts[:400], overall[:400], ClassifierSettings())
    held_out = high_quality_probability(model, texts[400:])
    assert held_out[overall[400:] >= 4].mean() > held_out[overall[400:] <= 2].mean() + 0.2
    assert list(high_quality_probability(model, ["", "   \n"])) == [0.0, 0.0]
