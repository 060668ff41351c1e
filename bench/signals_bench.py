"""What FineWeb-2's per-language measurements add to `quality_signals`, read two ways, side by side in one run on
the same documents (goal, issue 20: at most +30%):

- within today's code: CPU time of measuring and deciding every document with FineWeb's six filters alone (the
  English word split once) against every registered filter (FineWeb's + FineWeb-2's, the language key included),
  interleaved passes in one process;
- against the code before FineWeb-2 (`--before COMMIT`, e.g. 06845d9, the last commit before the fineweb2 recipe):
  `signals_of` over the same documents in that commit's checkout (a temporary git worktree) and in this one, each
  pass a process of its own, interleaved, CPU time of the measuring loop only (imports and warm-up left out).

    .venv/bin/python bench/signals_bench.py DOCUMENTS.parquet [...] [--before COMMIT] [--rounds N]

DOCUMENTS: doc_id, language, language_score, text (url, host optional), e.g. `COPY (SELECT doc_id, language,
language_score, text, url, host FROM documents) TO 'x.parquet'` over `make demo`'s lake (782 documents) and over a
lake holding ../shared/data/crawl/sample-pages-990.warc.gz (984 documents, quality extractor).
Writes bench/results/signals.{json,md}.
Passes vary by 10-40% on a shared machine: each figure is the minimum of its interleaved passes, medians beside.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation.filters import FILTERS, FINEWEB  # noqa: E402
from curation.filters.base import Document  # noqa: E402
from curation.filters.words import split_words  # noqa: E402

# one checkout's quality_signals over the documents: CPU seconds of the loop, after a warm-up
SIGNALS_PASS = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
import pyarrow.parquet as pq
from curation.filters.signals import signals_of
rows = [r for p in sys.argv[2:] for r in pq.read_table(p).to_pylist() if r["text"]]
args = lambda r: (r["text"], r["language"], r["language_score"], r.get("url"), r.get("host"))
for r in rows[:50]:
    signals_of(*args(r))
started = time.process_time()
for r in rows:
    signals_of(*args(r))
print(time.process_time() - started)
"""


def measure_all(rows: list[dict], steps: list) -> float:
    english_only = len(steps) == len(FINEWEB)
    started = time.process_time()
    for row in rows:
        doc = Document(row["text"], row["language"], row["language_score"], row.get("url"), row.get("host"))
        if english_only:  # FineWeb's filters alone split once, the English way
            doc.__dict__["words"] = split_words(doc.text)
        for step in steps:
            step.reason(doc, step.measure(doc))
        doc.language_key if not english_only else None  # noqa: B018  (stored with the signals)
    return time.process_time() - started


def within_today(rows: list[dict], rounds: int) -> dict[str, list[float]]:
    fineweb, everything = [cls() for cls in FINEWEB], [cls() for cls in FILTERS]
    measure_all(rows[:50], everything)  # warm: jieba's dictionary, regexes
    times: dict[str, list[float]] = {"fineweb_only": [], "with_fineweb2": []}
    for _ in range(rounds):  # interleaved, so drift hits both alike
        times["fineweb_only"].append(measure_all(rows, fineweb))
        times["with_fineweb2"].append(measure_all(rows, everything))
    return times


def against_before(commit: str, inputs: list[Path], rounds: int) -> dict[str, list[float]]:
    work = Path(tempfile.mkdtemp(prefix="signals-before-"))
    before = work / "checkout"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(before), commit], check=True)
    try:
        times: dict[str, list[float]] = {f"before_{commit}": [], "today": []}
        for _ in range(rounds):
            for name, checkout in ((f"before_{commit}", before), ("today", ROOT)):
                done = subprocess.run(
                    [sys.executable, "-c", SIGNALS_PASS, str(checkout), *map(str, inputs)],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=checkout,
                )
                times[name].append(float(done.stdout.split()[-1]))
        return times
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=False)


def summary(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {k: {"min": round(min(v), 3), "median": round(statistics.median(v), 3)} for k, v in times.items()}


def main() -> int:
    import pyarrow.parquet as pq

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", nargs="+", type=Path)
    parser.add_argument("--before", help="a commit whose quality_signals is 'today' in the issue's sense")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rows = [r for p in args.documents for r in pq.read_table(p).to_pylist() if r["text"]]
    report: dict = {"inputs": [p.name for p in args.documents], "documents": len(rows), "rounds": args.rounds}
    passes = within_today(rows, args.rounds)
    within = summary(passes)
    report["within_today_cpu_s"] = within
    report["added_within_today"] = round(within["with_fineweb2"]["min"] / within["fineweb_only"]["min"] - 1, 4)
    # each round's two passes ran back to back: their ratio is less exposed to the machine's slow spells
    paired = [b / a - 1 for a, b in zip(passes["fineweb_only"], passes["with_fineweb2"], strict=True)]
    report["added_within_today_per_round"] = {
        "median": round(statistics.median(paired), 4),
        "min": round(min(paired), 4),
        "max": round(max(paired), 4),
    }
    if args.before:
        versus = summary(against_before(args.before, args.documents, args.rounds))
        report["against_before_cpu_s"] = versus
        report["added_against_before"] = round(versus["today"]["min"] / versus[f"before_{args.before}"]["min"] - 1, 4)
    out = ROOT / "bench" / "results"
    (out / "signals.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# quality_signals: what FineWeb-2's per-language measurements add",
        "",
        f"{len(rows)} documents ({', '.join(report['inputs'])}), {args.rounds} interleaved passes each, CPU seconds "
        "(minimum and median), bench/signals_bench.py.",
        "",
        "| contender | CPU s (min) | CPU s (median) | per document (ms, min) |",
        "|---|---:|---:|---:|",
    ]
    for table in ("within_today_cpu_s", "against_before_cpu_s"):
        for name, value in report.get(table, {}).items():
            lines.append(
                f"| {name} | {value['min']:.3f} | {value['median']:.3f} | {1000 * value['min'] / len(rows):.2f} |"
            )
    per_round = report["added_within_today_per_round"]
    lines += [
        "",
        f"Within today's code, FineWeb-2's filters add {100 * report['added_within_today']:.1f}% to FineWeb's "
        f"(minimum against minimum; per round, the two passes back to back: median {100 * per_round['median']:.1f}%, "
        f"range {100 * per_round['min']:.1f}-{100 * per_round['max']:.1f}%; goal: at most 30%).",
    ]
    if args.before:
        lines.append(
            f"Today's quality_signals with FineWeb-2's filters against quality_signals at {args.before} (FineWeb's "
            f"filters only, before this issue): {100 * report['added_against_before']:+.1f}%."
        )
    (out / "signals.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
