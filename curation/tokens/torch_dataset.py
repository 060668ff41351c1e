"""A PyTorch map-style Dataset over one phase of a recipe's Megatron shards, read through their index.json: item i
is the i-th document copy of the phase, in shard order, as int64 token ids ending in the end-of-document token.
Import it where training code runs; the pipeline itself never imports torch for shards."""

import json
from bisect import bisect_right
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from curation.tokens.megatron import IndexedDataset


class ShardDocuments(Dataset):
    def __init__(self, folder: Path, phase: str):
        folder = Path(folder)
        index = json.loads((folder / "index.json").read_text())
        if index.get("format") != "megatron":
            raise ValueError(f"{folder}: shards in format {index.get('format')!r}, not megatron")
        [entry] = [p for p in index["phases"] if p["phase"] == phase] or [None]
        if entry is None:
            raise ValueError(f"{folder}: no phase {phase!r}")
        self.parts = [IndexedDataset(folder / s["prefix"]) for s in entry["shards"]]
        self.starts = np.cumsum([0] + [len(p) for p in self.parts]).tolist()

    def __len__(self) -> int:
        return self.starts[-1]

    def __getitem__(self, i: int) -> torch.Tensor:
        if not 0 <= i < len(self):
            raise IndexError(i)
        part = bisect_right(self.starts, i) - 1
        return torch.from_numpy(self.parts[part][i - self.starts[part]].astype(np.int64))
