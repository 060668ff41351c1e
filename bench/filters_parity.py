"""Keep/drop parity and speed of this project's Gopher filters against datatrove 0.10's, on the same texts.

Runs in the scratch venv that holds datatrove (never a project dependency; install line in
../shared/bench/README.md); the project's filter modules need only the standard library:

    $SCRATCH/dtvenv/bin/python ../shared/bench/datatrove_fineweb.py \\
        ../shared/data/crawl/sample-pages-990.warc.gz $SCRATCH/dt-extract extract
    $SCRATCH/dtvenv/bin/python bench/filters_parity.py $SCRATCH/dt-extract/extracted

Texts: datatrove's own trafilatura extraction of sample-pages-990. Reported for English texts (lid.176, as the
FineWeb recipe compares them) and for all texts under English rules (what the reference recipe applies).
Every disagreement is listed with both reasons. Writes bench/results/filters_parity.{json,md}.
"""

import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assets.transforms.filters.gopher import GopherQuality, GopherRepetition  # noqa: E402
from assets.transforms.filters.words import split_words  # noqa: E402


def datatrove_reason(datatrove_filter, text: str) -> str | None:
    from datatrove.data import Document

    verdict = datatrove_filter.filter(Document(text=text, id="x"))
    return None if verdict is True else (verdict[1] if isinstance(verdict, tuple) else "removed")


def compare(name, datatrove_filter, ours, texts: list[str]) -> dict:
    start = time.process_time()
    theirs = [datatrove_reason(datatrove_filter, t) for t in texts]
    datatrove_s = time.process_time() - start
    start = time.process_time()
    mine = [ours.reason(ours.measure(t, split_words(t))) for t in texts]
    ours_s = time.process_time() - start
    agree = sum((a is None) == (b is None) for a, b in zip(theirs, mine, strict=True))
    return {
        "filter": name,
        "documents": len(texts),
        "keep_drop_agreement": round(agree / len(texts), 4),
        "same_reason": sum(a == b for a, b in zip(theirs, mine, strict=True)),
        "datatrove_cpu_s": round(datatrove_s, 2),
        "ours_cpu_s": round(ours_s, 2),
        "speedup": round(datatrove_s / ours_s, 1),
        "disagreements": [
            {"doc": i, "datatrove": a, "ours": b}
            for i, (a, b) in enumerate(zip(theirs, mine, strict=True))
            if (a is None) != (b is None)
        ],
    }


def main() -> None:
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter

    from assets.transforms.langid import identify

    folder = Path(sys.argv[1])
    texts = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            texts += [json.loads(line)["text"] for line in f]
    languages, _ = identify(texts)
    english = [t for t, lang in zip(texts, languages, strict=True) if lang == "en"]
    results = []
    for subset, docs in (("English", english), ("all, English rules", texts)):
        for name, theirs, ours in (
            ("gopher_repetition", GopherRepetitionFilter(), GopherRepetition()),
            ("gopher_quality", GopherQualityFilter(), GopherQuality()),
        ):
            results.append({"texts": subset, **compare(name, theirs, ours, docs)})
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "filters_parity.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Filter parity with datatrove 0.10 (texts: datatrove's extraction of sample-pages-990)",
        "",
        "| texts | filter | docs | keep/drop agreement | same reason | datatrove cpu s | ours cpu s | speedup |",
        "|---|---|---|---|---|---|---|---|",
    ] + [
        f"| {r['texts']} | {r['filter']} | {r['documents']} | {r['keep_drop_agreement']} | {r['same_reason']} | "
        f"{r['datatrove_cpu_s']} | {r['ours_cpu_s']} | {r['speedup']}x |"
        for r in results
    ]
    lines += ["", "Disagreements (datatrove reason -> ours):"] + [
        f"- {r['texts']} / {r['filter']} doc {d['doc']}: {d['datatrove']} -> {d['ours']}"
        for r in results
        for d in r["disagreements"]
    ]
    (out / "filters_parity.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
