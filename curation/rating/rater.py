"""The quality rater: DataMan's 14 ratings and its domain, learnt from LLM annotations. Free of Dagster.

Three views of a document, stacked:
1. character 2-4-gram TF-IDF -> ridge (language-agnostic: most annotated text is German, MiniLM is English),
   predicting the 14 ratings and the 15 domains; its out-of-fold predictions feed the next level;
2. a multi-task torch head (one hidden layer, 14 regression outputs + 15-way domain softmax, an ensemble of
   seeds) over text statistics, the MiniLM chunk-mean embedding and the TF-IDF predictions;
3. gradient-boosted trees per criterion over text statistics and the TF-IDF predictions.
Expected ratings are the mean of 2 and 3, mapped to integers by quantile cutpoints fitted on out-of-fold
predictions (`calibration`); the domain comes from its own head (`domains.DomainHead`). Every number reported
about it is k-fold cross-validated with the whole stack refit inside each fold.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field

import numpy as np

from curation.rating.calibration import calibrated, fit_cutpoints, shares
from curation.rating.criteria import CRITERIA, DOMAINS, RATING_MAX, RATING_MIN
from curation.rating.domains import DomainHead, macro_f1

FORMAT = "dataman-rater-v3"  # v3: the domain head reads URLs too (a new version: stored v2 raters are not reused)


MODES = ("quality", "fast")
DOMAIN_C = {"quality": 10.0, "fast": 30.0}  # measured on the 800 annotations (bench/results/rating.md)


@dataclass(frozen=True)
class RaterSettings:
    folds: int = 5
    inner_folds: int = 3
    mlp_epochs: int = 60
    mlp_seeds: int = 3
    mlp_hidden: int = 256
    gbm_iterations: int = 200
    tfidf_alpha: float = 3.0
    tfidf_max_features: int = 100_000
    window_tokens: int = 256  # MiniLM windows covering the view: training and scoring embed the same way
    max_windows: int = 0  # 0: all windows of the view; n: the first n-1 and the last (cheaper, for quick runs)
    domain_c: float = 10.0
    domain_anchor_weight: float = 3.0
    seed: int = 0
    mode: str = "quality"  # quality: MiniLM chunk-mean embeddings; fast: static token embeddings (static_encoder)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"rater mode {self.mode!r} is not one of {', '.join(MODES)}")


@dataclass
class RaterInputs:
    """Features of N documents, rows aligned."""

    views: list[str]
    statistics: np.ndarray  # N x len(features.FEATURE_NAMES)
    embeddings: np.ndarray  # N x 384
    anchors: np.ndarray | None = None  # 15 x 384: embeddings of domains.DESCRIPTIONS (needed to train)
    urls: list[str] | None = None  # the documents' URLs: the domain head's second view, where known

    def take(self, rows: np.ndarray) -> "RaterInputs":
        urls = None if self.urls is None else [self.urls[i] for i in rows]
        return RaterInputs(
            [self.views[i] for i in rows], self.statistics[rows], self.embeddings[rows], self.anchors, urls
        )


def _targets(ratings: np.ndarray, domains: np.ndarray) -> np.ndarray:
    return np.hstack([ratings.astype(np.float64), np.eye(len(DOMAINS))[domains]])


@dataclass
class TextRidge:
    alpha: float
    max_features: int
    vectorizer: object = None
    ridge: object = None

    def fit(self, views: list[str], targets: np.ndarray) -> "TextRidge":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import Ridge

        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True, max_features=self.max_features
        )
        matrix = self.vectorizer.fit_transform(views)
        self.ridge = Ridge(alpha=self.alpha).fit(matrix, targets)
        return self

    def predict(self, views: list[str]) -> np.ndarray:
        return self.ridge.predict(self.vectorizer.transform(views))


def _folds(n: int, k: int, seed: int):
    from sklearn.model_selection import KFold

    return KFold(min(k, n), shuffle=True, random_state=seed).split(np.arange(n))


@dataclass
class Rater:
    settings: RaterSettings
    text_model: TextRidge
    scaler: object
    mlp_states: list
    gbms: list
    rating_mean: np.ndarray
    rating_scale: np.ndarray
    n_inputs: int
    domain_head: DomainHead
    cutpoints: np.ndarray | None = None  # 14 x 4, from calibration.fit_cutpoints; None: rounded
    encoder: object = None  # the fast mode's fitted StaticEncoder; None: the quality mode's SentenceEncoder
    version: str = ""
    metrics: dict = field(default_factory=dict)

    def ratings(self, expected: np.ndarray) -> np.ndarray:
        """Integer ratings of expected ones: calibrated where the rater has cutpoints, rounded otherwise."""
        return rounded(expected) if self.cutpoints is None else calibrated(expected, self.cutpoints)

    def domain_labels(self, probabilities: np.ndarray) -> np.ndarray:
        return self.domain_head.labels(probabilities)

    def _level2(self, inputs: RaterInputs) -> tuple[np.ndarray, np.ndarray]:
        text = self.text_model.predict(inputs.views)
        return np.hstack([inputs.statistics, text]), inputs.embeddings

    def predict(self, inputs: RaterInputs) -> tuple[np.ndarray, np.ndarray]:
        """(N x 14 expected ratings in [1, 5], N x 15 domain probabilities)."""
        import torch

        tabular, embeddings = self._level2(inputs)
        x = torch.tensor(np.hstack([self.scaler.transform(tabular), embeddings]), dtype=torch.float32)
        ratings = []
        with torch.inference_mode():
            for state in self.mlp_states:
                net = _mlp(self.n_inputs, self.settings.mlp_hidden)
                net.load_state_dict(state)
                net.eval()
                out = net(x).numpy()
                ratings.append(out[:, : len(CRITERIA)] * self.rating_scale + self.rating_mean)
        mlp = np.mean(ratings, axis=0)
        gbm = np.stack([model.predict(tabular) for model in self.gbms], axis=1)
        expected = np.clip((mlp + gbm) / 2, RATING_MIN, RATING_MAX)
        return expected, self.domain_head.probabilities(inputs.embeddings, inputs.urls)


def _mlp(n_inputs: int, hidden: int):
    import torch

    return torch.nn.Sequential(
        torch.nn.Dropout(0.1),
        torch.nn.Linear(n_inputs, hidden),
        torch.nn.GELU(),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(hidden, len(CRITERIA) + len(DOMAINS)),
    )


def train_rater(inputs: RaterInputs, ratings: np.ndarray, domains: np.ndarray, settings: RaterSettings) -> Rater:
    """Fit the whole stack on these documents (ratings: N x 14 ints, domains: N indices into DOMAINS)."""
    import torch
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.preprocessing import QuantileTransformer

    n = len(inputs.views)
    targets = _targets(ratings, domains)
    text_oof = np.zeros_like(targets)
    for fit_rows, held_out in _folds(n, settings.inner_folds, settings.seed + 1):
        model = TextRidge(settings.tfidf_alpha, settings.tfidf_max_features)
        model.fit([inputs.views[i] for i in fit_rows], targets[fit_rows])
        text_oof[held_out] = model.predict([inputs.views[i] for i in held_out])
    text_model = TextRidge(settings.tfidf_alpha, settings.tfidf_max_features).fit(inputs.views, targets)

    tabular = np.hstack([inputs.statistics, text_oof])
    scaler = QuantileTransformer(n_quantiles=min(200, n), output_distribution="normal").fit(tabular)
    x = torch.tensor(np.hstack([scaler.transform(tabular), inputs.embeddings]), dtype=torch.float32)
    mean, scale = ratings.mean(axis=0), ratings.std(axis=0) + 1e-6
    y = torch.tensor((ratings - mean) / scale, dtype=torch.float32)
    d = torch.tensor(domains, dtype=torch.long)
    states = []
    for s in range(settings.mlp_seeds):
        torch.manual_seed(settings.seed + s)
        net = _mlp(x.shape[1], settings.mlp_hidden)
        optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-3)
        for _ in range(settings.mlp_epochs):
            net.train()
            permutation = torch.randperm(n)
            for start in range(0, n, 64):
                rows = permutation[start : start + 64]
                out = net(x[rows])
                loss = torch.nn.functional.mse_loss(out[:, : len(CRITERIA)], y[rows])
                loss = loss + 0.5 * torch.nn.functional.cross_entropy(out[:, len(CRITERIA) :], d[rows])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        states.append({k: v.detach().clone() for k, v in net.state_dict().items()})
    gbms = [
        HistGradientBoostingRegressor(
            max_iter=settings.gbm_iterations,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=min(10, max(2, n // 20)),
            random_state=settings.seed,
        ).fit(tabular, ratings[:, j])
        for j in range(len(CRITERIA))
    ]
    if inputs.anchors is None:
        raise ValueError("training the domain head needs the embeddings of domains.DESCRIPTIONS (RaterInputs.anchors)")
    head = DomainHead(inputs.anchors, settings.domain_c, settings.domain_anchor_weight)
    head.fit(inputs.embeddings, domains, list(_folds(n, settings.inner_folds, settings.seed + 2)), inputs.urls)
    return Rater(settings, text_model, scaler, states, gbms, mean, scale, int(x.shape[1]), head)


def rounded(expected: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(expected), RATING_MIN, RATING_MAX).astype(np.int8)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def evaluation(
    expected: np.ndarray,
    predicted: np.ndarray,
    guessed: np.ndarray,
    ratings: np.ndarray,
    domains: np.ndarray,
    languages: list[str],
    baseline_means: np.ndarray,
    baseline_domains: np.ndarray,
) -> dict:
    """Per criterion: Spearman of the expected score, exact and within-1 accuracy of the (calibrated) integer
    rating, each beside predict-the-(training)-mean, and the shares of each score predicted beside annotated;
    domain accuracy and macro-F1 beside the (training) majority domain, with precision and recall per domain;
    overall_score on German documents."""
    from sklearn.metrics import precision_recall_fscore_support

    base = rounded(baseline_means)
    annotated_shares, predicted_shares = shares(ratings), shares(predicted)
    criteria = {}
    for j, name in enumerate(CRITERIA):
        criteria[name] = {
            "spearman": round(_spearman(expected[:, j], ratings[:, j]), 4),
            "exact": round(float(np.mean(predicted[:, j] == ratings[:, j])), 4),
            "within_1": round(float(np.mean(np.abs(predicted[:, j] - ratings[:, j]) <= 1)), 4),
            "baseline_spearman": 0.0,
            "baseline_exact": round(float(np.mean(base[:, j] == ratings[:, j])), 4),
            "baseline_within_1": round(float(np.mean(np.abs(base[:, j] - ratings[:, j]) <= 1)), 4),
            "shares_annotated": [round(float(v), 4) for v in annotated_shares[j]],
            "shares_predicted": [round(float(v), 4) for v in predicted_shares[j]],
            "max_share_gap_points": round(float(100 * np.abs(annotated_shares[j] - predicted_shares[j]).max()), 2),
        }
    german = np.asarray([lang == "de" for lang in languages])
    overall = CRITERIA.index("overall_score")
    present = sorted(set(domains.tolist()))
    precision, recall, f1, support = precision_recall_fscore_support(domains, guessed, labels=present, zero_division=0)
    return {
        "documents": len(ratings),
        "criteria": criteria,
        "overall_spearman": criteria["overall_score"]["spearman"],
        "overall_spearman_german": round(_spearman(expected[german, overall], ratings[german, overall]), 4),
        "german_documents": int(german.sum()),
        "other_13_mean_spearman": round(float(np.mean([criteria[c]["spearman"] for c in CRITERIA[:-1]])), 4),
        "min_within_1": min(v["within_1"] for v in criteria.values()),
        "max_share_gap_points": max(v["max_share_gap_points"] for v in criteria.values()),
        "overall_five_share_annotated": criteria["overall_score"]["shares_annotated"][-1],
        "overall_five_share_predicted": criteria["overall_score"]["shares_predicted"][-1],
        "domain_accuracy": round(float(np.mean(guessed == domains)), 4),
        "domain_macro_f1": round(macro_f1(domains, guessed), 4),
        "baseline_domain_accuracy": round(float(np.mean(baseline_domains == domains)), 4),
        "baseline_domain_macro_f1": round(macro_f1(domains, baseline_domains), 4),
        "domains": {
            DOMAINS[d]: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "annotated": int(n),
            }
            for d, p, r, f, n in zip(present, precision, recall, f1, support, strict=True)
        },
        "domain_labels_evaluated": len(present),
    }


def cross_validate(
    inputs: RaterInputs, ratings: np.ndarray, domains: np.ndarray, languages: list[str], settings: RaterSettings
) -> tuple[dict, np.ndarray]:
    """k-fold estimates of everything `evaluation` reports, the stack refit on each fold's training part, and
    the out-of-fold expected ratings (what the final rater's cutpoints are fitted on). A fold's integer ratings
    use cutpoints fitted on the other folds' out-of-fold scores, so calibration is judged on unseen documents."""
    n = len(ratings)
    expected = np.zeros(ratings.shape, dtype=np.float64)
    guessed = np.zeros(n, dtype=np.int64)
    base_means = np.zeros(ratings.shape, dtype=np.float64)
    base_domains = np.zeros(n, dtype=np.int64)
    folds = list(_folds(n, settings.folds, settings.seed))
    for train_rows, test_rows in folds:
        rater = train_rater(inputs.take(train_rows), ratings[train_rows], domains[train_rows], settings)
        expected[test_rows], probabilities = rater.predict(inputs.take(test_rows))
        guessed[test_rows] = rater.domain_labels(probabilities)
        base_means[test_rows] = ratings[train_rows].mean(axis=0)
        base_domains[test_rows] = np.bincount(domains[train_rows], minlength=len(DOMAINS)).argmax()
    predicted = np.zeros(ratings.shape, dtype=np.int8)
    for train_rows, test_rows in folds:
        cuts = fit_cutpoints(expected[train_rows], ratings[train_rows])
        predicted[test_rows] = calibrated(expected[test_rows], cuts)
    metrics = evaluation(expected, predicted, guessed, ratings, domains, languages, base_means, base_domains)
    metrics["folds"] = settings.folds
    return metrics, expected


def rater_version(annotation_digest: str, settings: RaterSettings, feature_names: tuple, encoder: dict) -> str:
    """Content address of a trained rater: the same annotations, settings and features give the same version."""
    key = json.dumps(
        {
            "format": FORMAT,
            "annotations": annotation_digest,
            "settings": asdict(settings),
            "features": feature_names,
            "encoder": encoder,
        },
        sort_keys=True,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:12]
