"""Tokenizer files by name (refused with path and reason), and Megatron's indexed dataset written and read back
byte for byte as Megatron-LM lays it out."""

import struct

import numpy as np
import pytest

from curation.tokens import megatron
from curation.tokens.tokenizer_files import TokenizerError, count_tokens, encode, encode_arrays, open_tokenizer

pytestmark = pytest.mark.unit


def test_the_bundled_gpt_neox_tokenizer_counts_and_round_trips_text():
    tokenizer = open_tokenizer("gpt-neox-20b")
    assert tokenizer.eos_id == 0 and tokenizer.dtype == np.uint16 and tokenizer.vocab_size == 50281
    assert tokenizer.id.startswith("gpt-neox-20b@") and len(tokenizer.id) == len("gpt-neox-20b@") + 12
    texts = ["Hello world", "Grüße aus Köln\n\nZeile zwei", ""]
    assert count_tokens(tokenizer, texts) == [2, 13, 0]
    decoded = [tokenizer.load().decode(ids) for ids in encode(tokenizer, texts)]
    assert decoded == texts


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../etc/passwd", "no path"),
        ("Upper", "no path"),
        ("missing-tokenizer", "no such file (the tokenizers folder has: broken, gpt-neox-20b"),
        ("broken", "does not load as a Hugging Face tokenizer"),
    ],
)
def test_a_tokenizer_that_cannot_be_used_is_refused_with_the_path_and_reason(tmp_path, name, reason):
    folder = tmp_path / "tokenizers"
    folder.mkdir()
    (folder / "gpt-neox-20b.json").write_bytes(open_tokenizer("gpt-neox-20b").path.read_bytes())
    (folder / "broken.json").write_text('{"version": "1.0", "model": {"type": "nonsense", "secret": "s3cr3t"}}')
    with pytest.raises(TokenizerError) as raised:
        open_tokenizer(name, folder=folder)
    assert reason in str(raised.value)
    assert "s3cr3t" not in str(raised.value)  # no file contents in the message
    if name in ("missing-tokenizer", "broken"):
        assert str(folder / f"{name}.json") in str(raised.value)


def test_a_tokenizer_without_the_end_of_document_token_is_refused():
    with pytest.raises(TokenizerError, match="no end-of-document token '<eos>'"):
        open_tokenizer("gpt-neox-20b", eos_token="<eos>")


def test_megatron_index_has_the_mmidx_layout_and_reads_back(tmp_path):
    documents = [np.array([5, 6, 7, 0]), np.array([0]), np.array([65535, 1, 0])]
    writer = megatron.IndexedDatasetWriter(tmp_path / "part-00000", np.uint16)
    for tokens in documents:
        writer.add(tokens)
    writer.close()
    raw = (tmp_path / "part-00000.idx").read_bytes()
    assert raw[:9] == b"MMIDIDX\x00\x00"
    assert struct.unpack_from("<QBQQ", raw, 9) == (1, 8, 3, 4)  # version, uint16 code, sequences, document indices
    sizes = np.frombuffer(raw, np.int32, 3, 34)
    pointers = np.frombuffer(raw, np.int64, 3, 34 + 12)
    doc_idx = np.frombuffer(raw, np.int64, 4, 34 + 12 + 24)
    assert sizes.tolist() == [4, 1, 3] and pointers.tolist() == [0, 8, 10] and doc_idx.tolist() == [0, 1, 2, 3]
    assert len(raw) == 34 + 3 * 20 + 8
    assert (tmp_path / "part-00000.bin").read_bytes() == np.concatenate(documents).astype("<u2").tobytes()
    dataset = megatron.IndexedDataset(tmp_path / "part-00000")
    assert [dataset[i].tolist() for i in range(len(dataset))] == [d.tolist() for d in documents]


def test_a_truncated_bin_file_is_refused(tmp_path):
    writer = megatron.IndexedDatasetWriter(tmp_path / "p", np.int32)
    writer.add([1, 2, 3])
    writer.close()
    (tmp_path / "p.bin").write_bytes((tmp_path / "p.bin").read_bytes()[:-4])
    with pytest.raises(megatron.IndexedDatasetError, match="the index says otherwise"):
        megatron.IndexedDataset(tmp_path / "p")


def test_byte_level_bpe_files_are_encoded_by_tiktoken_with_hugging_faces_ids(tmp_path):
    """GPT-NeoX-20B's file qualifies for the tiktoken engine; its ids equal Hugging Face's on every document of the
    bundled crawl and on text that exercises the added tokens (specials inside words, runs of spaces), NFC and
    emoji. A file outside what tiktoken reproduces (here: NFKC) falls back to Hugging Face and counts the same."""
    import json

    from support.samples import documents

    tokenizer = open_tokenizer("gpt-neox-20b")
    assert tokenizer.engine == "tiktoken-bpe"
    reference = tokenizer.load()
    texts = documents() + [
        "<|endoftext|>x<|endoftext|> assistants RWKV<|padding|>",
        "a" + " " * 60 + "b\t\t \n\n\n   c",
        "Cafe\u0301 e\u0301 Å ﬁne 😀👍🏽 ",
        "assistant\u030c",  # a special, then a combining mark that NFC would fold into it: split first, as HF does
    ]
    texts.append("text that holds the engine's own <|curator: never a special token|> as text")
    expected = [e.ids for e in reference.encode_batch(texts, add_special_tokens=False)]
    assert encode(tokenizer, texts) == expected
    arrays = encode_arrays(tokenizer, texts)  # the numpy path the shards write from: same ids, the file's dtype
    assert all(a.dtype == tokenizer.dtype for a in arrays) and [a.tolist() for a in arrays] == expected
    assert count_tokens(tokenizer, texts) == [len(ids) for ids in expected]

    spec = json.loads(tokenizer.path.read_text())
    spec["normalizer"] = {"type": "NFKC"}
    folder = tmp_path / "tokenizers"
    folder.mkdir()
    (folder / "nfkc-neox.json").write_text(json.dumps(spec))
    other = open_tokenizer("nfkc-neox", folder=folder)
    assert other.engine == "huggingface"
    assert count_tokens(other, ["ﬁne Café"]) == [len(other.load().encode("ﬁne Café", add_special_tokens=False).ids)]
    assert (
        encode_arrays(other, ["ﬁne Café"])[0].tolist() == other.load().encode("ﬁne Café", add_special_tokens=False).ids
    )
