"""Language-ID accuracy of the lid.176 model on 74,141 real sentences in 75 languages (lingua-rs test data).

    .venv/bin/python bench/langid_bench.py [SENTENCES_DIR]

Writes per-language and macro accuracy to bench/results/langid.json and bench/results/langid.md.
"""

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation.documents.langid import MODEL_NAME, identify  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "data" / "langid" / "lingua-sentences"
ALIASES = {"nb": "no"}  # lid.176 labels Norwegian Bokmål 'no'


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    per_language, total, seconds = {}, 0, 0.0
    for path in sorted(folder.glob("*.txt")):
        gold = path.stem
        sentences = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]
        start = time.perf_counter()
        predicted, _ = identify(sentences)
        seconds += time.perf_counter() - start
        correct = sum(p == ALIASES.get(gold, gold) for p in predicted)
        per_language[gold] = {"sentences": len(sentences), "accuracy": round(correct / len(sentences), 4)}
        total += len(sentences)
    from curation.documents.langid import _model

    supported = {label.removeprefix("__label__") for label in _model().get_labels()}
    covered = {g: r for g, r in per_language.items() if ALIASES.get(g, g) in supported}
    report = {
        "model": MODEL_NAME,
        "sentences": total,
        "languages": len(per_language),
        "macro_accuracy_all": round(statistics.mean(r["accuracy"] for r in per_language.values()), 4),
        "macro_accuracy_supported": round(statistics.mean(r["accuracy"] for r in covered.values()), 4),
        "unsupported_by_model": sorted(set(per_language) - set(covered)),
        "sentences_per_second": round(total / seconds),
        "per_language": per_language,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "langid.json").write_text(json.dumps(report, indent=2) + "\n")
    rows = sorted(per_language.items(), key=lambda kv: kv[1]["accuracy"])
    lines = [
        f"# Language ID: {MODEL_NAME} on {total} sentences, {len(per_language)} languages",
        "",
        f"Macro accuracy: {report['macro_accuracy_all']} over all languages, "
        f"{report['macro_accuracy_supported']} over the {len(covered)} the model knows "
        f"(not in lid.176: {', '.join(report['unsupported_by_model'])}). "
        f"{report['sentences_per_second']} sentences/s.",
        "",
        "| language | sentences | accuracy |",
        "|---|---|---|",
    ] + [f"| {g} | {r['sentences']} | {r['accuracy']} |" for g, r in rows]
    (out / "langid.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:3]))


if __name__ == "__main__":
    main()
