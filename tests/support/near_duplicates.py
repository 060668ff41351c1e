"""Near-duplicates made from real documents, and the true shingle Jaccard to judge MinHash estimates by."""

import random

from curation.dedup import minhash
from support.samples import documents


def shingles(text: str, n: int = 5) -> set[str]:
    words = minhash.normalize(text).split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def edit_words(text: str, rate: float, seed: int) -> str:
    """`text` with a share `rate` of its words replaced by new ones."""
    rng = random.Random(seed)
    words = text.split()
    for i in rng.sample(range(len(words)), round(rate * len(words))):
        words[i] = f"edit{rng.randrange(10**6)}"
    return " ".join(words)


def long_originals(count: int = 30, min_words: int = 400) -> list[str]:
    """The first `count` bundled documents of at least `min_words` words."""
    long_docs = [t for t in documents() if len(t.split()) >= min_words]
    assert len(long_docs) >= count
    return long_docs[:count]
