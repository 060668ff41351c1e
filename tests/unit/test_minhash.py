"""Deduplication: real documents and near-duplicates made from them, across partitions added one after another."""

import numpy as np
import pytest
from support.near_duplicates import edit_words, jaccard, long_originals

from curation.dedup import lsh
from curation.dedup import minhash as dedup


@pytest.fixture(scope="module")
def originals() -> list[str]:
    return long_originals()


def test_normalisation_ignores_case_punctuation_digits_and_diacritics():
    assert dedup.normalize("Crème Brûlée, 2024!\n\n  Recipe   #1") == dedup.normalize("creme brulee 1999 recipe 7")


def test_estimated_jaccard_tracks_the_true_shingle_jaccard(originals):
    config = dedup.MinHashConfig()
    a, b = config.permutations()
    for rate in (0.0, 0.02, 0.1, 0.3):
        for original in originals[:10]:
            variant = edit_words(original, rate, seed=1)
            signatures = [
                dedup.signature(dedup.shingle_hashes(dedup.normalize(t), 5), a, b) for t in (original, variant)
            ]
            estimate = dedup.estimated_jaccard(signatures[0][None, :], signatures[1][None, :])[0]
            assert abs(estimate - jaccard(original, variant)) < 0.15


def test_the_exact_jaccard_of_shingle_sets_is_the_jaccard_of_the_word_5grams(originals):
    for rate in (0.0, 0.02, 0.05, 0.1, 0.3):
        for seed, original in enumerate(originals[:10]):
            variant = edit_words(original, rate, seed=seed)
            sets = [dedup.shingle_set(dedup.shingle_hashes(dedup.normalize(t), 5)) for t in (original, variant)]
            assert all(np.all(s[1:] > s[:-1]) for s in sets)  # sorted, distinct
            assert dedup.exact_jaccard(*sets) == pytest.approx(jaccard(original, variant), abs=2e-3)


def test_the_default_lsh_layout_finds_a_pair_at_075_with_probability_099():
    config = dedup.MinHashConfig()
    assert lsh.candidate_probability(0.75, config.num_bands, config.hashes_per_band) >= 0.99
    assert lsh.bands_for(0.75, 0.99, rows=config.hashes_per_band) == config.num_bands
    # FineWeb's 14 x 8 misses about a quarter of the pairs at 0.75
    assert lsh.candidate_probability(0.75, 14, 8) == pytest.approx(0.77, abs=0.01)
    assert lsh.candidate_probability(0.3, config.num_bands, config.hashes_per_band) < 0.05
    with pytest.raises(ValueError):
        lsh.bands_for(1.0)


def _random_texts(count: int, seed: int) -> list[str]:
    """Short strings over letters with and without diacritics, digits, NUL, ASCII and Unicode separators and
    punctuation, combining marks, Greek capital sigma (its lowercase depends on the next letter), CJK and emoji."""
    import random

    rng = random.Random(seed)
    alphabet = "aAäÄöüßé_-–„“…€ 12\u00a0\u0301xyzЖж日本\t\n.,;'\u200b\u2028\U0001f600٣²İΣ\x00"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def test_the_numpy_words_are_the_reference_words_on_crawl_text_and_random_strings():
    from support.samples import documents

    for text in [*documents(), *_random_texts(5000, seed=1)]:
        normalized = dedup.NormalizedText.of(text)
        assert normalized.text() == " ".join(dedup.normalized_words(text))
        assert normalized.word_hashes().size == len(dedup.normalized_words(text))
    # same words, same hashes: case, diacritics, digits and separators do not count
    hashes = [dedup.NormalizedText.of(t).word_hashes() for t in ("Crème Brûlée, 2024!", "creme\u00a0brulee 1999")]
    assert hashes[0].tolist() == hashes[1].tolist() and hashes[0][0] != hashes[0][1]


@pytest.mark.parametrize("group_codepoints", [1 << 18, 50, 1])
def test_a_batch_fingerprints_each_document_as_it_would_alone(monkeypatch, group_codepoints):
    """Documents are normalised together (NUL between them) in groups: no word or n-gram crosses two documents,
    and short, empty and NUL-holding texts come out as they do one at a time."""
    import pyarrow as pa
    from support.samples import documents

    monkeypatch.setattr(dedup, "GROUP_CODEPOINTS", group_codepoints)
    texts = [*_random_texts(800, seed=2), "", "one two", "a\x00b c d e f", *documents()[:40]]
    batch = pa.table(
        {
            "doc_id": [f"d{i}" for i in range(len(texts))],
            "crawl_file": ["f"] * len(texts),
            "fetch_date": pa.array([None] * len(texts), pa.timestamp("us", tz="UTC")),
            "text": texts,
        }
    )
    config = dedup.MinHashConfig()
    a, b = config.permutations()
    signatures, keys = dedup.fingerprint(batch, config)
    exact = {}
    for i, text in enumerate(texts):
        alone = dedup.shingle_hashes(text, config.n_grams)
        assert signatures["shingles"][i].as_py() == alone.size
        assert signatures["signature"][i].as_py() == dedup.signature(alone, a, b).tolist()
        assert signatures["shingle_set"][i].as_py() == dedup.shingle_set(alone).tolist()
        exact.setdefault(dedup.normalize(text), set()).add(signatures["exact_hash"][i].as_py())
    assert all(len(hashes) == 1 for hashes in exact.values())  # one exact hash per normalised text ...
    assert len(set().union(*exact.values())) == len(exact)  # ... and a different one for each
    with_shingles = [i for i, text in enumerate(texts) if dedup.shingle_hashes(text, 5).size]
    assert keys["doc_id"].to_pylist() == [f"d{i}" for i in with_shingles for _ in range(config.num_bands)]
    assert keys["band"].to_pylist() == list(range(config.num_bands)) * len(with_shingles)
