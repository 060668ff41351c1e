"""A DCLM-style fastText quality classifier (Li et al., 2024, "DataComp-LM"): word uni- and bigrams, trained to
tell high-quality text (annotated overall_score >= 4) from low-quality text (<= 2); the score of a document is
P(high). Cheap enough to run on every document before anything else. Free of Dagster."""

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HIGH, LOW = "__label__hq", "__label__lq"
HIGH_MIN, LOW_MAX = 4, 2
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ClassifierSettings:
    epoch: int = 25
    lr: float = 0.5
    word_ngrams: int = 2
    dim: int = 64  # fastText 0.9.2 (numpy2 wheel) hit NaN losses at dim 32 on these texts; 64 and 100 did not
    bucket: int = 100_000  # hashed bigram rows: a 26 MB model file
    min_count: int = 1
    seed: int = 0


def _line(text: str) -> str:
    return _SPACE.sub(" ", text or "").strip().lower()


def training_labels(overall: np.ndarray) -> np.ndarray:
    """1 high, 0 low, -1 left out (the ambiguous middle)."""
    return np.where(overall >= HIGH_MIN, 1, np.where(overall <= LOW_MAX, 0, -1))


def train_classifier(texts: list[str], overall: np.ndarray, settings: ClassifierSettings):
    import fasttext

    labels = training_labels(np.asarray(overall))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.txt"
        with path.open("w", encoding="utf-8") as f:
            for text, label in zip(texts, labels, strict=True):
                line = _line(text)
                if label >= 0 and line:  # a line with a label and no words makes fastText's loss NaN
                    f.write(f"{HIGH if label else LOW} {line}\n")
        # fastText 0.9.2 (numpy2 wheel) sometimes diverges to "Encountered NaN" once a process has trained and
        # predicted with other models (seen in the demo run, never in a fresh process): train in a fresh process.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        model_path = Path(tmp) / "model.bin"
        arguments = {
            "epoch": settings.epoch,
            "lr": settings.lr,
            "wordNgrams": settings.word_ngrams,
            "dim": settings.dim,
            "bucket": settings.bucket,
            "minCount": settings.min_count,
            "seed": settings.seed,
            "thread": 1,
            "verbose": 0,
        }
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pool.submit(_fit, str(path), str(model_path), arguments).result()
        fasttext.FastText.eprint = lambda *args, **kwargs: None
        return fasttext.load_model(str(model_path))


def _fit(train_path: str, model_path: str, arguments: dict) -> None:
    import fasttext

    fasttext.train_supervised(input=train_path, **arguments).save_model(model_path)


def high_quality_probability(model, texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros(0)
    lines = [_line(t) for t in texts]
    worded = [i for i, line in enumerate(lines) if line]  # fastText answers NaN for a text without words
    out = np.zeros(len(texts))  # no words: no quality
    if worded:
        labels, probabilities = model.predict([lines[i] for i in worded], k=2)
        for i, names, values in zip(worded, labels, probabilities, strict=True):
            out[i] = dict(zip(names, values, strict=True)).get(HIGH, 0.0)
    return np.clip(out, 0.0, 1.0)


def cross_validate_classifier(texts: list[str], overall: np.ndarray, settings: ClassifierSettings, folds: int = 5):
    """Out-of-fold P(high) for every text; ROC AUC on the high/low texts; Spearman with overall_score on all."""
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import KFold

    overall = np.asarray(overall)
    scores = np.zeros(len(texts))
    for train, test in KFold(min(folds, len(texts)), shuffle=True, random_state=settings.seed).split(texts):
        model = train_classifier([texts[i] for i in train], overall[train], settings)
        scores[test] = high_quality_probability(model, [texts[i] for i in test])
    labels = training_labels(overall)
    known = labels >= 0
    auc = roc_auc_score(labels[known], scores[known]) if len(set(labels[known])) == 2 else float("nan")
    return scores, {
        "folds": folds,
        "roc_auc_high_vs_low": round(float(auc), 4),
        "spearman_with_overall_score": round(float(spearmanr(scores, overall).statistic), 4),
        "trained_on": int(known.sum()),
    }
