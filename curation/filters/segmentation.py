"""Words per language, as FineWeb-2 splits them (datatrove's word tokenizer for the language's key).

Languages written with spaces (datatrove: spaCy's blank tokenizer of the language, or its multilingual `xx` one)
get `words.split_words`, the spaCy-shaped split the English filters already use: computed once per document and
shared with them; German, French and Italian, whose spaCy tokenizers treat hyphens, elisions and ordinals their
own way, get that split with their `words.PROFILES` entry. Chinese (cmn_Hani, yue_Hani, wuu_Hani: spaCy's
Chinese tokenizer with its jieba segmenter) is segmented by jieba, Japanese (jpn_Jpan: spaCy's Japanese tokenizer)
by SudachiPy in split mode A with its core dictionary, both loaded offline from their packages. The other languages
without spaces (Korean: Kiwi; Thai: PyThaiNLP; Khmer, Lao, Burmese, Tibetan) fall back to the same split: the
measured fallback, their agreement with datatrove listed in bench/results/fineweb2_parity.md where the scratch venv
has their tokenizer (Japanese on the whitespace split agreed on 6 of 11 documents: hence SudachiPy).
"""

from functools import cache

from curation.filters.language_settings import word_tokenizer
from curation.filters.words import PROFILES, Profile, split_words, split_words_twice

JIEBA_TOKENIZERS = frozenset({"SpaCyTokenizer:zh"})
SUDACHI_TOKENIZERS = frozenset({"SpaCyTokenizer:ja"})
SUDACHI_CHUNK_BYTES = 40_000  # datatrove's chunks for spaCy's Japanese tokenizer (SudachiPy's input limit)


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


@cache
def _sudachi():
    from sudachipy import Dictionary, SplitMode

    return Dictionary(dict="core").tokenizer(mode=SplitMode.A)  # spaCy's default split mode; dictionary in its package


def japanese_words(text: str) -> list[str]:
    """SudachiPy's split mode A over chunks of at most 40,000 UTF-8 bytes, as datatrove runs spaCy's Japanese
    tokenizer; blank tokens dropped."""
    tokenizer = _sudachi()
    return [
        word
        for chunk in chunk_text_on_bytes(text, SUDACHI_CHUNK_BYTES)
        for morpheme in tokenizer.tokenize(chunk)
        if (word := morpheme.surface().strip())
    ]


def chunk_text_on_bytes(text: str, max_chunk_size: int) -> list[str]:
    """datatrove 0.10's `chunk_text_on_bytes` (Apache-2.0, huggingface/datatrove utils/word_tokenizers.py), copied
    so that chunk boundaries, and so the words at them, are the same."""

    def utf8len(s: str) -> int:
        return len(s.encode("utf-8"))

    factor = len(text) / utf8len(text) if utf8len(text) > 0 else 1
    increase_by = int(max(min(max_chunk_size * 0.1, 10), 1))
    initial_size_guess = int(max(max_chunk_size * factor - 10, 1))
    final_list = []
    remaining = text
    while len(remaining):
        part = remaining[:initial_size_guess]
        if utf8len(part) > max_chunk_size:
            initial_size_guess = max(initial_size_guess - min(max_chunk_size * 0.001, 10), 1)
            continue
        cut_after = initial_size_guess
        while utf8len(part) < max_chunk_size and part != remaining:
            cut_after = min(len(remaining), cut_after + increase_by)
            part = remaining[:cut_after]
        if utf8len(part) > max_chunk_size:
            cut_after -= increase_by
        final_list.append(remaining[:cut_after])
        remaining = remaining[cut_after:]
    return final_list


def profile_of(key: str) -> Profile | None:
    """The word-split profile of a language key whose spaCy tokenizer differs from the English one, else None."""
    return PROFILES.get(word_tokenizer(key).removeprefix("SpaCyTokenizer:"))


def language_words(doc) -> list[str]:
    tokenizer = word_tokenizer(doc.language_key)
    if tokenizer in JIEBA_TOKENIZERS:
        return chinese_words(doc.text)
    if tokenizer in SUDACHI_TOKENIZERS:
        return japanese_words(doc.text)
    profile = profile_of(doc.language_key)
    if profile is None:
        return doc.words
    if "words" not in doc.__dict__:
        return split_words_twice(doc.text, profile)[1]
    return split_words(doc.text, profile)
