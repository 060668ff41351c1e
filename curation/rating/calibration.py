"""Order-preserving calibration of expected ratings to integer ratings. Free of Dagster.

Rounding a regression's expected score crowds the middle of the 1-5 scale (the stacked rater gave no 5 on the
bundled sample, though 2.4% of the annotations are 5s), so a threshold rule such as DataMan's `overall_score = 5`
selects nothing. Quantile cutpoints, fitted on out-of-fold expected scores, give each score the share it has in
the annotations while keeping the order of the expected scores (ranking by the stored expected score is
unchanged)."""

import numpy as np

from curation.rating.criteria import RATING_MAX, RATING_MIN

SCORES = np.arange(RATING_MIN, RATING_MAX + 1)


def shares(ratings: np.ndarray) -> np.ndarray:
    """N x C integer ratings -> C x 5 share of each score."""
    return np.stack([(ratings == s).mean(axis=0) for s in SCORES], axis=1)


def fit_cutpoints(expected: np.ndarray, ratings: np.ndarray) -> np.ndarray:
    """C x 4 cutpoints: score s+1 starts above cut[s-1], placed at the annotations' cumulative share of <= s among
    these (out-of-fold) expected scores."""
    cumulative = np.cumsum(shares(ratings), axis=1)[:, :-1]
    cuts = np.empty(cumulative.shape)
    for j in range(expected.shape[1]):
        for s, q in enumerate(cumulative[j]):
            cuts[j, s] = -np.inf if q <= 1e-9 else np.inf if q >= 1 - 1e-9 else np.quantile(expected[:, j], q)
    return cuts


def calibrated(expected: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """N x C expected scores -> N x C integer ratings (int8)."""
    above = expected[:, :, None] > cuts[None, :, :]
    return (RATING_MIN + above.sum(axis=2)).astype(np.int8)
