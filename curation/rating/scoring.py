"""Arrow batch of documents -> Arrow batch of quality ratings: the pure scoring function. Free of Dagster, so
a distributed engine can run it unchanged, e.g. Ray Data `ds.map_batches(Scorer, fn_constructor_args=...,
batch_format="pyarrow", num_gpus=1)` with one Scorer per GPU actor."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from curation.lake.tables import QUALITY_RATINGS
from curation.rating.criteria import CRITERIA, DOMAINS, annotator_view
from curation.rating.encoder import SentenceEncoder
from curation.rating.features import statistics_matrix
from curation.rating.quality_classifier import high_quality_probability
from curation.rating.rater import Rater, RaterInputs

INPUT_COLUMNS = ("doc_id", "text", "language", "language_score")
SCHEMA = QUALITY_RATINGS.schema


@dataclass
class Scorer:
    rater: Rater
    classifier: object
    classifier_version: str
    encoder: SentenceEncoder = field(default_factory=SentenceEncoder)
    tokens_embedded: int = 0

    def __post_init__(self):
        if getattr(self.rater, "encoder", None) is not None:  # fast mode: the static encoder fitted with the rater
            self.encoder = self.rater.encoder
        self.encoder.window_tokens = self.rater.settings.window_tokens  # embed exactly as in training
        self.encoder.max_windows = getattr(self.rater.settings, "max_windows", 0)

    def __call__(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        return self.score(batch)

    def score_counted(self, batch: pa.RecordBatch | pa.Table) -> tuple[pa.Table, int, str]:
        """The ratings with what scoring them cost: (ratings, tokens embedded, device); what an actor sends back."""
        before = self.tokens_embedded
        scored = self.score(batch)
        device = self.encoder.resolved_device if batch.num_rows else "none"
        return scored, self.tokens_embedded - before, device

    def score(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        """One output row per input row, in input order."""
        if batch.num_rows == 0:
            return SCHEMA.empty_table()
        columns = {name: batch.column(name).to_pylist() for name in INPUT_COLUMNS}
        texts = [t or "" for t in columns["text"]]
        views = [annotator_view(t) for t in texts]
        statistics = statistics_matrix(
            texts, [len(t) for t in texts], columns["language"], [s or 0.0 for s in columns["language_score"]]
        )
        embeddings, tokens = self.encoder.embed(views)
        self.tokens_embedded += tokens
        urls = batch.column("url").to_pylist() if "url" in batch.schema.names else None
        expected, probabilities = self.rater.predict(RaterInputs(views, statistics, embeddings, urls=urls))
        ratings = self.rater.ratings(expected)
        best = self.rater.domain_labels(probabilities)
        n = batch.num_rows
        arrays = {
            "doc_id": pa.array(columns["doc_id"], pa.string()),
            **{c: pa.array(ratings[:, j], pa.int8()) for j, c in enumerate(CRITERIA)},
            "overall_score_expected": pa.array(expected[:, CRITERIA.index("overall_score")], pa.float32()),
            "domain": pa.array([DOMAINS[i] for i in best], pa.string()),
            "domain_probability": pa.array(probabilities[np.arange(n), best], pa.float32()),
            "fasttext_quality": pa.array(high_quality_probability(self.classifier, texts), pa.float32()),
            "rater_version": pa.array([self.rater.version] * n, pa.string()),
            "classifier_version": pa.array([self.classifier_version] * n, pa.string()),
        }
        return pa.Table.from_pydict(arrays, schema=SCHEMA)


@dataclass(frozen=True)
class ScorerSpec:
    """What a worker needs to build its own Scorer, models loaded once per worker: picklable, so an actor on
    another node builds it there. Calling it returns the worker's batch function (`Scorer.score_counted`)."""

    model_store: str
    rater_version: str
    classifier_version: str
    device: str = "auto"

    def build(self) -> Scorer:
        from curation.rating.artifacts import ModelStore

        store = ModelStore(Path(self.model_store))
        return Scorer(
            store.load_rater(self.rater_version),
            store.load_classifier(self.classifier_version),
            self.classifier_version,
            SentenceEncoder(device=self.device),
        )

    def __call__(self):
        return self.build().score_counted
