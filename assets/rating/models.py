"""`rater_model` and `quality_classifier`: trained from the annotations, cross-validated, kept in the model store
and registered in the lake (`model_versions`); a version already in the store is reused, not retrained."""

import hashlib
import json
import time
from collections import Counter
from typing import Literal

import dagster as dg
import numpy as np
import pyarrow as pa
from pydantic import Field

from assets.metadata import markdown_table
from assets.rating import GROUP
from assets.resources import LakeResource, ModelStoreResource
from curation.lake import tables
from curation.rating.criteria import CRITERIA, DOMAINS
from curation.rating.registry import annotation_digest, read_annotations, register_model

ANNOTATIONS, RATER_MODEL, QUALITY_CLASSIFIER = tables.ANNOTATIONS.name, "rater_model", "quality_classifier"


class RaterModelConfig(dg.Config):
    folds: int = Field(default=5, description="Cross-validation folds for the reported metrics")
    inner_folds: int = Field(default=3, description="Folds for the TF-IDF level's out-of-fold predictions")
    mlp_epochs: int = Field(default=60, description="Epochs of the torch heads")
    mlp_seeds: int = Field(default=3, description="Torch heads averaged (different seeds)")
    gbm_iterations: int = Field(default=200, description="Boosting rounds per criterion")
    window_tokens: int = Field(default=256, description="MiniLM window covering the view, tokens (scoring the same)")
    max_windows: int = Field(
        default=0, description="Windows per document (0: all; n: the first n-1 and the last), a cap on the cost"
    )
    max_annotations: int = Field(default=0, description="Train on this many annotations (0: all), for quick runs")
    device: str = Field(default="auto", description="Embedding device: auto (CUDA if present), cpu, cuda")
    mode: Literal["quality", "fast"] = Field(
        default="quality",
        description="quality: MiniLM chunk-mean embeddings; fast: static MiniLM token embeddings, no transformer "
        "pass (several times faster on a CPU, a little less accurate: bench/results/rating.md)",
    )
    retrain: bool = Field(default=False, description="Train again even if this version is already in the store")


def _rater_inputs(table: pa.Table, device: str, window_tokens: int, max_windows: int, mode: str):
    from curation.documents.langid import identify
    from curation.rating.criteria import annotator_view
    from curation.rating.domains import anchor_embeddings
    from curation.rating.encoder import SentenceEncoder
    from curation.rating.features import statistics_matrix
    from curation.rating.rater import RaterInputs
    from curation.rating.static_encoder import StaticEncoder

    texts = table.column("text").to_pylist()
    languages, scores = identify(texts)
    statistics = statistics_matrix(texts, table.column("full_chars").to_pylist(), languages, scores)
    views = [annotator_view(t) for t in texts]
    if mode == "fast":
        encoder = StaticEncoder(window_tokens=window_tokens).fit(views)
    else:
        encoder = SentenceEncoder(device=device, window_tokens=window_tokens, max_windows=max_windows)
    embeddings, _ = encoder.embed(views)
    urls = table.column("url").to_pylist() if "url" in table.schema.names else None
    return RaterInputs(views, statistics, embeddings, anchor_embeddings(encoder), urls), encoder


@dg.asset(
    name=RATER_MODEL,
    deps=[ANNOTATIONS],
    group_name=GROUP,
    kinds={"pytorch", "scikitlearn"},
    description="Trains the DataMan-style rater (14 ratings + domain) on the annotations: TF-IDF ridge, torch "
    "multi-task heads over text statistics + MiniLM embeddings, boosted trees; k-fold metrics beside baselines.",
)
def rater_model(
    context: dg.AssetExecutionContext, config: RaterModelConfig, lake: LakeResource, models: ModelStoreResource
) -> dg.MaterializeResult:
    from curation.rating.calibration import fit_cutpoints
    from curation.rating.encoder import MODEL_NAME
    from curation.rating.features import FEATURE_NAMES
    from curation.rating.rater import DOMAIN_C, RaterSettings, cross_validate, rater_version, train_rater

    table = read_annotations(lake.lake(), config.max_annotations)
    if table.num_rows < 2 * config.folds:
        raise dg.Failure(description=f"{table.num_rows} annotations: too few for {config.folds}-fold validation")
    settings = RaterSettings(
        folds=config.folds,
        inner_folds=config.inner_folds,
        mlp_epochs=config.mlp_epochs,
        mlp_seeds=config.mlp_seeds,
        gbm_iterations=config.gbm_iterations,
        window_tokens=config.window_tokens,
        max_windows=config.max_windows,
        domain_c=DOMAIN_C[config.mode],
        mode=config.mode,
    )
    version = rater_version(annotation_digest(table), settings, FEATURE_NAMES, MODEL_NAME)
    store = models.store()
    metrics = None if config.retrain else store.metrics("rater", version)
    started = time.perf_counter()
    if metrics is not None:  # same annotations, settings and features: the stored model is this model
        context.log.info(f"rater {version} is already in the model store: reused, not retrained")
        path, device, featurized = store.folder("rater", version), "-", 0.0
    else:
        inputs, encoder = _rater_inputs(table, config.device, config.window_tokens, config.max_windows, config.mode)
        featurized = time.perf_counter() - started
        ratings = np.stack([table.column(c).to_numpy() for c in CRITERIA], axis=1).astype(np.int64)
        domains = np.asarray([DOMAINS.index(d) for d in table.column("domain").to_pylist()])
        languages = table.column("language").to_pylist()
        metrics, held_out = cross_validate(inputs, ratings, domains, languages, settings)
        rater = train_rater(inputs, ratings, domains, settings)
        rater.cutpoints = fit_cutpoints(held_out, ratings)
        rater.encoder = encoder if config.mode == "fast" else None
        rater.version, rater.metrics = version, metrics
        path, device = store.save_rater(rater, metrics), encoder.resolved_device
    register_model(lake.lake(), "rater", version, path, table.num_rows, metrics)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            "version": version,
            "mode": config.mode,
            "reused": device == "-",
            "path": dg.MetadataValue.path(str(path)),
            "annotations": table.num_rows,
            "folds": settings.folds,
            "overall_spearman": metrics["overall_spearman"],
            "overall_spearman_german": metrics["overall_spearman_german"],
            "other_13_mean_spearman": metrics["other_13_mean_spearman"],
            "min_within_1": metrics["min_within_1"],
            "max_share_gap_points": metrics["max_share_gap_points"],
            "overall_five_share_annotated": metrics["overall_five_share_annotated"],
            "overall_five_share_predicted": metrics["overall_five_share_predicted"],
            "domain_accuracy": metrics["domain_accuracy"],
            "domain_macro_f1": metrics["domain_macro_f1"],
            "baseline_domain_accuracy": metrics["baseline_domain_accuracy"],
            "baseline_domain_macro_f1": metrics["baseline_domain_macro_f1"],
            "criteria": markdown_table(
                ["criterion", "spearman", "exact", "within-1", "mean: exact", "mean: within-1", "share gap (points)"],
                [
                    (
                        c,
                        v["spearman"],
                        v["exact"],
                        v["within_1"],
                        v["baseline_exact"],
                        v["baseline_within_1"],
                        v["max_share_gap_points"],
                    )
                    for c, v in metrics["criteria"].items()
                ],
            ),
            "domains": markdown_table(
                ["domain", "precision", "recall", "F1", "annotated"],
                [(d, v["precision"], v["recall"], v["f1"], v["annotated"]) for d, v in metrics["domains"].items()],
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
    group_name=GROUP,
    kinds={"fasttext"},
    description="DCLM-style fastText bigram classifier: annotated overall_score >= 4 (high) vs <= 2 (low); its "
    "P(high) is stored beside the ratings as a cheap quality score.",
)
def quality_classifier(
    context: dg.AssetExecutionContext, config: ClassifierConfig, lake: LakeResource, models: ModelStoreResource
) -> dg.MaterializeResult:
    from dataclasses import asdict

    from curation.rating.quality_classifier import (
        ClassifierSettings,
        cross_validate_classifier,
        train_classifier,
    )

    table = read_annotations(lake.lake(), config.max_annotations)
    texts = table.column("text").to_pylist()
    overall = table.column("overall_score").to_numpy().astype(np.int64)
    settings = ClassifierSettings()
    key = json.dumps(
        {"annotations": annotation_digest(table), "settings": asdict(settings), "folds": config.folds}, sort_keys=True
    )
    version = hashlib.sha256(key.encode()).hexdigest()[:12]
    store = models.store()
    metrics = store.metrics("quality_classifier", version)
    if metrics is None:
        _, metrics = cross_validate_classifier(texts, overall, settings, config.folds)
        path = store.save_classifier(train_classifier(texts, overall, settings), version, metrics)
    else:
        path = store.folder("quality_classifier", version)
    register_model(lake.lake(), "quality_classifier", version, path, table.num_rows, metrics)
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
