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
