"""DataMan's domain of a document: a class-weighted logistic regression over the chunk-mean MiniLM embedding and
its similarity to a short description of each of the 15 domains, with `Other` kept for documents that fit none.
Free of Dagster.

Why this head and not the rater's multi-task softmax: measured on the 800 annotations (5-fold, seed 0), the
softmax reached macro-F1 0.28; the embedding alone in a balanced logistic regression 0.37, with the description
similarities 0.38 (bench/results/rating.md). Where the document's URL is known, a second balanced logistic
regression over character 3-5-grams of its host and path (a shop's `/warenkorb`, a council's `stadt-`, a forum's
`/users/`) is averaged in with equal weight: measured on the same folds without the `Other` threshold, macro-F1
0.373 -> 0.423, accuracy 0.446 -> 0.497 (URL alone: 0.235 / 0.346). The descriptions carry English and German
cue words because most annotated pages are German and MiniLM is English. `Other` wins where no other domain
reaches a probability threshold chosen on out-of-fold predictions of the training documents."""

import re
from dataclasses import dataclass

import numpy as np

from curation.rating.criteria import DOMAINS

DESCRIPTIONS = {
    "Medicine": "medicine, health, doctors, hospitals, diseases, treatment, pharmacy, Medizin, Gesundheit, Arzt, "
    "Krankheit, Therapie",
    "Finance": "finance, banking, money, investment, stocks, insurance, loans, taxes, Finanzen, Bank, Geld, "
    "Versicherung, Kredit",
    "Law": "law, legal, court, lawyer, contracts, rights, regulations, terms and conditions, Recht, Gesetz, Anwalt, "
    "Gericht, Vertrag, AGB, Datenschutz",
    "Education": "education, school, university, courses, teaching, students, learning, Bildung, Schule, "
    "Universität, Kurs, Studium",
    "Technology": "technology, software, computers, hardware, internet, electronics, engineering, Technik, "
    "Software, Computer",
    "Entertainment": "entertainment, movies, music, games, sports, celebrities, television, Unterhaltung, Film, "
    "Musik, Spiel, Sport",
    "Mathematics": "mathematics, equations, algebra, geometry, statistics, proofs, Mathematik, Gleichung",
    "Coding": "programming, source code, developers, functions, APIs, Python, JavaScript, bugs, Programmierung, Code",
    "Government": "government, politics, public administration, city council, elections, municipality, Regierung, "
    "Politik, Gemeinde, Verwaltung, Stadt",
    "Culture": "culture, art, history, religion, literature, museums, traditions, events, Kultur, Kunst, "
    "Geschichte, Kirche, Veranstaltung",
    "Transportation": "transportation, cars, trains, flights, travel, traffic, logistics, Verkehr, Auto, Bahn, "
    "Reise, Hotel",
    "Retail E-commerce": "online shop, products, prices, buy, shopping cart, retail, e-commerce, Shop, kaufen, "
    "Preis, Produkt, Warenkorb",
    "Telecommunication": "telecommunication, mobile phones, network, broadband, telephone, carriers, "
    "Telekommunikation, Handy, Mobilfunk",
    "Agriculture": "agriculture, farming, crops, livestock, gardening, food production, Landwirtschaft, Bauernhof, "
    "Garten",
    "Other": "miscellaneous page, navigation, login, error page, personal blog, forum profile, Sonstiges",
}
OTHER = DOMAINS.index("Other")
URL_WEIGHT = 0.5  # the URL model's share of the domain probabilities (0.35: macro-F1 0.401; 0.5: 0.423; 0.6: 0.409)


def url_words(url: str | None) -> str:
    """Host and path as lowercase words: the URL model's text (scheme, punctuation and query syntax dropped)."""
    url = re.sub(r"^[a-z]+://", "", (url or "").lower())
    return " ".join(w for w in re.split(r"[^0-9a-zà-ÿ]+", url) if w)


class UrlModel:
    """Balanced logistic regression over character 3-5-grams of the URL's words."""

    def __init__(self, c: float = 10.0):
        self.c = c
        self.vectorizer = None
        self.model = None

    def fit(self, urls: list[str], domains: np.ndarray) -> "UrlModel":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        features = self.vectorizer.fit_transform([url_words(u) for u in urls])
        self.model = LogisticRegression(C=self.c, class_weight="balanced", max_iter=3000).fit(features, domains)
        return self

    def probabilities(self, urls: list[str]) -> np.ndarray:
        out = np.zeros((len(urls), len(DOMAINS)))
        out[:, self.model.classes_] = self.model.predict_proba(self.vectorizer.transform([url_words(u) for u in urls]))
        return out


THRESHOLDS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3)


def macro_f1(truth: np.ndarray, guessed: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    present = sorted(set(truth.tolist()))
    return float(f1_score(truth, guessed, labels=present, average="macro", zero_division=0))


def labels_with_threshold(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """The most probable domain, or `Other` where no other domain reaches `threshold`."""
    named = probabilities.copy()
    named[:, OTHER] = -1.0
    guessed = probabilities.argmax(axis=1)
    guessed[named.max(axis=1) < threshold] = OTHER
    return guessed


@dataclass
class DomainHead:
    anchors: np.ndarray  # 15 x 384: the descriptions' embeddings, in DOMAINS order
    c: float = 10.0
    anchor_weight: float = 3.0
    model: object = None
    other_threshold: float = 0.0
    url_model: UrlModel | None = None

    def features(self, embeddings: np.ndarray) -> np.ndarray:
        return np.hstack([embeddings, self.anchor_weight * (embeddings @ self.anchors.T)])

    def _fit_model(self, embeddings: np.ndarray, domains: np.ndarray):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.c, class_weight="balanced", max_iter=3000).fit(
            self.features(embeddings), domains
        )

    def _probabilities(self, model, embeddings: np.ndarray) -> np.ndarray:
        out = np.zeros((len(embeddings), len(DOMAINS)))
        out[:, model.classes_] = model.predict_proba(self.features(embeddings))
        return out

    def fit(self, embeddings: np.ndarray, domains: np.ndarray, folds, urls: list[str] | None = None) -> "DomainHead":
        """Fit on all rows (and their URLs, where given); the `Other` threshold is the one of THRESHOLDS with the
        best out-of-fold macro-F1."""
        held_out = np.zeros((len(domains), len(DOMAINS)))
        for fit_rows, test_rows in folds:
            model = self._fit_model(embeddings[fit_rows], domains[fit_rows])
            held_out[test_rows] = self._probabilities(model, embeddings[test_rows])
            if urls is not None:
                url_model = UrlModel().fit([urls[i] for i in fit_rows], domains[fit_rows])
                held_out[test_rows] = _mixed(held_out[test_rows], url_model.probabilities([urls[i] for i in test_rows]))
        scores = [(macro_f1(domains, labels_with_threshold(held_out, t)), -t) for t in THRESHOLDS]
        self.other_threshold = -max(scores)[1]
        self.model = self._fit_model(embeddings, domains)
        self.url_model = UrlModel().fit(urls, domains) if urls is not None else None
        return self

    def probabilities(self, embeddings: np.ndarray, urls: list[str] | None = None) -> np.ndarray:
        """Domain probabilities; with the URL model's averaged in where the head has one and URLs are given (a head
        saved before it had none)."""
        embedded = self._probabilities(self.model, embeddings)
        url_model = getattr(self, "url_model", None)
        return embedded if url_model is None or urls is None else _mixed(embedded, url_model.probabilities(urls))

    def labels(self, probabilities: np.ndarray) -> np.ndarray:
        return labels_with_threshold(probabilities, self.other_threshold)


def _mixed(embedded: np.ndarray, from_urls: np.ndarray) -> np.ndarray:
    return (1 - URL_WEIGHT) * embedded + URL_WEIGHT * from_urls


def anchor_embeddings(encoder) -> np.ndarray:
    """The descriptions embedded by the rater's own encoder, in DOMAINS order."""
    return encoder.embed([DESCRIPTIONS[d] for d in DOMAINS])[0]
