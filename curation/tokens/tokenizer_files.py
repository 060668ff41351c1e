"""Tokenizer files by name: `tokenizers/<name>.json` (Hugging Face `tokenizers`), checked once and loaded once per
process. A recipe names a tokenizer, never a path, so nothing outside the project's tokenizers folder is read; a
file that does not load, or lacks the end-of-document token, is refused with its path and the reason."""

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from curation.project import TOKENIZERS_DIR

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_FILE_BYTES = 256 * 2**20
DEFAULT_EOS = "<|endoftext|>"


class TokenizerError(ValueError):
    """A tokenizer that cannot be used: names the file (or name) and the reason, never the file's contents."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"tokenizer {where}: {reason}")
        self.where, self.reason = where, reason


@dataclass(frozen=True)
class TokenizerFile:
    name: str
    path: Path
    sha256: str
    eos_token: str
    eos_id: int
    vocab_size: int

    @property
    def id(self) -> str:
        """Stored with every count: a changed file is a new tokenizer, counted again."""
        return f"{self.name}@{self.sha256[:12]}"

    @property
    def dtype(self) -> np.dtype:
        """Megatron's choice: uint16 where every id fits, int32 otherwise."""
        return np.dtype(np.uint16) if self.vocab_size <= 65535 else np.dtype(np.int32)

    def load(self):
        return _load(str(self.path), self.sha256)

    @property
    def engine(self) -> str:
        """Which code encodes: `tiktoken-bpe` for byte-level BPE files it reproduces (same ids, a third of the CPU;
        curation/tokens/byte_level_bpe.py), `huggingface` otherwise."""
        return "tiktoken-bpe" if _fast(str(self.path), self.sha256) is not None else "huggingface"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=16)
def _load(path: str, sha256: str):
    import tokenizers

    try:
        return tokenizers.Tokenizer.from_file(path)
    except Exception as error:  # the library's own message says what is wrong (position, field), not the contents
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise TokenizerError(path, f"does not load as a Hugging Face tokenizer ({reason})") from None


def open_tokenizer(name: str, eos_token: str = DEFAULT_EOS, folder: Path = TOKENIZERS_DIR) -> TokenizerFile:
    """The tokenizer `<folder>/<name>.json`, loaded and checked."""
    if not isinstance(name, str) or not NAME.match(name):
        raise TokenizerError(repr(name), "a name is lowercase letters, digits, '.', '_' or '-' (no path)")
    folder = Path(folder).resolve()
    path = (folder / f"{name}.json").resolve()
    if path.parent != folder:
        raise TokenizerError(str(path), f"not in the tokenizers folder {folder}")
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.json"))) or "none"
        raise TokenizerError(str(path), f"no such file (the tokenizers folder has: {known})")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TokenizerError(str(path), f"larger than {MAX_FILE_BYTES >> 20} MiB")
    sha = _sha256(path)
    tokenizer = _load(str(path), sha)
    eos_id = tokenizer.token_to_id(eos_token)
    if eos_id is None:
        raise TokenizerError(str(path), f"has no end-of-document token {eos_token!r} (set eos_token in the recipe)")
    return TokenizerFile(name, path, sha, eos_token, eos_id, tokenizer.get_vocab_size(with_added_tokens=True))


def count_tokens(tokenizer: TokenizerFile, texts: list[str]) -> list[int]:
    """Tokens of each text, no special tokens added (the shards add one end-of-document token per document)."""
    fast = _fast(str(tokenizer.path), tokenizer.sha256)
    if fast is not None:
        return [fast.encode_array(text).size for text in texts]
    return [len(ids) for ids in encode(tokenizer, texts)]


def encode(tokenizer: TokenizerFile, texts: list[str]) -> list[list[int]]:
    """Each text's token ids, as Hugging Face `tokenizers` gives them with add_special_tokens=False: by tiktoken's
    BPE core where the file is byte-level BPE that it reproduces, else by the Rust tokenizer's thread pool (no
    offsets: only ids are needed)."""
    fast = _fast(str(tokenizer.path), tokenizer.sha256)
    if fast is not None:
        return fast.encode_batch(texts)
    return [e.ids for e in tokenizer.load().encode_batch_fast(texts, add_special_tokens=False)]


def encode_arrays(tokenizer: TokenizerFile, texts: list[str]) -> list[np.ndarray]:
    """`encode` as one array of the tokenizer's dtype per text: what shards write, without a Python int per token
    on the tiktoken path."""
    fast = _fast(str(tokenizer.path), tokenizer.sha256)
    if fast is not None:
        return [fast.encode_array(text).astype(tokenizer.dtype) for text in texts]
    return [np.array(ids, dtype=tokenizer.dtype) for ids in encode(tokenizer, texts)]


@lru_cache(maxsize=16)
def _fast(path: str, sha256: str):
    from curation.tokens.byte_level_bpe import from_file

    return from_file(Path(path), _load(path, sha256))
