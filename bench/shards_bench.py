"""Shard writing end to end against raw tokenization: the tokens per second `training_shards` writes as Megatron
shards from a manifest (texts read from the lake, output fixes, shuffle, tokenization, .bin/.idx/.rows.parquet,
sha256, index.json), against tokenizing the same texts alone, in one run.

    .venv/bin/python bench/shards_bench.py [--repeat N] [--rounds N]

Documents: the bundled JSONL crawl's texts `--repeat` times with a distinct first line, in a fresh lake
(`documents`); the manifest: every document once, with its real GPT-NeoX-20B count on the fixed text (what
`document_tokens` stores). Contenders, each in its own process: `raw` (read the texts from the lake, tokenize
with `encode` in batches of 1,024, count: the throughput the goal is measured against) and `shards`
(`curation.mixtures.shards.write_shards` with `shards: {format: megatron}`, `boilerplate_lines: keep`).
Figures: bench/results/shards.{json,md}; goal: shards within 20% of raw (ratio >= 0.8).
"""

import argparse
import json
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]
JSONL = ROOT / "data" / "samples" / "cc-main-2019-30-extracted-697.jsonl.gz"

SETUP = """
import gzip, json, sys
import pyarrow as pa
sys.path.insert(0, sys.argv[1])
from curation.lake.client import Lake
from curation.output.fixes import output_text
from curation.tokens.tokenizer_files import count_tokens, open_tokenizer
root, source, repeat = sys.argv[2], sys.argv[3], int(sys.argv[4])
with gzip.open(source, "rt") as f:
    texts = [t for t in (json.loads(line).get("text", "") for line in f) if t.strip()]
ids, all_texts = [], []
for copy in range(repeat):
    for i, text in enumerate(texts):
        ids.append(f"d{copy:02d}-{i:04d}")
        all_texts.append(f"Copy {copy} of page {i}.\\n{text}")
tokenizer = open_tokenizer("gpt-neox-20b")
tokens = count_tokens(tokenizer, [output_text(t) for t in all_texts])
lake = Lake("sqlite:" + root + "/catalog.sqlite", root + "/files")
documents = pa.table({"doc_id": ids, "crawl_file": ["bench"] * len(ids), "text": all_texts})
with lake.transaction("bench documents") as con:
    con.register("_docs", documents)
    con.execute("CREATE TABLE documents AS SELECT * FROM _docs")
manifest = pa.table({
    "doc_id": ids, "phase": ["main"] * len(ids), "stream": ["web"] * len(ids), "repeats": [1] * len(ids),
    "tokens": tokens, "domain": ["Other"] * len(ids), "language": ["en"] * len(ids),
})
import pyarrow.parquet as pq
pq.write_table(manifest, root + "/manifest.parquet")
print(len(ids), sum(tokens))
"""

RAW = """
import sys
sys.path.insert(0, sys.argv[1])
from curation.lake.client import Lake
from curation.tokens.tokenizer_files import encode, open_tokenizer
root = sys.argv[2]
tokenizer = open_tokenizer("gpt-neox-20b")
lake = Lake("sqlite:" + root + "/catalog.sqlite", root + "/files")
total = 0
with lake.connect(read_only=True) as con:
    for batch in con.execute("SELECT text FROM documents").to_arrow_reader(1024):
        total += sum(len(ids) + 1 for ids in encode(tokenizer, batch.column("text").to_pylist()))
print(total)
"""

SHARDS = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import pyarrow.parquet as pq
from curation.lake.client import Lake
from curation.mixtures.recipe import parse_mixture_recipe
from curation.mixtures.shards import write_shards
root, out = sys.argv[2], sys.argv[3]
recipe = parse_mixture_recipe(
    {"token_budget": 10**9, "token_counting": {"method": "tokenizer", "tokenizer": "gpt-neox-20b"},
     "boilerplate_lines": "keep", "shards": {"format": "megatron", "max_bytes": 64 * 2**20},
     "streams": [{"name": "web", "filter_recipe": "bench"}]},
    "bench", "bench", {"bench"},
)
lake = Lake("sqlite:" + root + "/catalog.sqlite", root + "/files")
rows = pq.read_table(root + "/manifest.parquet")
summary = {"lake_snapshot_id": 0, "code_version": "bench"}
with lake.connect(read_only=True) as con:
    index = write_shards(con, rows, recipe, summary, Path(out))
print(sum(p["tokens"] for p in index["phases"]))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "shards"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shards-bench-"))
    (work / "lake").mkdir()
    setup = run_child([sys.executable, "-c", SETUP, str(ROOT), str(work / "lake"), str(JSONL), str(args.repeat)])
    documents, tokens = map(int, setup["stdout"].split()[-2:])
    runs: dict[str, list[dict]] = {"raw": [], "shards": []}
    written = {}
    for round_ in range(args.rounds):  # interleaved
        run = run_child([sys.executable, "-c", RAW, str(ROOT), str(work / "lake")])
        written["raw"] = int(run["stdout"].split()[-1])  # DuckDB may print a progress bar first
        runs["raw"].append({"cpu_s": round(run["cpu_s"], 3), "wall_s": round(run["wall_s"], 3)})
        run = run_child([sys.executable, "-c", SHARDS, str(ROOT), str(work / "lake"), str(work / f"out-{round_}")])
        written["shards"] = int(run["stdout"].split()[-1])
        runs["shards"].append({"cpu_s": round(run["cpu_s"], 3), "wall_s": round(run["wall_s"], 3)})
    summary = {}
    for name, results in runs.items():
        cpu = statistics.median(r["cpu_s"] for r in results)
        wall = statistics.median(r["wall_s"] for r in results)
        summary[name] = {
            "cpu_s_median": cpu,
            "wall_s_median": wall,
            "tokens_per_cpu_s": round(written[name] / cpu),
            "tokens_per_wall_s": round(written[name] / wall),
            "runs": results,
        }
    ratio_cpu = round(summary["shards"]["tokens_per_cpu_s"] / summary["raw"]["tokens_per_cpu_s"], 2)
    ratio_wall = round(summary["shards"]["tokens_per_wall_s"] / summary["raw"]["tokens_per_wall_s"], 2)
    result = {
        "documents": documents,
        "tokens_counted": tokens,
        "tokens_written": written,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs",
        "results": summary,
        "shards_vs_raw_per_cpu_s": ratio_cpu,
        "shards_vs_raw_per_wall_s": ratio_wall,
    }
    Path(args.out).with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    Path(args.out).with_suffix(".md").write_text(
        "# Shard writing against raw tokenization (bench/shards_bench.py)\n\n"
        f"{documents:,} documents, {written['shards']:,} GPT-NeoX-20B tokens written (end-of-document ids "
        f"included), {args.rounds} interleaved rounds, medians, whole processes; {result['machine']}.\n\n"
        "| contender | CPU s | wall s | tokens / CPU s | tokens / wall s |\n|---|---|---|---|---|\n"
        + "\n".join(
            f"| {n} | {s['cpu_s_median']:.2f} | {s['wall_s_median']:.2f} | {s['tokens_per_cpu_s']:,} | "
            f"{s['tokens_per_wall_s']:,} |"
            for n, s in summary.items()
        )
        + f"\n\nShards end to end vs raw tokenization: {ratio_cpu}x per CPU-second, {ratio_wall}x per wall second "
        "(goal: >= 0.8).\n"
    )
    print(Path(args.out).with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
