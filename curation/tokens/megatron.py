"""Megatron-LM's indexed dataset (`MMIDIDX`), the layout datatrove's MegatronDocumentTokenizer and NeMo Curator
write and Megatron-LM / GPT-NeoX training reads (`--data-path <prefix>`): `<prefix>.bin` holds the token ids of
every document one after another, `<prefix>.idx` where each starts.

    .idx: b"MMIDIDX\\x00\\x00", version <Q 1, dtype code <B, sequences <Q, document indices <Q (documents + 1),
          then sizes int32[sequences], byte pointers int64[sequences], document indices int64[documents + 1]

One document is one sequence here (its tokens and one end-of-document token), so the document indices are
0, 1, ..., n. Dtype codes are Megatron's (megatron/core/datasets/indexed_dataset.py, DType): uint16 = 8, int32 = 4.
"""

import struct
from pathlib import Path

import numpy as np

HEADER = b"MMIDIDX\x00\x00"
VERSION = 1
_CODES = ((np.uint8, 1), (np.int8, 2), (np.int16, 3), (np.int32, 4), (np.int64, 5), (np.float64, 6), (np.float32, 7),
          (np.uint16, 8))  # fmt: skip
DTYPE_CODES = {np.dtype(t): code for t, code in _CODES}
DTYPES = {code: dtype for dtype, code in DTYPE_CODES.items()}


class IndexedDatasetError(ValueError):
    pass


def files(prefix: Path) -> tuple[Path, Path]:
    """(`<prefix>.bin`, `<prefix>.idx`)."""
    return Path(f"{prefix}.bin"), Path(f"{prefix}.idx")


class IndexedDatasetWriter:
    """Appends documents (arrays of token ids) to `<prefix>.bin`; `close()` writes `<prefix>.idx`."""

    def __init__(self, prefix: Path, dtype: np.dtype):
        self.prefix, self.dtype = Path(prefix), np.dtype(dtype)
        if self.dtype not in DTYPE_CODES:
            raise IndexedDatasetError(f"token dtype {self.dtype} has no Megatron code")
        self._bin = open(files(self.prefix)[0], "wb")  # noqa: SIM115 (closed by close(), which writes the index)
        self.sizes: list[int] = []

    def add(self, tokens: np.ndarray | list[int]) -> None:
        array = np.asarray(tokens, dtype=self.dtype)
        self._bin.write(array.tobytes(order="C"))
        self.sizes.append(array.size)

    def close(self) -> None:
        self._bin.close()
        sizes = np.array(self.sizes, dtype=np.int32)
        pointers = np.zeros(len(sizes), dtype=np.int64)
        if len(sizes):
            np.cumsum(sizes[:-1].astype(np.int64) * self.dtype.itemsize, out=pointers[1:])
        documents = np.arange(len(sizes) + 1, dtype=np.int64)
        with open(files(self.prefix)[1], "wb") as idx:
            idx.write(HEADER)
            idx.write(struct.pack("<Q", VERSION))
            idx.write(struct.pack("<B", DTYPE_CODES[self.dtype]))
            idx.write(struct.pack("<Q", len(sizes)))
            idx.write(struct.pack("<Q", len(documents)))
            idx.write(sizes.tobytes(order="C"))
            idx.write(pointers.tobytes(order="C"))
            idx.write(documents.tobytes(order="C"))


class IndexedDataset:
    """Read `<prefix>.bin` / `.idx` as Megatron does: the index parsed, the tokens memory-mapped."""

    def __init__(self, prefix: Path):
        bin_path, idx_path = files(prefix)
        raw = idx_path.read_bytes()
        if raw[: len(HEADER)] != HEADER:
            raise IndexedDatasetError(f"{idx_path}: not an MMIDIDX index")
        offset = len(HEADER)
        (version,) = struct.unpack_from("<Q", raw, offset)
        (code,) = struct.unpack_from("<B", raw, offset + 8)
        sequences, documents = struct.unpack_from("<QQ", raw, offset + 9)
        if version != VERSION or code not in DTYPES:
            raise IndexedDatasetError(f"{idx_path}: version {version}, dtype code {code}")
        offset += 25
        self.dtype = DTYPES[code]
        self.sizes = np.frombuffer(raw, np.int32, sequences, offset)
        self.pointers = np.frombuffer(raw, np.int64, sequences, offset + 4 * sequences)
        self.document_indices = np.frombuffer(raw, np.int64, documents, offset + 12 * sequences)
        size = bin_path.stat().st_size
        if size != int(self.sizes.astype(np.int64).sum()) * self.dtype.itemsize:
            raise IndexedDatasetError(f"{bin_path}: {size} bytes, the index says otherwise")
        self.tokens = np.memmap(bin_path, dtype=self.dtype, mode="r") if size else np.zeros(0, self.dtype)

    def __len__(self) -> int:
        return len(self.sizes)

    def __getitem__(self, i: int) -> np.ndarray:
        start = int(self.pointers[i]) // self.dtype.itemsize
        return np.asarray(self.tokens[start : start + int(self.sizes[i])])
