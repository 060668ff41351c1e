"""GPT-2-style byte-level BPE tokenizer files (GPT-NeoX-20B's among them) encoded by tiktoken's BPE core, which
spends about a third of the CPU of Hugging Face `tokenizers` on the same text, with Hugging Face's ids.

A `tokenizer.json` qualifies when its pipeline is one tiktoken reproduces: a BPE model without dropout, unknown
token, subword prefix or suffix, byte fallback or ignore_merges; merged token ids rising with the merge order (so
tiktoken's "lowest rank first" is the merge list's order); a NFC or no normalizer; GPT-2's ByteLevel pre-tokenizer
(its regex, no prefix space). Hugging Face's added tokens are honoured in its order: those matched on the raw text
(`normalized: false`, the special ones) are split out first, each piece is normalized, then the normalized added
tokens (GPT-NeoX's runs of spaces) are split out, longest first, and the rest goes to the BPE. A file that does
not qualify, or whose ids differ from Hugging Face's on a probe text when it is loaded, is encoded by
`tokenizers` as before (`TokenizerFile.fast` says which). Tests hold the two to each other on the sample crawl.
"""

import json
import re
import unicodedata
from pathlib import Path

_NEVER_ALLOWED = "<|curator: never a special token|>"
GPT2_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# what the probe covers: scripts, digits, contractions, runs of spaces and newlines, specials inside words
PROBE = (
    "It's 10:30 -- the CAFÉ costs 1.000,50 € (über-günstig!)\n\n    indented    code();\t\tx += 1\n"
    "Ελληνικά, русский, 中文分词, 日本語のテキスト, 한국어, العربية, हिन्दी  \u00a0 emoji 😀👍🏽 e\u0301 "
    "<|endoftext|> assistants RWKV-4 <|padding|>  trailing   \n"
)


class ByteLevelBPE:
    """Encode texts as Hugging Face `tokenizers` encodes them with add_special_tokens=False."""

    def __init__(self, spec: dict):
        import tiktoken

        model, added = spec["model"], spec.get("added_tokens") or []
        decode_byte = _byte_decoder()
        ranks = {bytes(decode_byte[c] for c in token): rank for token, rank in model["vocab"].items()}
        # one special token that is never allowed, so tiktoken's numpy path encodes as encode_ordinary does (with
        # no special token at all, its special-token pattern would be empty and match everywhere)
        never = {_NEVER_ALLOWED: len(ranks) + len(added) + 1_000}
        self._bpe = tiktoken.Encoding("curator", pat_str=GPT2_SPLIT, mergeable_ranks=ranks, special_tokens=never)
        self._nfc = (spec.get("normalizer") or {}).get("type") == "NFC"
        raw = {a["content"]: a["id"] for a in added if not a.get("normalized", not a.get("special", False))}
        normalized = {a["content"]: a["id"] for a in added if a["content"] not in raw}
        self._raw, self._normalized = raw, normalized
        self._raw_split = _alternation(raw)
        self._normalized_split = _alternation(normalized)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [self.encode(text) for text in texts]

    def encode_array(self, text: str):
        """`encode` as a numpy uint32 array, without a Python int per token (tiktoken's buffer path)."""
        import numpy as np

        parts = []
        for piece, special in _split(text, self._raw_split):
            if special:
                parts.append(np.array([self._raw[piece]], dtype=np.uint32))
                continue
            if self._nfc:
                piece = unicodedata.normalize("NFC", piece)
            for part, added in _split(piece, self._normalized_split):
                if added:
                    parts.append(np.array([self._normalized[part]], dtype=np.uint32))
                else:
                    parts.append(self._bpe.encode_to_numpy(part, disallowed_special=()))
        if len(parts) == 1:
            return parts[0]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece, special in _split(text, self._raw_split):
            if special:
                ids.append(self._raw[piece])
                continue
            if self._nfc:
                piece = unicodedata.normalize("NFC", piece)
            for part, added in _split(piece, self._normalized_split):
                if added:
                    ids.append(self._normalized[part])
                else:
                    ids += self._bpe.encode_ordinary(part)
        return ids


def from_file(path: Path, reference) -> ByteLevelBPE | None:
    """The fast encoder for this file, or None where it does not qualify or disagrees with `reference` (the loaded
    Hugging Face tokenizer) on the probe."""
    spec = json.loads(Path(path).read_text(encoding="utf-8"))
    if not _qualifies(spec):
        return None
    try:
        encoder = ByteLevelBPE(spec)
    except (KeyError, ValueError):
        return None
    expected = reference.encode(PROBE, add_special_tokens=False).ids
    return encoder if encoder.encode(PROBE) == expected else None


def _qualifies(spec: dict) -> bool:
    model = spec.get("model") or {}
    pre = spec.get("pre_tokenizer") or {}
    normalizer = spec.get("normalizer")
    if model.get("type") != "BPE" or any(model.get(k) for k in ("dropout", "unk_token", "byte_fallback")):
        return False
    if model.get("continuing_subword_prefix") or model.get("end_of_word_suffix") or model.get("ignore_merges"):
        return False
    if normalizer not in (None, {"type": "NFC"}):
        return False
    if any(a.get(flag) for a in spec.get("added_tokens") or [] for flag in ("single_word", "lstrip", "rstrip")):
        return False
    if pre.get("type") != "ByteLevel" or pre.get("add_prefix_space") or not pre.get("use_regex", True):
        return False
    vocab, merges = model.get("vocab") or {}, model.get("merges") or []
    decode_byte = _byte_decoder()
    if not all(c in decode_byte for token in vocab for c in token):
        return False
    merged = []
    for merge in merges:
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        if left + right not in vocab:
            return False
        merged.append(vocab[left + right])
    return all(a < b for a, b in zip(merged, merged[1:], strict=False))  # ids rise with the merge order


def _split(text: str, pattern: re.Pattern | None):
    """(piece, is an added token) in order; pieces between matches may be empty and are left out."""
    if pattern is None:
        if text:
            yield text, False
        return
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            yield text[position : match.start()], False
        yield match.group(0), True
        position = match.end()
    if position < len(text):
        yield text[position:], False


def _alternation(tokens: dict[str, int]) -> re.Pattern | None:
    """Leftmost, then longest: Hugging Face's matching of added tokens."""
    if not tokens:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)))


def _byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-ins for the 256 byte values (bytes_to_unicode), reversed."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    stand_ins, extra = list(printable), 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            stand_ins.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, stand_ins, strict=True)}
