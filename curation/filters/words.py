"""Word tokenization for the quality filters, shaped like the spaCy blank-English tokenizer datatrove uses:
split on white space, peel prefix and suffix punctuation off each chunk, split English contractions ("does",
"n't") and hyphens between letters, keep the rest whole ("1,000", "/tmp", "e.g.", "||||").
Agreement of the filters built on it with datatrove's: bench/filters_parity.py (figures in the README)."""

import re

_PREFIX = frozenset("\"'([{<*$£€¥¿¡“‘«„§#~")
_SUFFIX = frozenset("\"')]}>,;:!?.%”’»…*")
_ABBREVIATION = re.compile(  # spaCy's English exceptions keep these whole: e.g.  U.S.  L.  Dr.  Jan.
    r"^(?:[A-Za-z]\.)+$|^(?:Mr|Mrs|Ms|Dr|Prof|St|Mt|Jr|Sr|Inc|Ltd|Co|Corp|vs|etc|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|"
    r"Sept|Oct|Nov|Dec)\.$"
)
_CONTRACTION = re.compile(r"^(.+?)(n['’]t|['’](?:s|re|ve|ll|d|m))$", re.IGNORECASE)
_INFIX_HYPHEN = re.compile(r"(?<=[^\W\d_])(-)(?=[^\W\d_])")


def _core_tokens(core: str) -> list[str]:
    if match := _CONTRACTION.match(core):
        return [*_core_tokens(match.group(1)), match.group(2)]
    if "-" in core and _INFIX_HYPHEN.search(core):
        return [part for part in _INFIX_HYPHEN.split(core) if part]
    return [core]


def split_words(text: str) -> list[str]:
    tokens: list[str] = []
    append = tokens.append
    for chunk in text.split():
        if chunk.isalnum():  # most chunks: a plain word, nothing to peel or split
            append(chunk)
            continue
        start = 0
        while start < len(chunk) - 1 and chunk[start] in _PREFIX:
            tokens.append(chunk[start])
            start += 1
        core, suffixes = chunk[start:], []
        while len(core) > 1 and core[-1] in _SUFFIX and not _ABBREVIATION.match(core):
            if core.endswith("..."):
                suffixes.append("...")
                core = core[:-3]
            else:
                suffixes.append(core[-1])
                core = core[:-1]
        if core:
            tokens.extend(_core_tokens(core))
        tokens.extend(reversed(suffixes))
    return tokens
