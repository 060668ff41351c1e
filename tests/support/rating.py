"""A quick rater: few annotations, few epochs, short windows. Enough to exercise every rating asset in seconds."""

import json
from pathlib import Path

from curation.project import PROJECT_ROOT

ANNOTATIONS = PROJECT_ROOT / "data" / "annotations"
QUICK = {
    "rater_model": {
        "config": {
            "max_annotations": 80,
            "folds": 2,
            "inner_folds": 2,
            "mlp_epochs": 15,
            "mlp_seeds": 1,
            "gbm_iterations": 40,
            "window_tokens": 32,
            "max_windows": 2,
        }
    },
    "quality_classifier": {"config": {"max_annotations": 80, "folds": 2}},
}
# The demo's rater in tests: quick and in the fast mode (no transformer pass over the 782 documents; the quality
# mode's scoring is exercised by tests/assets/test_rating.py).
QUICK_FAST = {**QUICK, "rater_model": {"config": {**QUICK["rater_model"]["config"], "mode": "fast"}}}


def annotation_rows(n: int) -> list[dict]:
    """The first `n` bundled annotations, as the JSON objects of their file."""
    lines = (ANNOTATIONS / "dataman-ratings-800.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:n]]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
