"""One word split as arrays: each word's start and length in the words joined without a separator, and that
text's code points. What the repetition and quality measurements read per word (n-gram keys, character classes)
is then computed with numpy over the whole document at once instead of a Python loop per word."""

from collections.abc import Sequence
from functools import cache

import numpy as np

from curation.filters.punctuation import PUNCTUATION_SET

_BMP = 0x10000


class WordArray:
    def __init__(self, words: Sequence[str]):
        self.words = words
        self.count = len(words)
        self.lengths = np.fromiter(map(len, words), dtype=np.int64, count=self.count)
        self.starts = np.zeros(self.count + 1, dtype=np.int64)
        np.cumsum(self.lengths, out=self.starts[1:])  # word i is codes[starts[i]:starts[i + 1]]
        # surrogatepass: a lone surrogate is one code point here, as it is one character of the str
        self.codes = np.frombuffer("".join(words).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)

    def character_classes(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Per word: (every character alphabetic, some character alphabetic, some character not punctuation), as
        str.isalpha and datatrove's PUNCTUATION_SET judge them; None for a list with an empty word."""
        if self.count == 0 or not self.lengths.all():
            return None
        alpha, punct = _classes(self.codes)
        at = self.starts[:-1]
        return (
            np.logical_and.reduceat(alpha, at),
            np.logical_or.reduceat(alpha, at),
            np.logical_or.reduceat(~punct, at),
        )


def word_array(shared: dict, words: Sequence[str]) -> WordArray:
    """The array of a document's word list, built once per list (`shared`: the Document's cache)."""
    key = ("word_array", id(words))
    found = shared.get(key)
    if found is None:
        found = shared[key] = WordArray(words)
    return found


@cache
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """str.isalpha and PUNCTUATION_SET membership of every code point below 0x10000 (built once per process)."""
    characters = [chr(i) for i in range(_BMP)]
    alpha = np.fromiter((c.isalpha() for c in characters), dtype=bool, count=_BMP)
    punct = np.fromiter((c in PUNCTUATION_SET for c in characters), dtype=bool, count=_BMP)
    return alpha, punct


def _classes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    alpha_table, punct_table = _tables()
    beyond = codes >= _BMP
    if not beyond.any():
        return alpha_table[codes], punct_table[codes]
    index = np.where(beyond, 0, codes)
    alpha, punct = alpha_table[index], punct_table[index]
    for i in np.flatnonzero(beyond).tolist():  # emoji, historic scripts: few, judged one by one
        character = chr(int(codes[i]))
        alpha[i], punct[i] = character.isalpha(), character in PUNCTUATION_SET
    return alpha, punct
