"""Quality ratings: annotations -> rater_model + quality_classifier -> rating_input [gate] -> quality_ratings [gate].

Thin assets over `assets.transforms.rating`: read the lake, call the pure transforms, write the lake and the
model store, report what a data engineer needs to trust the numbers (cross-validated metrics beside baselines,
model versions, devices, counts)."""

import hashlib
import json
import time
from collections import Counter
from datetime import UTC, datetime

import dagster as dg
import numpy as np
import pyarrow as pa
from pydantic import Field

from assets.dedup.assets import DEDUPLICATED_DOCUMENTS
from assets.metadata import column_schema, markdown_table
from assets.quality.checks import expectation_check
from assets.transforms.rating import annotations as annotation_files
from assets.transforms.rating import scoring
from assets.transforms.rating.criteria import CRITERIA, DOMAINS
from assets.transforms.recipes import FilterRecipe
from orchestration.resources import AnnotationsResource, LakeResource, ModelStoreResource

RATING_GROUP = "rating"
GPU_POOL = "gpu"
ANNOTATIONS = "annotations"
RATER_MODEL = "rater_model"
QUALITY_CLASSIFIER = "quality_classifier"
RATING_INPUT = "rating_input"
QUALITY_RATINGS = "quality_ratings"
MODEL_VERSIONS = "model_versions"
CHECK_RATING_INPUT = "rating_input_expectations"  # expectations/rating_input.json
CHECK_QUALITY_RATINGS = "quality_ratings_expectations"  # expectations/quality_ratings.json

MODEL_VERSIONS_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("version", pa.string()),
        ("path", pa.string()),
        ("trained_at", pa.timestamp("us", tz="UTC")),
        ("annotations", pa.int32()),
        ("metrics", pa.string()),
    ]
)


class AnnotationsConfig(dg.Config):
    request_new: int = Field(
        default=0, description="Documents to send to the configured LLM endpoint for rating (0: files only)"
    )


@dg.asset(
    name=ANNOTATIONS,
    group_name=RATING_GROUP,
    kinds={"ducklake", "jsonl"},
    description="LLM quality annotations (DataMan's 14 criteria + domain) from the annotation folder's *.jsonl "
    "files, validated; optionally more, rated by an OpenAI-compatible endpoint and saved as a new file first.",
    metadata={
        "dagster/column_schema": column_schema(annotation_files.SCHEMA),
        "dagster/table_name": "lake.main.annotations",
    },
)
def annotations(
    context: dg.AssetExecutionContext, config: AnnotationsConfig, lake: LakeResource, annotations: AnnotationsResource
) -> dg.MaterializeResult:
    folder = annotations.folder()
    try:
        existing = annotation_files.load_annotations(folder)
    except annotation_files.AnnotationError as e:
        raise dg.Failure(description=f"annotations refused, nothing written: {e}") from e
    requested = (
        _request_annotations(context, config.request_new, lake, annotations, existing) if config.request_new else 0
    )
    table = annotation_files.load_annotations(folder) if requested else existing
    store = lake.lake()
    with store.transaction(message="annotations reloaded from files") as con:
        con.execute(f"DROP TABLE IF EXISTS {ANNOTATIONS}")
        con.register("_annotations", table)
        con.execute(f"CREATE TABLE {ANNOTATIONS} AS SELECT * FROM _annotations")
        con.unregister("_annotations")
    per_file = table.group_by("annotation_file").aggregate([("doc_id", "count")]).to_pylist()
    overall = np.bincount(table.column("overall_score").to_numpy(), minlength=6)[1:]
    domains = table.group_by("domain").aggregate([("doc_id", "count")]).sort_by([("doc_id_count", "descending")])
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            "requested_from_endpoint": requested,
            "files": markdown_table(
                ["file", "documents"], [(r["annotation_file"], r["doc_id_count"]) for r in per_file]
            ),
            "overall_score_distribution": markdown_table(
                ["overall_score", "documents"], list(zip(range(1, 6), overall.tolist(), strict=True))
            ),
            "domains": markdown_table(
                ["domain", "documents"], [(r["domain"], r["doc_id_count"]) for r in domains.to_pylist()]
            ),
        }
    )


def _request_annotations(context, how_many: int, lake: LakeResource, resource: AnnotationsResource, existing) -> int:
    """Rate `how_many` not-yet-annotated deduplicated documents at the endpoint; append them as a new file."""
    from assets.transforms.rating.llm_annotator import GUIDELINES, EndpointError, rate_document

    endpoint = resource.endpoint()
    if endpoint is None:
        raise dg.Failure(description="request_new > 0 but no endpoint: set CURATOR_ANNOTATOR_BASE_URL (and _MODEL)")
    rated = set(existing.column("doc_id").to_pylist())
    with lake.lake().connect(read_only=True) as con:
        candidates = (
            con.execute(
                f"SELECT doc_id, url, text, crawl_file AS source FROM main.documents WHERE doc_id IN "
                f"(SELECT doc_id FROM main.{RATING_INPUT}) ORDER BY hash(doc_id)"
            )
            .to_arrow_table()
            .to_pylist()
        )
    chosen = [doc for doc in candidates if doc["doc_id"] not in rated][:how_many]
    guidelines = GUIDELINES.read_text(encoding="utf-8")
    rows, refused = [], []
    for doc in chosen:
        try:
            rows.append(rate_document(endpoint, doc, guidelines))
        except annotation_files.AnnotationError as e:
            refused.append((doc["doc_id"], str(e)))
        except EndpointError as e:
            raise dg.Failure(description=f"annotation endpoint failed after {len(rows)} documents: {e}") from e
    for doc_id, reason in refused:
        context.log.warning(f"endpoint answer for {doc_id} refused: {reason}")
    if rows:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = resource.folder() / f"llm-{stamp}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        context.log.info(f"{len(rows)} new annotations written to {path}")
    return len(rows)


def _annotation_digest(table: pa.Table) -> str:
    rows = table.drop_columns(["annotation_file"]).sort_by("doc_id").to_pylist()
    return hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _read_annotations(lake: LakeResource, max_annotations: int) -> pa.Table:
    order = "hash(doc_id)" if max_annotations else "doc_id"
    limit = f"LIMIT {int(max_annotations)}" if max_annotations else ""
    with lake.lake().connect(read_only=True) as con:
        return con.execute(f"SELECT * FROM main.{ANNOTATIONS} ORDER BY {order} {limit}").to_arrow_table()


def _register_model(lake: LakeResource, kind: str, version: str, path, annotations_used: int, metrics: dict) -> None:
    row = pa.Table.from_pylist(
        [
            {
                "kind": kind,
                "version": version,
                "path": str(path),
                "trained_at": datetime.now(UTC),
                "annotations": annotations_used,
                "metrics": json.dumps(metrics, sort_keys=True),
            }
        ],
        schema=MODEL_VERSIONS_SCHEMA,
    )
    store = lake.lake()
    store.create_missing_tables({MODEL_VERSIONS: MODEL_VERSIONS_SCHEMA})
    with store.transaction(message=f"register {kind} {version}") as con:
        con.execute(f"DELETE FROM {MODEL_VERSIONS} WHERE kind = ? AND version = ?", [kind, version])
        con.register("_model", row)
        con.execute(f"INSERT INTO {MODEL_VERSIONS} SELECT * FROM _model")
        con.unregister("_model")


def current_versions(lake: LakeResource) -> dict[str, str]:
    """The most recently trained version of each model kind, from the lake's model registry."""
    store = lake.lake()
    if MODEL_VERSIONS not in store.table_names():
        return {}
    with store.connect(read_only=True) as con:
        rows = con.execute(
            f"SELECT kind, arg_max(version, trained_at) FROM main.{MODEL_VERSIONS} GROUP BY kind"
        ).fetchall()
    return dict(rows)


class RaterModelConfig(dg.Config):
    folds: int = Field(default=5, description="Cross-validation folds for the reported metrics")
    inner_folds: int = Field(default=3, description="Folds for the TF-IDF level's out-of-fold predictions")
    mlp_epochs: int = Field(default=60, description="Epochs of the torch heads")
    mlp_seeds: int = Field(default=3, description="Torch heads averaged (different seeds)")
    gbm_iterations: int = Field(default=200, description="Boosting rounds per criterion")
    window_tokens: int = Field(default=128, description="MiniLM head and tail window, tokens (scoring uses the same)")
    max_annotations: int = Field(default=0, description="Train on this many annotations (0: all), for quick runs")
    device: str = Field(default="auto", description="Embedding device: auto (CUDA if present), cpu, cuda")
    retrain: bool = Field(default=False, description="Train again even if this version is already in the store")


def _rater_inputs(table: pa.Table, device: str, window_tokens: int):
    from assets.transforms.langid import identify
    from assets.transforms.rating.criteria import annotator_view
    from assets.transforms.rating.encoder import SentenceEncoder
    from assets.transforms.rating.features import statistics_matrix
    from assets.transforms.rating.rater import RaterInputs

    texts = table.column("text").to_pylist()
    languages, scores = identify(texts)
    statistics = statistics_matrix(texts, table.column("full_chars").to_pylist(), languages, scores)
    views = [annotator_view(t) for t in texts]
    encoder = SentenceEncoder(device=device, window_tokens=window_tokens)
    embeddings, _ = encoder.embed(views)
    return RaterInputs(views, statistics, embeddings), encoder


@dg.asset(
    name=RATER_MODEL,
    deps=[ANNOTATIONS],
    group_name=RATING_GROUP,
    kinds={"pytorch", "scikitlearn"},
    description="Trains the DataMan-style rater (14 ratings + domain) on the annotations: TF-IDF ridge, torch "
    "multi-task heads over text statistics + MiniLM embeddings, boosted trees; k-fold metrics beside baselines.",
)
def rater_model(
    context: dg.AssetExecutionContext, config: RaterModelConfig, lake: LakeResource, models: ModelStoreResource
) -> dg.MaterializeResult:
    from assets.transforms.rating.encoder import MODEL_NAME
    from assets.transforms.rating.features import FEATURE_NAMES
    from assets.transforms.rating.rater import RaterSettings, cross_validate, rater_version, train_rater

    table = _read_annotations(lake, config.max_annotations)
    if table.num_rows < 2 * config.folds:
        raise dg.Failure(description=f"{table.num_rows} annotations: too few for {config.folds}-fold validation")
    settings = RaterSettings(
        folds=config.folds,
        inner_folds=config.inner_folds,
        mlp_epochs=config.mlp_epochs,
        mlp_seeds=config.mlp_seeds,
        gbm_iterations=config.gbm_iterations,
        window_tokens=config.window_tokens,
    )
    version = rater_version(_annotation_digest(table), settings, FEATURE_NAMES, MODEL_NAME)
    store = models.store()
    metrics = None if config.retrain else store.metrics("rater", version)
    started = time.perf_counter()
    if metrics is not None:  # same annotations, settings and features: the stored model is this model
        context.log.info(f"rater {version} is already in the model store: reused, not retrained")
        path, device, featurized = store.folder("rater", version), "-", 0.0
    else:
        inputs, encoder = _rater_inputs(table, config.device, config.window_tokens)
        featurized = time.perf_counter() - started
        ratings = np.stack([table.column(c).to_numpy() for c in CRITERIA], axis=1).astype(np.int64)
        domains = np.asarray([DOMAINS.index(d) for d in table.column("domain").to_pylist()])
        languages = table.column("language").to_pylist()
        metrics = cross_validate(inputs, ratings, domains, languages, settings)
        rater = train_rater(inputs, ratings, domains, settings)
        rater.version, rater.metrics = version, metrics
        path, device = store.save_rater(rater, metrics), encoder.resolved_device
    _register_model(lake, "rater", version, path, table.num_rows, metrics)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            "version": version,
            "reused": device == "-",
            "path": dg.MetadataValue.path(str(path)),
            "annotations": table.num_rows,
            "folds": settings.folds,
            "overall_spearman": metrics["overall_spearman"],
            "overall_spearman_german": metrics["overall_spearman_german"],
            "other_13_mean_spearman": metrics["other_13_mean_spearman"],
            "min_within_1": metrics["min_within_1"],
            "domain_accuracy": metrics["domain_accuracy"],
            "domain_macro_f1": metrics["domain_macro_f1"],
            "baseline_domain_accuracy": metrics["baseline_domain_accuracy"],
            "baseline_domain_macro_f1": metrics["baseline_domain_macro_f1"],
            "criteria": markdown_table(
                ["criterion", "spearman", "exact", "within-1", "mean: exact", "mean: within-1"],
                [
                    (c, v["spearman"], v["exact"], v["within_1"], v["baseline_exact"], v["baseline_within_1"])
                    for c, v in metrics["criteria"].items()
                ],
            ),
            "embedding_device": device,
            "featurize_seconds": round(featurized, 1),
            "train_seconds": round(time.perf_counter() - started - featurized, 1),
        }
    )


class ClassifierConfig(dg.Config):
    folds: int = Field(default=5, description="Cross-validation folds for the reported metrics")
    max_annotations: int = Field(default=0, description="Train on this many annotations (0: all)")


@dg.asset(
    name=QUALITY_CLASSIFIER,
    deps=[ANNOTATIONS],
    group_name=RATING_GROUP,
    kinds={"fasttext"},
    description="DCLM-style fastText bigram classifier: annotated overall_score >= 4 (high) vs <= 2 (low); its "
    "P(high) is stored beside the ratings as a cheap quality score.",
)
def quality_classifier(
    context: dg.AssetExecutionContext, config: ClassifierConfig, lake: LakeResource, models: ModelStoreResource
) -> dg.MaterializeResult:
    from dataclasses import asdict

    from assets.transforms.rating.quality_classifier import (
        ClassifierSettings,
        cross_validate_classifier,
        train_classifier,
    )

    table = _read_annotations(lake, config.max_annotations)
    texts = table.column("text").to_pylist()
    overall = table.column("overall_score").to_numpy().astype(np.int64)
    settings = ClassifierSettings()
    key = json.dumps(
        {"annotations": _annotation_digest(table), "settings": asdict(settings), "folds": config.folds}, sort_keys=True
    )
    version = hashlib.sha256(key.encode()).hexdigest()[:12]
    store = models.store()
    metrics = store.metrics("quality_classifier", version)
    if metrics is None:
        _, metrics = cross_validate_classifier(texts, overall, settings, config.folds)
        path = store.save_classifier(train_classifier(texts, overall, settings), version, metrics)
    else:
        path = store.folder("quality_classifier", version)
    _register_model(lake, "quality_classifier", version, path, table.num_rows, metrics)
    labels = Counter("high (>= 4)" if o >= 4 else "low (<= 2)" if o <= 2 else "left out (3)" for o in overall)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            "version": version,
            "path": dg.MetadataValue.path(str(path)),
            "annotations": table.num_rows,
            **metrics,
            "training_labels": markdown_table(["label (overall score)", "annotations"], sorted(labels.items())),
        }
    )


def rating_input_sql(recipes: list[FilterRecipe]) -> str:
    """Every document kept by at least one recipe after deduplication, once."""
    union = " UNION ".join(f"SELECT doc_id FROM {DEDUPLICATED_DOCUMENTS}.{r.name}" for r in recipes)
    return f"""
SELECT d.doc_id, d.crawl_file, d.url, d.text, d.language, d.language_score
FROM main.documents AS d
WHERE d.doc_id IN ({union})"""


def rating_input_asset(recipes: list[FilterRecipe]) -> dg.AssetsDefinition:
    @dg.asset(
        name=RATING_INPUT,
        deps=[dg.AssetKey([DEDUPLICATED_DOCUMENTS, r.name]) for r in recipes],
        group_name=RATING_GROUP,
        kinds={"ducklake", "sql"},
        description="What the rater scores: every document some recipe keeps after deduplication, once (a view). "
        "Gated by expectations/rating_input.json before any scoring.",
        metadata={"dagster/table_name": f"lake.main.{RATING_INPUT}"},
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_RATING_INPUT,
                asset=RATING_INPUT,
                blocking=True,
                description="Great Expectations suite expectations/rating_input.json: schema, unique non-null ids, "
                "non-empty text within length bounds, language score in [0, 1], duplicate rate under its ceiling",
            )
        ],
    )
    def _rating_input(context: dg.AssetExecutionContext, lake: LakeResource):
        store = lake.lake()
        with store.transaction(message="rating input view") as con:
            con.execute(f"CREATE OR REPLACE VIEW {RATING_INPUT} AS {rating_input_sql(recipes)}")
        with store.connect(read_only=True) as con:
            profile = con.execute(
                f"SELECT doc_id, crawl_file, length(text)::BIGINT AS text_chars, md5(coalesce(text, '')) AS text_hash, "
                f"language, language_score::DOUBLE AS language_score FROM main.{RATING_INPUT}"
            ).to_arrow_table()
            languages = con.execute(
                f"SELECT language, count(*), sum(length(text)) FROM main.{RATING_INPUT} GROUP BY 1 ORDER BY 2 DESC, 1 "
                "LIMIT 10"
            ).fetchall()
            preview = con.execute(f"SELECT url, language, left(text, 80) FROM main.{RATING_INPUT} LIMIT 5").fetchall()
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": profile.num_rows,
                "languages": markdown_table(["language", "documents", "characters"], languages),
                "preview": markdown_table(["url", "language", "text"], preview),
            }
        )
        yield expectation_check(CHECK_RATING_INPUT, RATING_INPUT, profile, "rating_input")

    return _rating_input


class QualityRatingsConfig(dg.Config):
    device: str = Field(default="auto", description="auto (CUDA in half precision if present), cpu, cuda")
    batch_documents: int = Field(default=256, description="Documents per scoring batch (sorted by length)")
    rescore_all: bool = Field(default=False, description="Score every document again, not only new ones")


@dg.asset(
    name=QUALITY_RATINGS,
    deps=[RATING_INPUT, RATER_MODEL, QUALITY_CLASSIFIER],
    group_name=RATING_GROUP,
    kinds={"ducklake", "pytorch"},
    pool=GPU_POOL,
    description="One row per deduplicated document: DataMan's 14 ratings (1-5), the expected overall score, the "
    "domain with its probability, the fastText quality score, and the model versions that scored it.",
    metadata={
        "dagster/column_schema": column_schema(scoring.SCHEMA),
        "dagster/table_name": f"lake.main.{QUALITY_RATINGS}",
    },
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_QUALITY_RATINGS,
            asset=QUALITY_RATINGS,
            blocking=True,
            description="Great Expectations suite expectations/quality_ratings.json: ratings in 1..5, domain in the "
            "15 names, probabilities in [0, 1], no nulls",
        )
    ],
)
def quality_ratings(
    context: dg.AssetExecutionContext, config: QualityRatingsConfig, lake: LakeResource, models: ModelStoreResource
):
    from assets.transforms.rating.encoder import SentenceEncoder

    versions = current_versions(lake)
    missing = [kind for kind in ("rater", "quality_classifier") if kind not in versions]
    if missing:
        raise dg.Failure(
            description=f"no trained {' and '.join(missing)}: materialize rater_model and quality_classifier"
        )
    store = models.store()
    scorer = scoring.Scorer(
        store.load_rater(versions["rater"]),
        store.load_classifier(versions["quality_classifier"]),
        versions["quality_classifier"],
        SentenceEncoder(device=config.device),
    )
    lake_store = lake.lake()
    lake_store.create_missing_tables({QUALITY_RATINGS: scoring.SCHEMA})
    current = (
        "FALSE"
        if config.rescore_all
        else (
            f"doc_id IN (SELECT doc_id FROM main.{QUALITY_RATINGS} WHERE rater_version = ? AND classifier_version = ?)"
        )
    )
    params = [] if config.rescore_all else [versions["rater"], versions["quality_classifier"]]
    started = time.perf_counter()
    with lake_store.connect(read_only=True) as con:
        todo = con.execute(
            f"SELECT doc_id, text, language, language_score FROM main.{RATING_INPUT} WHERE NOT ({current}) "
            "ORDER BY length(text), doc_id",
            params,
        ).to_arrow_table()
    read_seconds = time.perf_counter() - started
    scored = [
        scorer.score(todo.slice(i, config.batch_documents)) for i in range(0, todo.num_rows, config.batch_documents)
    ]
    scored = pa.concat_tables(scored) if scored else scoring.SCHEMA.empty_table()
    score_seconds = time.perf_counter() - started - read_seconds
    with lake_store.transaction(message=f"quality ratings by rater {versions['rater']}") as con:
        con.register("_scored", scored)
        con.execute(
            f"DELETE FROM {QUALITY_RATINGS} WHERE doc_id NOT IN (SELECT doc_id FROM main.{RATING_INPUT}) "
            "OR doc_id IN (SELECT doc_id FROM _scored)"
        )
        con.execute(f"INSERT INTO {QUALITY_RATINGS} BY NAME SELECT * FROM _scored")
        con.unregister("_scored")
    with lake_store.connect(read_only=True) as con:
        written = con.execute(f"SELECT * FROM main.{QUALITY_RATINGS} ORDER BY doc_id").to_arrow_table()
        domains = con.execute(
            f"SELECT domain, count(*), round(avg(overall_score), 2) FROM main.{QUALITY_RATINGS} "
            "GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
        agreement = con.execute(
            "SELECT corr(rank_rater, rank_fasttext) FROM (SELECT "
            "rank() OVER (ORDER BY overall_score_expected) AS rank_rater, "
            f"rank() OVER (ORDER BY fasttext_quality) AS rank_fasttext FROM main.{QUALITY_RATINGS})"
        ).fetchone()[0]
    total_seconds = time.perf_counter() - started
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": written.num_rows,
            "scored_this_run": scored.num_rows,
            "rater_version": versions["rater"],
            "classifier_version": versions["quality_classifier"],
            "device": scorer.encoder.resolved_device if scored.num_rows else "none (nothing to score)",
            "precision": scorer.encoder.precision if scored.num_rows else "-",
            "documents_per_second": round(scored.num_rows / total_seconds, 2) if scored.num_rows else None,
            "tokens_embedded": scorer.tokens_embedded,
            "read_seconds": round(read_seconds, 2),
            "score_seconds": round(score_seconds, 2),
            "spearman_rater_vs_fasttext": round(agreement, 4) if agreement is not None else None,
            "domains": markdown_table(["domain", "documents", "mean overall_score"], domains),
        }
    )
    yield expectation_check(CHECK_QUALITY_RATINGS, QUALITY_RATINGS, written, "quality_ratings")
