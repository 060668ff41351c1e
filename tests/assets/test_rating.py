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
from support.lake import copy_folders
from support.rating import ANNOTATIONS, QUICK, annotation_rows, write_jsonl

from assets.rating import GPU_POOL, models
from assets.rating import annotations as annotation_assets
from assets.rating import scoring as scoring_assets
from assets.resources import AnnotationsResource, ComputeResource, LakeResource, ModelStoreResource
from curation.lake import tables
from curation.rating import scoring
from curation.rating.criteria import CRITERIA, DOMAINS
from curation.rating.encoder import SentenceEncoder
from curation.rating.input import rating_input_sql
from curation.rating.registry import current_versions
from curation.recipes import load_all

RECIPES = load_all()  # the shipped filter recipes


def test_scoring_runs_in_the_gpu_pool():
    assert scoring_assets.quality_ratings.op.pool == GPU_POOL == "gpu"


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
        con.register("_docs", pa.Table.from_pylist(rows, schema=tables.DOCUMENTS.schema))
        con.execute("CREATE TABLE documents AS SELECT * FROM _docs")
        con.unregister("_docs")
        con.execute("CREATE SCHEMA IF NOT EXISTS deduplicated_documents")
        for recipe in RECIPES.filters.values():
            con.execute(f"CREATE OR REPLACE VIEW deduplicated_documents.{recipe.name} AS SELECT * FROM main.documents")


@dg.asset(deps=[scoring_assets.QUALITY_RATINGS], group_name="downstream")
def downstream_of_quality_ratings() -> None:
    """Stands in for the mixtures that read the ratings."""


RATING_ASSETS = [
    annotation_assets.annotations,
    models.rater_model,
    models.quality_classifier,
    scoring_assets.rating_input_asset(RECIPES),
    scoring_assets.quality_ratings,
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
        "compute": ComputeResource(),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(RATING_ASSETS, instance=instance, resources=resources, run_config={"ops": QUICK})
        yield lake, resources, result, len(docs)


@pytest.fixture
def own_rated_lake(rated_lake, tmp_path):
    """A private copy of the rated lake and its model store, for a test that writes: no test reads what another
    wrote."""
    lake, resources, result, documents = rated_lake
    source = Path(lake.data_path).parents[1]
    copy_folders(source, tmp_path, ("lake", "models"))
    own = LakeResource(
        catalog="sqlite:" + str(tmp_path / "lake" / "catalog.sqlite"), data_path=str(tmp_path / "lake" / "files")
    )
    own_resources = {**resources, "lake": own, "models": ModelStoreResource(path=str(tmp_path / "models"))}
    return own, own_resources, result, documents


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
    assert (
        check(result, scoring_assets.CHECK_RATING_INPUT).passed
        and check(result, scoring_assets.CHECK_QUALITY_RATINGS).passed
    )
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
    assert "Other" in metadata["domains"].value  # precision and recall per domain
    assert "share gap (points)" in table  # calibration against the annotations' shares (unit tests: the method)
    classifier = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "quality_classifier"
    ]
    assert classifier[0].materialization.metadata["roc_auc_high_vs_low"].value > 0.6


def test_scoring_is_a_pure_function_of_an_arrow_batch(rated_lake):
    lake, resources, _, _ = rated_lake
    store = resources["models"].store()
    versions = current_versions(lake.lake())
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


def test_rerunning_reuses_the_stored_model_and_scores_only_new_documents(own_rated_lake):
    lake, resources, _, documents = own_rated_lake
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [models.rater_model, scoring_assets.rating_input_asset(RECIPES), scoring_assets.quality_ratings],
            instance=instance,
            resources=resources,
            run_config={"ops": {models.RATER_MODEL: QUICK[models.RATER_MODEL]}},
        )
    [trained] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "rater_model"]
    assert trained.materialization.metadata["reused"].value is True
    [event] = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "quality_ratings"
    ]
    assert event.materialization.metadata["scored_this_run"].value == 0
    assert read_table(lake, "SELECT count(*) AS n FROM quality_ratings").column("n")[0].as_py() == documents


def test_the_fast_mode_is_a_new_rater_version_that_scores_without_a_transformer(own_rated_lake, monkeypatch):
    lake, resources, _, documents = own_rated_lake
    before = current_versions(lake.lake())["rater"]

    def no_transformer(*_args, **_kwargs):
        raise AssertionError("the fast mode ran the sentence transformer")

    monkeypatch.setattr(SentenceEncoder, "embed", no_transformer)
    fast = {models.RATER_MODEL: {"config": {**QUICK[models.RATER_MODEL]["config"], "mode": "fast"}}}
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [models.rater_model, scoring_assets.rating_input_asset(RECIPES), scoring_assets.quality_ratings],
            instance=instance,
            resources=resources,
            run_config={"ops": fast},
        )
    assert result.success
    [trained] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "rater_model"]
    metadata = trained.materialization.metadata
    version = metadata["version"].value
    assert version != before and metadata["mode"].value == "fast"
    assert metadata["overall_spearman"].value > 0.4
    # the stored fast rater holds its idf, not the embedding table (that reloads from the installed package)
    assert (Path(metadata["path"].value) / "rater.joblib").stat().st_size < 20_000_000  # the table: 47 MB
    ratings = read_table(lake, "SELECT * FROM quality_ratings")
    assert ratings.num_rows == documents and set(ratings.column("rater_version").to_pylist()) == {version}
    assert all(1 <= r <= 5 for r in ratings.column("overall_score").to_pylist())
    assert set(ratings.column("domain").to_pylist()) <= set(DOMAINS)


def test_a_failing_input_expectation_stops_scoring(own_rated_lake, monkeypatch):
    lake, resources, _, _ = own_rated_lake
    original = scoring_assets.rating_input_sql
    # a bug upstream: every document twice, one of them empty
    monkeypatch.setattr(
        scoring_assets,
        "rating_input_sql",
        lambda recipes: original(recipes) + " UNION ALL SELECT 'doc-000', 'x', 'u', '', 'en', 1.5",
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [scoring_assets.rating_input_asset(RECIPES), scoring_assets.quality_ratings, downstream_of_quality_ratings],
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
    gate = check(result, scoring_assets.CHECK_RATING_INPUT)
    assert not result.success and not gate.passed
    assert gate.metadata["failed_expectations"].value == 3  # unique doc_id, text length, language score
    assert "expect_column_values_to_be_unique" in gate.metadata["results"].value
    assert materialized(result) == {"rating_input"}


def test_a_failing_output_expectation_blocks_what_reads_the_ratings(own_rated_lake, monkeypatch):
    lake, resources, _, documents = own_rated_lake
    original = scoring.Scorer.score

    def off_scale(self, batch):  # a bug in the scorer: ratings of 0
        table = original(self, batch)
        return table.set_column(
            table.schema.get_field_index("coherence"), "coherence", pa.array([0] * table.num_rows, pa.int8())
        )

    monkeypatch.setattr(scoring.Scorer, "score", off_scale)
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [scoring_assets.quality_ratings, downstream_of_quality_ratings],
            instance=instance,
            resources=resources,
            run_config={"ops": {scoring_assets.QUALITY_RATINGS: {"config": {"rescore_all": True}}}},
            raise_on_error=False,
        )
    gate = check(result, scoring_assets.CHECK_QUALITY_RATINGS)
    assert not gate.passed and gate.metadata["unexpected_rows"].value == documents
    assert "downstream_of_quality_ratings" not in materialized(result)


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
        con.execute(f"CREATE VIEW rating_input AS {rating_input_sql(sorted(RECIPES.filters))}")
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [annotation_assets.annotations],
            instance=instance,
            resources={"lake": lake, "annotations": AnnotationsResource(path=str(folder))},
            run_config={"ops": {annotation_assets.ANNOTATIONS: {"config": {"request_new": 4}}}},
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
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [annotation_assets.annotations],
            instance=instance,
            resources={"lake": lake, "annotations": AnnotationsResource(path=str(ANNOTATIONS))},
            run_config={"ops": {annotation_assets.ANNOTATIONS: {"config": {"request_new": 1}}}},
            raise_on_error=False,
        )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "CURATOR_ANNOTATOR_BASE_URL" in failure.message


RATINGS = "SELECT * EXCLUDE (overall_score_expected, domain_probability, fasttext_quality) FROM quality_ratings"
SCORES = "SELECT doc_id, overall_score_expected, domain_probability, fasttext_quality FROM quality_ratings"


def assert_same_ratings(left: LakeResource, right: LakeResource) -> None:
    """The same ratings, domains and versions per document; the continuous scores within float noise (batches of
    another composition pad differently)."""
    order = " ORDER BY doc_id"
    assert read_table(left, RATINGS + order).to_pylist() == read_table(right, RATINGS + order).to_pylist()
    a, b = read_table(left, SCORES + order), read_table(right, SCORES + order)
    for column in ("overall_score_expected", "domain_probability", "fasttext_quality"):
        assert np.allclose(a.column(column).to_numpy(), b.column(column).to_numpy(), atol=1e-4), column


def test_ratings_on_a_postgres_catalog_equal_those_on_sqlite(rated_lake, request, tmp_path):
    from support.lake import postgres_catalog

    sqlite_lake, resources, _, documents = rated_lake
    lake = LakeResource(catalog=postgres_catalog(request), data_path=str(tmp_path / "files"))
    docs = [(r["text"], r["language"], 0.9) for r in annotation_rows(200)[100:112] if r["text"]]
    seed_documents(lake, docs)
    registry = read_table(sqlite_lake, "SELECT * FROM model_versions")
    with lake.lake().transaction("the rated lake's models") as con:
        con.register("_models", registry)
        con.execute("CREATE TABLE model_versions AS SELECT * FROM _models")
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [scoring_assets.rating_input_asset(RECIPES), scoring_assets.quality_ratings],
            instance=instance,
            resources={**resources, "lake": lake},
        )
    assert result.success
    assert read_table(lake, "SELECT count(*) AS n FROM quality_ratings").column("n")[0].as_py() == documents
    assert_same_ratings(lake, sqlite_lake)


def test_rating_actors_take_the_gpu_node_of_a_two_node_cluster(own_rated_lake, rated_lake, monkeypatch):
    """A head node without GPUs and a worker node that advertises one: the scoring actor is placed on the GPU
    node (`num_gpus=1`), and scores as the in-process path did (CPU inside: the GPU here is only a resource)."""
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # loopback only, before Ray is imported
    from ray.cluster_utils import Cluster

    lake, resources, _, documents = own_rated_lake
    cluster = Cluster(initialize_head=True, connect=True, head_node_args={"num_cpus": 1})
    try:
        gpu_node = cluster.add_node(num_cpus=1, num_gpus=1)
        cluster.wait_for_nodes()
        compute = ComputeResource(engine="ray", ray_address=cluster.address)
        with dg.DagsterInstance.ephemeral() as instance:
            result = dg.materialize(
                [scoring_assets.rating_input_asset(RECIPES), scoring_assets.quality_ratings],
                instance=instance,
                resources={**resources, "compute": compute},
                run_config={"ops": {"quality_ratings": {"config": {"rescore_all": True, "batch_documents": 4}}}},
            )
    finally:
        import ray

        ray.shutdown()
        cluster.shutdown()
    assert result.success
    [event] = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "quality_ratings"
    ]
    metadata = event.materialization.metadata
    assert metadata["compute"].value == "ray" and metadata["scored_this_run"].value == documents
    workers = metadata["rating_workers"].value
    assert gpu_node.node_id in workers and "| - |" not in workers  # every actor holds a GPU, on the GPU node
    assert_same_ratings(lake, rated_lake[0])
