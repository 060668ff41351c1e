"""Trained models as versioned files: `<root>/rater/<version>/` and `<root>/quality_classifier/<version>/`, each
with the model and a `metrics.json` of how it was evaluated. A version is a content address, so retraining on
the same annotations with the same settings rewrites the same folder. Free of Dagster."""

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

RATER, CLASSIFIER = "rater", "quality_classifier"


@dataclass(frozen=True)
class ModelStore:
    root: Path

    def folder(self, kind: str, version: str) -> Path:
        return Path(self.root) / kind / version

    def _publish(self, kind: str, version: str, write) -> Path:
        """Write into a temporary folder, then move it into place: a crash never leaves half a model."""
        target = self.folder(kind, version)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
        try:
            write(staging)
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def metrics(self, kind: str, version: str) -> dict | None:
        """The stored metrics of a complete model of this version, or None when there is none."""
        folder = self.folder(kind, version)
        model = folder / ("rater.joblib" if kind == RATER else "model.bin")
        if not (model.is_file() and (folder / "metrics.json").is_file()):
            return None
        return json.loads((folder / "metrics.json").read_text())

    def save_rater(self, rater, metrics: dict) -> Path:
        import joblib

        def write(folder: Path):
            joblib.dump(rater, folder / "rater.joblib")
            (folder / "metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True))

        return self._publish(RATER, rater.version, write)

    def load_rater(self, version: str):
        import joblib

        path = self.folder(RATER, version) / "rater.joblib"
        if not path.is_file():
            raise FileNotFoundError(f"rater version {version} is not in the model store ({path})")
        return joblib.load(path)

    def save_classifier(self, model, version: str, metrics: dict) -> Path:
        def write(folder: Path):
            model.save_model(str(folder / "model.bin"))
            (folder / "metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True))

        return self._publish(CLASSIFIER, version, write)

    def load_classifier(self, version: str):
        import fasttext

        path = self.folder(CLASSIFIER, version) / "model.bin"
        if not path.is_file():
            raise FileNotFoundError(f"quality classifier version {version} is not in the model store ({path})")
        fasttext.FastText.eprint = lambda *args, **kwargs: None
        return fasttext.load_model(str(path))
