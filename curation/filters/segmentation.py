"""Words per language, as FineWeb-2 splits them (datatrove's word tokenizer for the language's key).

Languages written with spaces (datatrove: spaCy's blank tokenizer of the language, or its multilingual `xx` one)
get `words.split_words`, the spaCy-shaped split the English filters already use: computed once per document and
shared with them; German, French and Italian, whose spaCy tokenizers treat hyphens, elisions and ordinals their
own way, get that split with their `words.PROFILES` entry. Chinese (cmn_Hani, yue_Hani, wuu_Hani: spaCy's
Chinese tokenizer with its jieba segmenter) is segmented by jieba, loaded offline from its package. Other
languages without spaces (Japanese: SudachiPy; Korean: Kiwi; Thai: PyThaiNLP; Khmer, Lao, Burmese, Tibetan) fall
back to the same split: the measured fallback, their agreement with datatrove listed in
bench/results/fineweb2_parity.md where the scratch venv has their tokenizer.
"""

from functools import cache

from curation.filters.language_settings import word_tokenizer
from curation.filters.words import PROFILES, Profile, split_words, split_words_twice

JIEBA_TOKENIZERS = frozenset({"SpaCyTokenizer:zh"})


@cache
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()  # the dictionary inside the package; its cache goes to the temporary folder
    return segmenter


def chinese_words(text: str) -> list[str]:
    """jieba's precise mode (with its HMM for unknown words), as spaCy's Chinese tokenizer calls it; blank
    tokens dropped, as datatrove drops them."""
    return [word.strip() for word in _jieba().cut(text, cut_all=False) if word.strip()]


def profile_of(key: str) -> Profile | None:
    """The word-split profile of a language key whose spaCy tokenizer differs from the English one, else None."""
    return PROFILES.get(word_tokenizer(key).removeprefix("SpaCyTokenizer:"))


def language_words(doc) -> list[str]:
    if word_tokenizer(doc.language_key) in JIEBA_TOKENIZERS:
        return chinese_words(doc.text)
    profile = profile_of(doc.language_key)
    if profile is None:
        return doc.words
    if "words" not in doc.__dict__:
        return split_words_twice(doc.text, profile)[1]
    return split_words(doc.text, profile)
