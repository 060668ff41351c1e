"""Deduplication: real documents and near-duplicates made from them, across partitions added one after another."""

import pytest
from support.near_duplicates import edit_words, jaccard, long_originals

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
