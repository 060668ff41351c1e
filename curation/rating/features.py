"""Text statistics of a document's annotator view: the features that beat sentence embeddings on the LLM
ratings (FineWeb/Gopher/C4 measurements plus shape, punctuation and language signals). Free of Dagster."""

import math
import re

import numpy as np

from curation.filters.signals import SCHEMA as SIGNALS_SCHEMA
from curation.filters.signals import signals_of
from curation.rating.criteria import annotator_view

MEASURES = tuple(f.name for f in SIGNALS_SCHEMA if "__" in f.name)
EXTRA = (
    "log_full_chars",
    "log_view_chars",
    "log_lines",
    "language_score",
    "upper_frac",
    "digit_frac",
    "alpha_frac",
    "punct_frac",
    "unique_word_frac",
    "mean_line_chars",
    "sentences_per_word",
    "pipe_frac",
    "links_per_word",
    "is_de",
    "is_en",
    "is_other_language",
)
FEATURE_NAMES = MEASURES + EXTRA
_SENTENCE_END = re.compile(r"[.!?](\s|$)")
_PUNCT = frozenset(".,;:!?")


def text_statistics(text: str, full_chars: int, language: str, language_score: float) -> list[float]:
    view = annotator_view(text)
    signals = signals_of(view, language, language_score)
    row = [float(signals[m] or 0.0) for m in MEASURES]
    n = len(view) or 1
    lines = [line for line in view.split("\n") if line.strip()]
    words = view.split()
    n_words = len(words) or 1
    row += [
        math.log1p(full_chars),
        math.log1p(len(view)),
        math.log1p(len(lines)),
        float(language_score or 0.0),
        sum(c.isupper() for c in view) / n,
        sum(c.isdigit() for c in view) / n,
        sum(c.isalpha() for c in view) / n,
        sum(c in _PUNCT for c in view) / n,
        len(set(words)) / n_words,
        sum(len(line) for line in lines) / len(lines) if lines else 0.0,
        len(_SENTENCE_END.findall(view)) / n_words,
        view.count("|") / n,
        view.count("http") / n_words,
        float(language == "de"),
        float(language == "en"),
        float(language not in ("de", "en")),
    ]
    return row


def statistics_matrix(texts, full_chars, languages, language_scores) -> np.ndarray:
    rows = [
        text_statistics(t or "", int(f), lang, s)
        for t, f, lang, s in zip(texts, full_chars, languages, language_scores, strict=True)
    ]
    return np.nan_to_num(np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES)))
