"""Gopher's n-gram repetition measures over one document's words, vectorized with numpy and exact.

datatrove keys an n-gram by its words joined (with " " for the top n-gram, with "" for duplicated n-grams) and
counts in Python dictionaries, one string per position and size: nine passes of string building per document.
Here each n-gram is a 64-bit polynomial hash of that joined string, read off prefix sums over the document's
characters (equal strings always get equal hashes), counted with one sort per size. A hash can only merge
strings, never split them, so the result is made exact by checking strings where it matters: the top n-gram's
positions must hold one string (else the Python count decides), and the duplicated-n-gram walk visits every
position whose hash repeats but compares the real strings there. The Python functions in gopher_repetition.py
stay the reference (tests/unit/test_gopher_filters.py holds the two to each other).
"""

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from curation.filters.word_array import WordArray

_BASE = np.uint64(0x100000001B3)  # odd: multiplying by a power of it is a bijection modulo 2**64


class NgramText:
    """One word list's n-gram keys: `top_chars(n)` and `duplicated_chars(n)` as datatrove's find_top_duplicate and
    find_all_duplicate measure them (characters), for any n."""

    def __init__(self, words: Sequence[str] | WordArray):
        array = words if isinstance(words, WordArray) else WordArray(words)
        self.words = array.words
        self.count = array.count
        self.starts = array.starts  # word i is chars [starts[i], starts[i+1]) of "".join(words)
        self._joined = _PrefixHash(array.codes)
        self._spaced: _PrefixHash | None = None  # " ".join(words), built for the top n-grams on first use

    def top_chars(self, n: int, reference: Callable[[Sequence[str], int], int]) -> int:
        """Characters of the most frequent " "-joined n-gram times its count (the first one seen on a tie)."""
        positions = self.count - n + 1
        if positions <= 0:
            return 0
        if self._spaced is None:
            self._spaced = _PrefixHash(_code_points(" ".join(self.words)))
        # in " ".join(words), word i starts at starts[i] + i; the n-gram ends n - 1 spaces after its last word
        begin = self.starts[:positions] + np.arange(positions)
        end = self.starts[n : n + positions] + np.arange(positions) + (n - 1)
        keys = self._spaced.keys(begin, end)
        order = np.argsort(keys)
        ordered = keys[order]
        group_starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        counts = np.diff(np.append(group_starts, positions))
        best = counts.max()
        firsts = np.minimum.reduceat(order, group_starts)  # each hash's first position
        winner = int(firsts[counts == best].min())  # Counter.most_common(1): the earliest of the most frequent
        text = " ".join(self.words[winner : winner + n])
        if best > 1:
            at = np.flatnonzero(keys == keys[winner]).tolist()
            if any(" ".join(self.words[i : i + n]) != text for i in at):
                return reference(self.words, n)  # two strings share a hash: count them in Python
        return len(text) * int(best)

    def duplicated_chars(self, n: int) -> int:
        """Characters in repeats of ""-joined n-grams, each repeat skipping its n words (find_all_duplicate)."""
        positions = self.count - n + 1
        if positions <= 1:
            return 0
        keys = self._joined.keys(self.starts[:positions], self.starts[n : n + positions])
        order = np.argsort(keys)
        ordered = keys[order]
        same = ordered[1:] == ordered[:-1]
        if not same.any():
            return 0
        repeated = np.zeros(positions, dtype=bool)  # a hash seen at two positions or more
        repeated[order[1:][same]] = True
        repeated[order[:-1][same]] = True
        words = self.words
        return repeat_walk(np.flatnonzero(repeated).tolist(), lambda i: "".join(words[i : i + n]), n)


def repeat_walk(positions: Iterable[int], ngram_at: Callable[[int], str], n: int) -> int:
    """datatrove's find_all_duplicate walk, over the positions whose n-gram may repeat (a unique n-gram is never a
    repeat, so skipping it changes nothing): characters of each n-gram seen before, stepping over its n words."""
    seen, total, resume = set(), 0, 0
    for i in positions:
        if i < resume:
            continue  # inside a repeat just counted: datatrove steps over it
        ngram = ngram_at(i)
        if ngram in seen:
            total += len(ngram)
            resume = i + n
        else:
            seen.add(ngram)
    return total


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


class _PrefixHash:
    """Prefix sums of c_k * B**k over a string's code points: the hash of chars [s, e) is
    (P[e] - P[s]) * B**(T - s), the same for equal substrings wherever they start (T: the string's length)."""

    def __init__(self, code_points: np.ndarray):
        codes = code_points.astype(np.uint64)
        size = codes.size
        self.powers = np.empty(size + 1, dtype=np.uint64)
        self.powers[0] = 1
        if size:
            np.cumprod(np.full(size, _BASE, dtype=np.uint64), out=self.powers[1:])
        self.prefix = np.zeros(size + 1, dtype=np.uint64)
        np.cumsum((codes + np.uint64(1)) * self.powers[:size], out=self.prefix[1:])
        self.size = size

    def keys(self, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        return (self.prefix[end] - self.prefix[begin]) * self.powers[self.size - begin]
