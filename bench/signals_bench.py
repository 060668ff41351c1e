"""What FineWeb-2's per-language measurements add to `quality_signals`: CPU time of measuring and deciding every
document with FineWeb's six filters alone (quality_signals before the FineWeb-2 filters were registered) and with
every registered filter (FineWeb's + FineWeb-2's, the document's language key included), side by side in one
process on the same documents, each pass repeated and the best taken. Goal (issue 20): at most +30%.

    .venv/bin/python bench/signals_bench.py DOCUMENTS.parquet [...]   # doc_id, language, language_score, text

Writes bench/results/signals.{json,md}.
"""

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation.filters import FILTERS, FINEWEB  # noqa: E402
from curation.filters.base import Document  # noqa: E402

REPEATS = 3


def measure_all(rows: list[dict], steps: list) -> float:
    started = time.process_time()
    for row in rows:
        doc = Document(row["text"], row["language"], row["language_score"], row.get("url"), row.get("host"))
        for step in steps:
            step.reason(doc, step.measure(doc))
        doc.language_key if len(steps) > len(FINEWEB) else None  # noqa: B018  (stored with the signals)
    return time.process_time() - started


def main(argv: list[str]) -> int:
    import pyarrow.parquet as pq

    inputs = [Path(p) for p in argv[1:]]
    rows = [r for p in inputs for r in pq.read_table(p).to_pylist() if r["text"]]
    fineweb, everything = [cls() for cls in FINEWEB], [cls() for cls in FILTERS]
    measure_all(rows[:50], everything)  # warm: jieba's dictionary, regexes
    times = {"fineweb_only": [], "with_fineweb2": []}
    for _ in range(REPEATS):  # interleaved, so drift hits both alike
        times["fineweb_only"].append(measure_all(rows, fineweb))
        times["with_fineweb2"].append(measure_all(rows, everything))
    best = {k: min(v) for k, v in times.items()}
    report = {
        "inputs": [p.name for p in inputs],
        "documents": len(rows),
        "cpu_seconds_best_of_3": {k: round(v, 3) for k, v in best.items()},
        "added_fraction": round(best["with_fineweb2"] / best["fineweb_only"] - 1, 4),
    }
    out = ROOT / "bench" / "results"
    (out / "signals.json").write_text(json.dumps(report, indent=2) + "\n")
    text = "\n".join(
        [
            "# quality_signals: what FineWeb-2's per-language measurements add",
            "",
            f"{report['documents']} documents ({', '.join(report['inputs'])}), measured and decided in one process, "
            f"best of {REPEATS} interleaved passes (bench/signals_bench.py).",
            "",
            "| filters | CPU seconds | per document (ms) |",
            "|---|---:|---:|",
            *[
                f"| {name} | {seconds:.3f} | {1000 * seconds / len(rows):.2f} |"
                for name, seconds in report["cpu_seconds_best_of_3"].items()
            ],
            "",
            f"Added by FineWeb-2's filters: {100 * report['added_fraction']:.1f}% (goal: at most 30%).",
            "",
        ]
    )
    (out / "signals.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
