"""Benchmark decontamination: this project's n-gram scan against datatrove 0.10's NGramsDecontIndexer +
NGramsDecontFilter, the same evaluation set, the same documents, side by side in one run.

    .venv/bin/python bench/decontamination_bench.py --datatrove-python $SCRATCH/dtvenv/bin/python [--repeat N]

Evaluation set: the bundled GSM8K test set (benchmarks/gsm8k-test.jsonl, 1,319 items), 13-grams over question and
answer: ours indexes the n-grams of "question\\nanswer"; datatrove is fed the items as documents (text = answer,
metadata query = question) with find_query_ngrams and find_overlap_ngrams on, which covers the same n-grams.
Documents: the bundled JSONL crawl's texts (Common Crawl 2019-30) `--repeat` times with a distinct first line, and
one document in 200 with a GSM8K question and answer planted at a random place. Contenders, each in its own
process (CPU = user + system): index build, then the scan of every document (JSONL read included on both sides).
Also: flagged documents (both must find every planted one), index memory (bytes per million n-grams: ours the
arrays' size, datatrove the growth of the process's peak RSS while loading its index), and the CPU time of ours
indexing a 10,000-item set. Figures: bench/results/decontamination.{json,md}.
"""

import argparse
import gzip
import json
import platform
import random
import statistics
import sys
import tempfile
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]
JSONL = ROOT / "data" / "samples" / "cc-main-2019-30-extracted-697.jsonl.gz"
GSM8K = ROOT / "benchmarks" / "gsm8k-test.jsonl"
N = 13

# NGramsDecontIndexer.run() loads lighteval's task registry even when fed documents, with an API lighteval 0.13
# no longer has (Registry(cache_dir=...)): this runs the rest of run() as written, over the documents, with the
# indexer's own compute_hashes and the same index file.
DATATROVE_INDEX = """
import sys
from collections import defaultdict
import numpy as np
from datatrove.pipeline.decont import NGramsDecontConfig, NGramsDecontIndexer
from datatrove.pipeline.readers import JsonlReader
items, out = sys.argv[1:]
config = NGramsDecontConfig(n_grams=N_GRAMS, find_query_ngrams=True, find_overlap_ngrams=True)
indexer = NGramsDecontIndexer(output_folder=out, lighteval_tasks=[], config=config)
hashes = defaultdict(set)
for doc in JsonlReader(items)():
    hashes[doc.metadata.get("task", "input")].update(indexer.compute_hashes(doc.text, doc.metadata.get("query")))
for task_name, task_hashes in hashes.items():
    with indexer.output_folder.open(f"{task_name}.index.hashes", mode="wb") as f:
        np.array(list(task_hashes), dtype=config.hash_config.np_descr).tofile(f)
""".replace("N_GRAMS", str(N))

DATATROVE_SCAN = """
import resource, sys
from datatrove.pipeline.decont import NGramsDecontConfig, NGramsDecontFilter
from datatrove.pipeline.readers import JsonlReader
source, index = sys.argv[1:]
config = NGramsDecontConfig(n_grams=N_GRAMS, find_query_ngrams=True, find_overlap_ngrams=True)
step = NGramsDecontFilter(index_folder=index, config=config)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
step.load_index_hashes()
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
hashes = len(step._index_hashes)
flagged = [doc.id for doc in JsonlReader(source)() if step.filter(doc) is not True]
print(hashes, grown, " ".join(flagged))
""".replace("N_GRAMS", str(N))

OURS = """
import gzip, json, sys
import pyarrow as pa
sys.path.insert(0, sys.argv[2])
from curation.decontamination.benchmarks import load_registry
from curation.decontamination.ngram_index import index_of
from curation.decontamination.scan import contamination_rows
source = sys.argv[1]
index = index_of(load_registry()["gsm8k"])
flagged, batch = [], {"doc_id": [], "crawl_file": [], "text": []}
def flush():
    if batch["doc_id"]:
        flagged.extend(contamination_rows(pa.table(batch), (index,))["doc_id"].to_pylist())
    for column in batch.values():
        column.clear()
with gzip.open(source, "rt") as lines:
    for line in lines:
        doc = json.loads(line)
        batch["doc_id"].append(doc["id"]); batch["crawl_file"].append("bench"); batch["text"].append(doc["text"])
        if len(batch["doc_id"]) == 256:
            flush()
flush()
print(index.hashes.size, index.nbytes, " ".join(flagged))
"""

OURS_INDEX_ONLY = """
import sys
sys.path.insert(0, sys.argv[1])
from curation.decontamination.benchmarks import load_registry
from curation.decontamination.ngram_index import index_of
print(index_of(load_registry()["gsm8k"]).hashes.size)
"""

OURS_TEN_THOUSAND = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from curation.decontamination.ngram_index import build_index
lines = open(sys.argv[2]).read().splitlines()
items = []
for i in range(10_000):
    item = json.loads(lines[i % len(lines)])
    items.append(f"{item['question']} (variant {i})\\n{item['answer']}")
started = time.process_time()
index = build_index("ten-thousand", "v", N_GRAMS, items)
print(time.process_time() - started, index.hashes.size)
""".replace("N_GRAMS", str(N))


def corpus(path: Path, repeat: int, items: list[dict]) -> tuple[int, int, set[str]]:
    """Write the crawl JSONL with planted items; return (documents, characters, planted ids)."""
    with gzip.open(JSONL, "rt") as f:
        texts = [t for t in (json.loads(line).get("text", "") for line in f) if t.strip()]
    rng = random.Random(7)
    documents = chars = 0
    planted = set()
    with gzip.open(path, "wt") as out:
        for copy in range(repeat):
            for i, text in enumerate(texts):
                doc_id = f"{copy}-{i}"
                text = f"Copy {copy} of page {i}.\n{text}"
                if documents % 200 == 0:
                    item = rng.choice(items)
                    words = text.split(" ")
                    at = rng.randrange(len(words))
                    text = " ".join(words[:at] + [item["question"], item["answer"]] + words[at:])
                    planted.add(doc_id)
                out.write(json.dumps({"id": doc_id, "text": text}) + "\n")
                documents += 1
                chars += len(text)
    return documents, chars, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datatrove-python", required=True)
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "decontamination"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="decont-bench-"))
    items = [json.loads(line) for line in GSM8K.read_text().splitlines()]
    (work / "items").mkdir()
    with open(work / "items" / "gsm8k.jsonl", "w") as out:  # datatrove's indexer takes the set as documents
        for i, item in enumerate(items):
            out.write(json.dumps({"id": str(i), "text": item["answer"], "query": item["question"], "task": "gsm8k"}))
            out.write("\n")
    source = work / "docs" / "corpus.jsonl.gz"
    source.parent.mkdir()
    documents, chars, planted = corpus(source, args.repeat, items)
    runs = {name: [] for name in ("ours_index", "ours_index_and_scan", "datatrove_index", "datatrove_scan")}
    found = {}
    for round_ in range(args.rounds):  # interleaved: each round runs every contender once, in turn
        run = run_child([sys.executable, "-c", OURS_INDEX_ONLY, str(ROOT)])
        runs["ours_index"].append(run)
        run = run_child([sys.executable, "-c", OURS, str(source), str(ROOT)])
        ours_hashes, ours_bytes, *flagged = run["stdout"].split()
        found["ours"] = set(flagged)
        runs["ours_index_and_scan"].append(run)
        index = work / f"dt-index-{round_}"
        runs["datatrove_index"].append(
            run_child([args.datatrove_python, "-c", DATATROVE_INDEX, str(work / "items"), str(index)])
        )
        run = run_child([args.datatrove_python, "-c", DATATROVE_SCAN, str(source.parent), str(index)])
        dt_hashes, dt_grown, *flagged = run["stdout"].split()
        found["datatrove"] = set(flagged)
        runs["datatrove_scan"].append(run)
    cpu = {name: statistics.median(r["cpu_s"] for r in results) for name, results in runs.items()}
    ours_scan = cpu["ours_index_and_scan"] - cpu["ours_index"]  # the index build's process cost taken out
    ten = run_child([sys.executable, "-c", OURS_TEN_THOUSAND, str(ROOT), str(GSM8K)])
    ten_s, ten_ngrams = ten["stdout"].split()
    result = {
        "documents": documents,
        "characters": chars,
        "planted": len(planted),
        "n_grams": N,
        "eval_items": len(items),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs",
        "cpu_s_median": {k: round(v, 3) for k, v in cpu.items()},
        "wall_s_median": {k: round(statistics.median(r["wall_s"] for r in v), 3) for k, v in runs.items()},
        "ours_scan_cpu_s": round(ours_scan, 3),
        "documents_per_cpu_s": {
            "ours_scan": round(documents / ours_scan, 1),
            "ours_index_and_scan": round(documents / cpu["ours_index_and_scan"], 1),
            "datatrove_scan": round(documents / cpu["datatrove_scan"], 1),
        },
        "ours_vs_datatrove_scan": round(cpu["datatrove_scan"] / cpu["ours_index_and_scan"], 2),
        "ours_vs_datatrove_index_plus_scan": round(
            (cpu["datatrove_index"] + cpu["datatrove_scan"]) / cpu["ours_index_and_scan"], 2
        ),
        "index_ngrams": {"ours": int(ours_hashes), "datatrove": int(dt_hashes)},
        "index_bytes_per_million_ngrams": {
            "ours": round(int(ours_bytes) / int(ours_hashes) * 1e6),
            "datatrove_peak_rss_growth": round(int(dt_grown) / int(dt_hashes) * 1e6),
        },
        "flagged": {
            "ours": len(found["ours"]),
            "datatrove": len(found["datatrove"]),
            "both": len(found["ours"] & found["datatrove"]),
            "planted_found_by_ours": len(planted & found["ours"]),
            "planted_found_by_datatrove": len(planted & found["datatrove"]),
        },
        "ten_thousand_items": {"cpu_s": round(float(ten_s), 3), "ngrams": int(ten_ngrams)},
    }
    Path(args.out).with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    f, per = result["flagged"], result["documents_per_cpu_s"]
    mb = result["index_bytes_per_million_ngrams"]
    Path(args.out).with_suffix(".md").write_text(
        "# Decontamination scan (bench/decontamination_bench.py)\n\n"
        f"{documents:,} documents ({chars:,} characters; {len(planted)} with a GSM8K item planted) against the GSM8K "
        f"test set ({len(items):,} items), {N}-grams, {args.rounds} interleaved rounds, medians, whole processes; "
        f"{result['machine']}.\n\n"
        "| contender | CPU s | wall s |\n|---|---|---|\n"
        + "\n".join(f"| {k} | {cpu[k]:.2f} | {result['wall_s_median'][k]:.2f} |" for k in runs)
        + f"\n\nDocuments per CPU-second of the scan: ours {per['ours_scan']:,} (index build and process start taken "
        f"out), {per['ours_index_and_scan']:,} whole process; datatrove's NGramsDecontFilter {per['datatrove_scan']:,}"
        f" (whole process, its index loaded from its files). Ours (whole process, index built in it) vs datatrove's "
        f"filter: **{result['ours_vs_datatrove_scan']}x**; vs its indexer + filter: "
        f"{result['ours_vs_datatrove_index_plus_scan']}x.\n\n"
        f"Index: ours {int(ours_hashes):,} distinct n-grams, {mb['ours']:,} bytes per million (hash + item); "
        f"datatrove {int(dt_hashes):,}, peak RSS grew {mb['datatrove_peak_rss_growth']:,} bytes per million while "
        f"loading (a Python dict of ints). 10,000 items indexed by ours in {result['ten_thousand_items']['cpu_s']} "
        f"CPU-s ({int(ten_ngrams):,} n-grams).\n\n"
        f"Flagged: ours {f['ours']}, datatrove {f['datatrove']}, both {f['both']}; planted found: ours "
        f"{f['planted_found_by_ours']} / {len(planted)}, datatrove {f['planted_found_by_datatrove']} / "
        f"{len(planted)}.\n"
    )
    print(Path(args.out).with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
