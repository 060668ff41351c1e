"""Tokenization into Megatron shards: this project's tokenizer path against datatrove 0.10's DocumentTokenizer and
MegatronDocumentTokenizer, same documents, same tokenizer file, side by side in one run.

    .venv/bin/python bench/tokenize_bench.py --datatrove-python $SCRATCH/dtvenv/bin/python [--repeat N] [--rounds N]

Documents: the bundled JSONL crawl's texts (Common Crawl 2019-30, 670 pages), each repeated `--repeat` times with a
distinct first line so no two are equal, as one JSONL file. Tokenizer: tokenizers/gpt-neox-20b.json, end-of-document
token <|endoftext|> after each document. Contenders, each in its own process (CPU = user + system of the process,
the tokenizer's threads included):
- datatrove DocumentTokenizer (its own .ds token file + .index; no shuffling) and MegatronDocumentTokenizer (the
  same .bin/.idx layout as ours), JsonlReader in front, one task, in the scratch venv (never a project dependency);
- ours: the same JSONL read with gzip/json, `curation.tokens.tokenizer_files.encode` in batches of 1,024 (what
  document_tokens and training_shards call), written by `curation.tokens.megatron.IndexedDatasetWriter`.
Checked: our reader reads datatrove's Megatron output, and its sequences are ours, id for id.
Figures: bench/results/tokenize.{json,md}.
"""

import argparse
import gzip
import json
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]
JSONL = ROOT / "data" / "samples" / "cc-main-2019-30-extracted-697.jsonl.gz"
TOKENIZER = ROOT / "tokenizers" / "gpt-neox-20b.json"
EOS = "<|endoftext|>"

DATATROVE = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.tokens import DocumentTokenizer
from datatrove.pipeline.tokens.megatron_tokenizer import MegatronDocumentTokenizer
source, out, logs, tokenizer, eos, kind = sys.argv[1:]
if kind == "megatron":
    step = MegatronDocumentTokenizer(output_folder=out, tokenizer_name_or_path=tokenizer, eos_token=eos)
else:
    step = DocumentTokenizer(output_folder=out, tokenizer_name_or_path=tokenizer, eos_token=eos,
                             shuffle_documents=False, save_filename="tokens")
LocalPipelineExecutor(pipeline=[JsonlReader(source), step], tasks=1, workers=1, logging_dir=logs).run()
"""

OURS = """
import gzip, json, sys
import numpy as np
sys.path.insert(0, sys.argv[4])
from curation.tokens.megatron import IndexedDatasetWriter
from curation.tokens.tokenizer_files import encode_arrays, open_tokenizer
source, prefix, name = sys.argv[1:4]
tokenizer = open_tokenizer(name)
eos = np.array([tokenizer.eos_id], dtype=tokenizer.dtype)
writer = IndexedDatasetWriter(prefix, tokenizer.dtype)
def flush(texts):
    for ids in encode_arrays(tokenizer, texts):
        writer.add(np.concatenate([ids, eos]))
batch = []
with gzip.open(source, "rt") as lines:
    for line in lines:
        batch.append(json.loads(line)["text"])
        if len(batch) == 1024:
            flush(batch)
            batch = []
flush(batch)
writer.close()
print(sum(writer.sizes), len(writer.sizes))
"""


def corpus(path: Path, repeat: int) -> tuple[int, int]:
    """Write the JSONL; return (documents, characters)."""
    with gzip.open(JSONL, "rt") as f:
        texts = [t for t in (json.loads(line).get("text", "") for line in f) if t.strip()]
    documents = chars = 0
    with gzip.open(path, "wt") as out:
        for copy in range(repeat):
            for i, text in enumerate(texts):
                text = f"Copy {copy} of page {i}.\n{text}"
                out.write(json.dumps({"id": f"{copy}-{i}", "text": text}) + "\n")
                documents += 1
                chars += len(text)
    return documents, chars


def datatrove_megatron_sequences(folder: Path) -> list[list[int]]:
    sys.path.insert(0, str(ROOT))
    from curation.tokens.megatron import IndexedDataset

    [idx] = sorted(folder.rglob("*.idx"))
    data = IndexedDataset(idx.with_suffix(""))
    return [data[i].tolist() for i in range(len(data))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datatrove-python", required=True)
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "tokenize"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tokenize-bench-"))
    source = work / "docs" / "corpus.jsonl.gz"
    source.parent.mkdir()
    documents, chars = corpus(source, args.repeat)
    runs: dict[str, list[dict]] = {"ours": [], "datatrove_documenttokenizer": [], "datatrove_megatron": []}
    tokens = None
    for round_ in range(args.rounds):
        for name in runs:  # interleaved: each round runs every contender once, in turn
            out = work / f"{name}-{round_}"
            out.mkdir()
            if name == "ours":
                run = run_child(
                    [sys.executable, "-c", OURS, str(source), str(out / "part-00000"), "gpt-neox-20b", str(ROOT)]
                )
                tokens, sequences = map(int, run["stdout"].split())
                assert sequences == documents
            else:
                kind = "megatron" if name == "datatrove_megatron" else "documents"
                command = [args.datatrove_python, "-c", DATATROVE, str(source.parent), str(out)]
                run = run_child(command + [str(work / f"logs-{name}-{round_}"), str(TOKENIZER), EOS, kind])
            runs[name].append({"cpu_s": round(run["cpu_s"], 3), "wall_s": round(run["wall_s"], 3)})
    ours = _sequences(work / "ours-0" / "part-00000")
    theirs = datatrove_megatron_sequences(work / "datatrove_megatron-0")
    identical = ours == theirs
    summary = {}
    for name, results in runs.items():
        cpu = statistics.median(r["cpu_s"] for r in results)
        summary[name] = {
            "cpu_s_median": cpu,
            "wall_s_median": statistics.median(r["wall_s"] for r in results),
            "documents_per_cpu_s": round(documents / cpu, 1),
            "tokens_per_cpu_s": round(tokens / cpu),
            "runs": results,
        }
    for name in ("datatrove_documenttokenizer", "datatrove_megatron"):
        summary[f"ours_vs_{name}"] = round(summary[name]["cpu_s_median"] / summary["ours"]["cpu_s_median"], 2)
    result = {
        "documents": documents,
        "characters": chars,
        "tokens_with_eos": tokens,
        "tokenizer": "gpt-neox-20b",
        "sequences_identical_to_datatrove_megatron": identical,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs",
        "results": summary,
    }
    Path(args.out).with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    rows = [
        f"| {name} | {s['cpu_s_median']:.2f} | {s['wall_s_median']:.2f} | {s['documents_per_cpu_s']:,} | "
        f"{s['tokens_per_cpu_s']:,} |"
        for name, s in summary.items()
        if isinstance(s, dict)
    ]
    Path(args.out).with_suffix(".md").write_text(
        "# Tokenization into Megatron shards (bench/tokenize_bench.py)\n\n"
        f"{documents:,} documents ({chars:,} characters, {tokens:,} GPT-NeoX-20B tokens with one end-of-document "
        f"token each), {args.rounds} interleaved rounds, medians, whole processes; {result['machine']}.\n\n"
        "| contender | CPU s | wall s | documents / CPU s | tokens / CPU s |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nOurs vs DocumentTokenizer: {summary['ours_vs_datatrove_documenttokenizer']}x per CPU-second; vs "
        f"MegatronDocumentTokenizer: {summary['ours_vs_datatrove_megatron']}x. Our reader reads datatrove's "
        f"Megatron files; their sequences are ours id for id: {identical}.\n"
    )
    print(Path(args.out).with_suffix(".md").read_text())


def _sequences(prefix: Path) -> list[list[int]]:
    sys.path.insert(0, str(ROOT))
    from curation.tokens.megatron import IndexedDataset

    data = IndexedDataset(prefix)
    return [data[i].tolist() for i in range(len(data))]


if __name__ == "__main__":
    main()
