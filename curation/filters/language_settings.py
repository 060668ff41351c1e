"""FineWeb-2's per-language filter settings (Penedo et al. 2025, "FineWeb2: One Pipeline to Scale Them All"),
keyed as FineWeb-2 keys them: ISO 639-3 code + ISO 15924 script (`deu_Latn`, `srp_Cyrl`).

`resources/fineweb2/settings.json` holds, for every key lid.176 can reach, the thresholds and stop words of
FineWeb-2's `configs/{key}.yml` (huggingface/fineweb-2, Apache-2.0, LICENSE beside it). `lid176_keys.csv` maps a
lid.176 label to its keys (from datatrove 0.10.1's `tokenizer_assignment.csv`, Apache-2.0: the macrolanguage's
default member, e.g. zh -> cmn_Hani, no -> nob_Latn) with the word tokenizer FineWeb-2 used; where a language has
several scripts (sr: Cyrl and Latn) the text's own letters choose. Two keys are the project's, documented:
`eng_Latn` (FineWeb-2 has no English config: FineWeb's English thresholds and Gopher's stop words) and `default`
(a language with no config: the same thresholds, no stop-word rule), counted in the recipe's metadata.
"""

import csv
import json
import unicodedata
from collections import Counter
from functools import cache
from importlib.resources import files
from pathlib import Path

FOLDER = Path(str(files("curation") / "resources" / "fineweb2"))
DEFAULT_KEY = "default"
ENGLISH_KEY = "eng_Latn"
TOP_N = (2, 3, 4)
DUP_N = (5, 6, 7, 8, 9, 10)
# every per-language threshold, as the settings table's columns (`top_2_gram` is top_n_grams[2], ...)
THRESHOLDS = (
    "language_score",
    "dup_line_frac",
    *[f"top_{n}_gram" for n in TOP_N],
    *[f"dup_{n}_gram" for n in DUP_N],
    "line_punct_thr",
    "new_line_ratio",
    "min_avg_word_length",
    "max_avg_word_length",
    "max_non_alpha_words_ratio",
)
# FineWeb's English values (datatrove 0.10's defaults): English and languages without a config
_FINEWEB_ENGLISH = {
    "language_score": 0.65,
    "dup_line_frac": 0.3,
    **dict(zip([f"top_{n}_gram" for n in TOP_N], (0.20, 0.18, 0.16), strict=True)),
    **dict(zip([f"dup_{n}_gram" for n in DUP_N], (0.15, 0.14, 0.13, 0.12, 0.11, 0.10), strict=True)),
    "line_punct_thr": 0.12,
    "new_line_ratio": 0.3,
    "min_avg_word_length": 3,
    "max_avg_word_length": 10,
    "max_non_alpha_words_ratio": 0.8,
}
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
# the first word of a letter's Unicode name, per ISO 15924 script of a key (for choosing among a language's scripts)
_SCRIPT_NAMES = {
    "Latn": "LATIN",
    "Cyrl": "CYRILLIC",
    "Arab": "ARABIC",
    "Hani": "CJK",
    "Deva": "DEVANAGARI",
    "Guru": "GURMUKHI",
    "Hebr": "HEBREW",
    "Grek": "GREEK",
    "Beng": "BENGALI",
    "Mong": "MONGOLIAN",
    "Tibt": "TIBETAN",
    "Geor": "GEORGIAN",
    "Armn": "ARMENIAN",
    "Ethi": "ETHIOPIC",
    "Hang": "HANGUL",
    "Thaa": "THAANA",
    "Syrc": "SYRIAC",
    "Taml": "TAMIL",
    "Telu": "TELUGU",
    "Knda": "KANNADA",
    "Mlym": "MALAYALAM",
    "Gujr": "GUJARATI",
    "Orya": "ORIYA",
    "Sinh": "SINHALA",
    "Thai": "THAI",
    "Khmr": "KHMER",
    "Laoo": "LAO",
    "Mymr": "MYANMAR",
}


@cache
def _bundled() -> dict[str, dict]:
    raw = json.loads((FOLDER / "settings.json").read_text(encoding="utf-8"))
    table = {}
    for key, config in raw.items():
        row = {name: float(config[name]) for name in THRESHOLDS if name in config}
        row |= {f"top_{n}_gram": float(config["top_n_grams"][str(n)]) for n in TOP_N}
        row |= {f"dup_{n}_gram": float(config["dup_n_grams"][str(n)]) for n in DUP_N}
        table[key] = (row, tuple(config["stopwords"]))
    table[ENGLISH_KEY] = (dict(_FINEWEB_ENGLISH), GOPHER_STOP_WORDS)
    table[DEFAULT_KEY] = (dict(_FINEWEB_ENGLISH), ())
    return table


@cache
def _keys_of_label() -> dict[str, list[tuple[str, bool, str]]]:
    """lid.176 label -> [(key, default script?, word tokenizer)], English added as the project's key."""
    out: dict[str, list[tuple[str, bool, str]]] = {"en": [(ENGLISH_KEY, True, "SpaCyTokenizer:en")]}
    with open(FOLDER / "lid176_keys.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["lid_code"], []).append(
                (row["key"], row["default_script"] == "True", row["word_tokenizer"])
            )
    return out


def all_keys() -> tuple[str, ...]:
    """Every key a document can get, `default` included."""
    return tuple(sorted(_bundled()))


def thresholds(key: str) -> dict[str, float]:
    return dict(_bundled().get(key, _bundled()[DEFAULT_KEY])[0])


def stop_words(key: str) -> tuple[str, ...]:
    """FineWeb-2's stop words of the language (Gopher's for English; none for `default`)."""
    return _bundled().get(key, _bundled()[DEFAULT_KEY])[1]


@cache
def _tokenizers() -> dict[str, str]:
    return {key: tokenizer for candidates in _keys_of_label().values() for key, _, tokenizer in candidates}


def word_tokenizer(key: str) -> str:
    """datatrove's word tokenizer for the key (`SpaCyTokenizer:de`, `KiwiTokenizer`, ...)."""
    return _tokenizers().get(key, "SpaCyTokenizer:xx")


def _dominant_script(text: str, scripts: list[str]) -> str | None:
    wanted = {_SCRIPT_NAMES[s]: s for s in scripts if s in _SCRIPT_NAMES}
    counts: Counter = Counter()
    for ch in text[:5000]:
        if ch.isalpha():
            name = unicodedata.name(ch, "").split(" ", 1)[0]
            if name in wanted:
                counts[wanted[name]] += 1
    return counts.most_common(1)[0][0] if counts else None


def key_of(language: str | None, text: str) -> str:
    """The FineWeb-2 key of a document lid.176 labelled `language`; `default` where FineWeb-2 has no config."""
    candidates = _keys_of_label().get(language or "", [])
    if not candidates:
        return DEFAULT_KEY
    if len(candidates) == 1:
        return candidates[0][0]
    script = _dominant_script(text, [key.split("_", 1)[1] for key, _, _ in candidates])
    chosen = [key for key, _, _ in candidates if key.endswith("_" + (script or ""))]
    return chosen[0] if chosen else next(key for key, default, _ in candidates if default)
