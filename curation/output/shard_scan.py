"""Reads a recipe's written shards back, as a trainer would, and looks for e-mail and public IP addresses that are
not placeholders: what the blocking `no_addresses_in_shards` check reports. Text shards are read as files;
Megatron shards are decoded with the tokenizer their index.json names (checked against its file hash)."""

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from curation.output.pii import addresses_left

DECODE_BATCH = 256


def shard_texts(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """(file, its texts) for every shard the index lists."""
    folder = Path(folder)
    index = json.loads((folder / "index.json").read_text())
    shards = [s for phase in index["phases"] for s in phase["shards"]]
    if index["format"] == "megatron":
        yield from _decoded(folder, index, shards)
        return
    for shard in shards:
        path = folder / shard["file"]
        if index["format"] == "parquet":
            yield shard["file"], pq.read_table(path, columns=["text"])["text"].to_pylist()
        else:
            with gzip.open(path, "rt", encoding="utf-8") as lines:
                yield shard["file"], [json.loads(line)["text"] for line in lines]


def _decoded(folder: Path, index: dict, shards: list[dict]) -> Iterator[tuple[str, list[str]]]:
    from curation.tokens.megatron import IndexedDataset
    from curation.tokens.tokenizer_files import TokenizerError, open_tokenizer

    name, _, sha = index["tokenizer"].partition("@")
    tokenizer = open_tokenizer(name, index["eos_token"])
    if tokenizer.id != index["tokenizer"]:
        raise TokenizerError(str(tokenizer.path), f"is not the file the shards were written with ({sha})")
    decode = tokenizer.load().decode_batch
    for shard in shards:
        sequences = IndexedDataset(folder / shard["prefix"])
        texts = []
        for start in range(0, len(sequences), DECODE_BATCH):
            ids = [sequences[i][:-1].tolist() for i in range(start, min(start + DECODE_BATCH, len(sequences)))]
            texts += decode(ids, skip_special_tokens=False)
        yield shard["file"], texts


def addresses_in_shards(folder: Path) -> tuple[int, list[tuple[str, int, int]]]:
    """(texts read, [(file, texts with an address left, addresses left)]) over every shard of a folder."""
    read, found = 0, []
    for file, texts in shard_texts(folder):
        read += len(texts)
        left = [len(addresses_left(t)) for t in texts]
        if any(left):
            found.append((file, sum(1 for n in left if n), sum(left)))
    return read, found
