"""Word tokenization for the quality filters, shaped like the spaCy blank-English tokenizer datatrove uses:
split on white space, peel prefix and suffix punctuation off each chunk, split English contractions ("does",
"n't") and hyphens between letters, keep the rest whole ("1,000", "/tmp", "e.g.", "||||").
Agreement of the filters built on it with datatrove's: bench/filters_parity.py (figures in the README)."""

import re
from dataclasses import dataclass

_PREFIX = frozenset("=\"'([{<*$£€¥¿¡“‘«„§#~")
_SUFFIX = frozenset("\"')]}>,;:!?.%”’»…*")
_ABBREVIATION = re.compile(  # spaCy's English exceptions keep these whole: e.g.  U.S.  L.  Dr.  Jan.
    r"^(?:[A-Za-z]\.)+$|^(?:Mr|Mrs|Ms|Dr|Prof|St|Mt|Jr|Sr|Inc|Ltd|Co|Corp|vs|etc|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|"
    r"Sept|Oct|Nov|Dec)\.$"
)
_CONTRACTION = re.compile(r"^(.+?)(n['’]t|['’](?:s|re|ve|ll|d|m))$", re.IGNORECASE)
_INFIX_HYPHEN = re.compile(r"(?<=[^\W\d_])(-)(?=[^\W\d_])")
_INFIX_HYPHEN_BEFORE_LOWER = re.compile(r"(?<=[^\W\d_])(-)(?=[^\W\d_A-ZÀ-Þ])")
_ELISION = re.compile(r"(?<=[^\W\d_]['’])(?=[^\W_])")  # l'homme -> l' homme (French, Italian)


@dataclass(frozen=True)
class Profile:
    """Where spaCy's tokenizer for a language differs from its English one, as FineWeb-2 ran them: German and
    French keep hyphenated words whole, Italian splits a hyphen only before a lower-case letter, French and
    Italian split elisions after the apostrophe, German keeps a number's period (ordinals: "3."). Measured
    against datatrove in bench/fineweb2_parity.py."""

    hyphens: re.Pattern | None = _INFIX_HYPHEN
    elision: bool = False
    number_period: bool = False
    contractions: bool = True
    apostrophe_suffix: bool = True  # Italian keeps an apostrophe that ends a word ("po’", "E’")


ENGLISH = Profile()
PROFILES = {
    "de": Profile(hyphens=None, number_period=True, contractions=False),
    "fr": Profile(hyphens=None, elision=True, contractions=False),
    "it": Profile(hyphens=_INFIX_HYPHEN_BEFORE_LOWER, elision=True, contractions=False, apostrophe_suffix=False),
}


def _core_tokens(core: str, profile: Profile = ENGLISH) -> list[str]:
    if profile.contractions and (match := _CONTRACTION.match(core)):
        return [*_core_tokens(match.group(1)), match.group(2)]
    if profile.elision and ("'" in core or "’" in core) and _ELISION.search(core):
        return [t for part in _ELISION.split(core) if part for t in _core_tokens(part, Profile(profile.hyphens))]
    hyphens = profile.hyphens
    if hyphens is not None and "-" in core and hyphens.search(core):
        return [part for part in hyphens.split(core) if part]
    return [core]


def split_words(text: str, profile: Profile = ENGLISH) -> list[str]:
    tokens: list[str] = []
    append = tokens.append
    for chunk in text.split():
        if chunk.isalnum():  # most chunks: a plain word, nothing to peel or split
            append(chunk)
        else:
            _split_chunk(chunk, profile, tokens)
    return tokens


def split_words_twice(text: str, profile: Profile) -> tuple[list[str], list[str]]:
    """`(split_words(text), split_words(text, profile))` in one pass: the two differ only in chunks that are not
    a plain word, so those are split twice and the rest once."""
    english: list[str] = []
    other: list[str] = []
    for chunk in text.split():
        if chunk.isalnum():
            english.append(chunk)
            other.append(chunk)
        elif _splits_alike(chunk):
            start = len(english)
            _split_chunk(chunk, ENGLISH, english)
            other += english[start:]
        else:
            _split_chunk(chunk, ENGLISH, english)
            _split_chunk(chunk, profile, other)
    return english, other


def _splits_alike(chunk: str) -> bool:
    """Every profile splits this chunk as English does: the profiles differ only on hyphens, apostrophes
    (contractions, elisions) and a period after a digit."""
    if "-" in chunk or "'" in chunk or "’" in chunk:
        return False
    return "." not in chunk or not any(c.isdigit() for c in chunk)


def _split_chunk(chunk: str, profile: Profile, tokens: list[str]) -> None:
    start = 0
    while start < len(chunk) - 1 and chunk[start] in _PREFIX:
        tokens.append(chunk[start])
        start += 1
    core, suffixes = chunk[start:], []
    while len(core) > 1 and core[-1] in _SUFFIX and not _ABBREVIATION.match(core):
        if profile.number_period and core[-1] == "." and core[-2].isdigit():
            break
        if not profile.apostrophe_suffix and core[-1] in "'’" and core[-2].isalpha():
            break
        if core.endswith("..."):
            suffixes.append("...")
            core = core[:-3]
        else:
            suffixes.append(core[-1])
            core = core[:-1]
    if core:
        tokens.extend(_core_tokens(core) if profile is ENGLISH else _core_tokens(core, profile))
    tokens.extend(reversed(suffixes))
