"""An evaluation set's word n-grams as a sorted array of 64-bit hashes (with the item each first came from), and
the lookup of a document's n-grams in it.

Words are the dedup stage's normalised words (curation.dedup.minhash: lowercase, no diacritics, digits as 0,
split at punctuation; datatrove's TextNormConfig defaults), an n-gram's hash a polynomial of its words' xxh3
hashes, so no n-gram string is ever built, on either side. Items shorter than n words give no n-gram (as in
datatrove); a document shorter than n words matches nothing. 12 bytes per distinct n-gram (hash + item).

Unlike datatrove, n-grams made only of numbers are not indexed: digits normalise to 0, so a GSM8K answer's
calculator trail (`<<16-3-4=9>>9`) becomes a run like "00 0 0 0 0", and any table of numbers in a web page would
match it (datatrove flagged 55 of its 90 documents in bench/results/decontamination.md on such runs alone).
"""

from dataclasses import dataclass
from functools import cache

import numpy as np

from curation.decontamination.benchmarks import Benchmark, read_items
from curation.dedup.minhash import normalized_words, shingle_hashes


@dataclass(frozen=True)
class NGramIndex:
    benchmark: str
    version: str
    n_grams: int
    hashes: np.ndarray  # uint64, sorted, distinct
    items: np.ndarray  # int32: 1-based line of the first item holding each n-gram
    item_count: int
    short_items: int  # items with fewer than n words (no n-gram)

    @property
    def nbytes(self) -> int:
        return self.hashes.nbytes + self.items.nbytes


def ngram_hashes(text: str, n: int) -> np.ndarray:
    words = normalized_words(text)
    if len(words) < n:
        return np.empty(0, dtype=np.uint64)
    return shingle_hashes(words, n)


def indexed_hashes(text: str, n: int) -> np.ndarray:
    """An item's n-gram hashes without those made only of numbers."""
    words = normalized_words(text)
    if len(words) < n:
        return np.empty(0, dtype=np.uint64)
    numeric = np.fromiter((w.isdigit() for w in words), dtype=np.int32, count=len(words))
    running = np.concatenate([[0], np.cumsum(numeric)])
    informative = (running[n:] - running[:-n]) < n
    return shingle_hashes(words, n)[informative]


def build_index(name: str, version: str, n: int, items: list[str]) -> NGramIndex:
    per_item = [indexed_hashes(text, n) for text in items]
    hashes = np.concatenate([np.empty(0, dtype=np.uint64), *per_item])
    owners = np.repeat(np.arange(1, len(items) + 1, dtype=np.int32), [h.size for h in per_item])
    order = np.argsort(hashes, kind="stable")  # stable: the first item holding an n-gram comes first
    hashes, owners = hashes[order], owners[order]
    first = np.ones(hashes.size, dtype=bool)
    np.not_equal(hashes[1:], hashes[:-1], out=first[1:])
    return NGramIndex(name, version, n, hashes[first], owners[first], len(items), sum(h.size == 0 for h in per_item))


@cache
def _index_of(name: str, version: str, benchmark: Benchmark) -> NGramIndex:
    return build_index(name, version, benchmark.n_grams, read_items(benchmark))


def index_of(benchmark: Benchmark) -> NGramIndex:
    """The set's index, built once per process and version (the version holds the file's sha256)."""
    return _index_of(benchmark.name, benchmark.version, benchmark)


@dataclass(frozen=True)
class Match:
    matched_ngrams: int  # distinct n-grams of the document found in the set
    longest_span_words: int  # the longest run of consecutive matching n-grams, in words
    first_item: int  # the set's item (1-based line) of the first matching n-gram in the document
    first_position: int  # the word where that n-gram starts in the document (0-based, normalised words)


def find(index: NGramIndex, document_hashes: np.ndarray) -> Match | None:
    """Where a document's n-gram hashes (in text order) meet the set's, or None."""
    if not document_hashes.size or not index.hashes.size:
        return None
    at = np.searchsorted(index.hashes, document_hashes)
    at[at == index.hashes.size] = 0
    hit = index.hashes[at] == document_hashes
    if not hit.any():
        return None
    positions = np.flatnonzero(hit)
    runs = np.split(positions, np.flatnonzero(np.diff(positions) != 1) + 1)
    longest = max(run.size for run in runs)
    return Match(
        matched_ngrams=int(np.unique(document_hashes[hit]).size),
        longest_span_words=int(longest + index.n_grams - 1),
        first_item=int(index.items[at[positions[0]]]),
        first_position=int(positions[0]),
    )
