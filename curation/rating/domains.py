"""DataMan's domain of a document: a class-weighted logistic regression over the chunk-mean MiniLM embedding and
its similarity to a short description of each of the 15 domains, with `Other` kept for documents that fit none.
Free of Dagster.

Why this head and not the rater's multi-task softmax: measured on the 800 annotations (5-fold, seed 0), the
softmax reached macro-F1 0.28; the embedding alone in a balanced logistic regression 0.37, with the description
similarities 0.43 (bench/results/rating.md). The descriptions carry English and German cue words because most
annotated pages are German and MiniLM is English. `Other` wins where no other domain reaches a probability
threshold chosen on out-of-fold predictions of the training documents."""

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

    def fit(self, embeddings: np.ndarray, domains: np.ndarray, folds) -> "DomainHead":
        """Fit on all rows; the `Other` threshold is the one of THRESHOLDS with the best out-of-fold macro-F1."""
        held_out = np.zeros((len(domains), len(DOMAINS)))
        for fit_rows, test_rows in folds:
            held_out[test_rows] = self._probabilities(
                self._fit_model(embeddings[fit_rows], domains[fit_rows]), embeddings[test_rows]
            )
        scores = [(macro_f1(domains, labels_with_threshold(held_out, t)), -t) for t in THRESHOLDS]
        self.other_threshold = -max(scores)[1]
        self.model = self._fit_model(embeddings, domains)
        return self

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        return self._probabilities(self.model, embeddings)

    def labels(self, probabilities: np.ndarray) -> np.ndarray:
        return labels_with_threshold(probabilities, self.other_threshold)


def anchor_embeddings(encoder) -> np.ndarray:
    """The descriptions embedded by the rater's own encoder, in DOMAINS order."""
    return encoder.embed([DESCRIPTIONS[d] for d in DOMAINS])[0]
