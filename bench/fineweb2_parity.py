"""Keep/drop parity of this project's FineWeb-2 filters with datatrove 0.10.1 running FineWeb-2's filter steps
(huggingface/fineweb-2's fineweb-2-pipeline.py, step 5) with the same per-language configs on the same texts.

Per document: its FineWeb-2 key as this project assigns it (curation/filters/language_settings.py), then
datatrove's GopherRepetitionFilter (paragraph and line-character rules off; dup_line_frac, top_n_grams,
dup_n_grams from configs/{key}.yml), FineWebQualityFilter (short-line rule off, char_duplicates_ratio 0.1,
line_punct_thr and new_line_ratio from the config) and GopherQualityFilter (word-length bounds,
max_non_alpha_words_ratio and stop words from the config, min_stop_words 2), each with `language=key` (datatrove's
word tokenizer for the language: spaCy's per-language tokenizers, jieba for Chinese), against this project's
fineweb2_repetition, fineweb2_quality and fineweb2_gopher_quality. Configs are read from FineWeb-2's original
YAML files, not from the project's converted copy. `eng_Latn` (no FineWeb-2 config) runs datatrove's defaults,
which are FineWeb's English values; `default` runs them without the stop-word rule, as the project documents.

Runs in the scratch venv that holds datatrove (never a project dependency; ../shared/bench/README.md, plus
`pip install jieba==0.42.1`). Texts: documents of the project's own lakes, e.g. `make demo`'s (the bundled
sample) and sample-pages-990's, exported with DuckDB as Parquet (doc_id, language, language_score, text):

    $SCRATCH/dtvenv/bin/python bench/fineweb2_parity.py ../shared/data/fineweb2/configs docs-a.parquet docs-b.parquet

Writes bench/results/fineweb2_parity.{json,md}: per language, documents, keep/drop agreement and same first
reason, with every disagreement (both reasons). Languages whose datatrove tokenizer is not installed in the
scratch venv (Japanese: SudachiPy, Korean: Kiwi, Thai: PyThaiNLP, ...) are listed as not compared.
"""

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation.filters import Document as OurDocument  # noqa: E402
from curation.filters.fineweb2_gopher_quality import Fineweb2GopherQualityFilter  # noqa: E402
from curation.filters.fineweb2_quality import Fineweb2QualityFilter  # noqa: E402
from curation.filters.fineweb2_repetition import Fineweb2RepetitionFilter  # noqa: E402
from curation.filters.language_settings import DEFAULT_KEY, ENGLISH_KEY  # noqa: E402

OURS = (Fineweb2RepetitionFilter(), Fineweb2QualityFilter(), Fineweb2GopherQualityFilter())
STEPS = ("repetition", "fineweb_quality", "gopher_quality")
MIN_DOCUMENTS = 20  # languages the issue holds to the goal


def reference_filters(configs: Path, key: str) -> list:
    import yaml
    from datatrove.pipeline.filters import FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

    language = "eng_Latn" if key in (ENGLISH_KEY, DEFAULT_KEY) else key
    if key in (ENGLISH_KEY, DEFAULT_KEY):  # datatrove's defaults: FineWeb's English values
        repetition = GopherRepetitionFilter(
            language=language, dup_para_frac=0, dup_line_char_frac=0, dup_para_char_frac=0
        )
        quality = FineWebQualityFilter(language=language, short_line_thr=999, char_duplicates_ratio=0.1)
        gopher = GopherQualityFilter(language=language, min_stop_words=2 if key == ENGLISH_KEY else None)
        return [repetition, quality, gopher]
    config = yaml.safe_load((configs / f"{key}.yml").read_text(encoding="utf-8"))
    return [
        GopherRepetitionFilter(
            language=language,
            dup_para_frac=0,
            dup_line_char_frac=0,
            dup_para_char_frac=0,
            dup_line_frac=config["dup_line_frac"],
            top_n_grams=config["top_n_grams"],
            dup_n_grams=config["dup_n_grams"],
        ),
        FineWebQualityFilter(
            language=language,
            short_line_thr=999,
            char_duplicates_ratio=0.1,
            line_punct_thr=config["line_punct_thr"],
            new_line_ratio=config["new_line_ratio"],
        ),
        GopherQualityFilter(
            language=language,
            max_avg_word_length=config["max_avg_word_length"],
            min_avg_word_length=config["min_avg_word_length"],
            stop_words=config["stopwords"],
            max_non_alpha_words_ratio=config["max_non_alpha_words_ratio"],
            min_stop_words=2,
        ),
    ]


def first_reason(verdicts: list[str | None]) -> str | None:
    return next((f"{step}:{r}" for step, r in zip(STEPS, verdicts, strict=True) if r), None)


def reference_reason(filters: list, text: str) -> str | None:
    from datatrove.data import Document

    reasons = []
    for step in filters:
        try:
            verdict = step.filter(Document(text=text, id="x"))
        except ZeroDivisionError:  # datatrove divides by the word count; no words: FineWeb quality's list_ratio
            verdict = (False, "no_words")
        reasons.append(None if verdict is True else (verdict[1] if isinstance(verdict, tuple) else "removed"))
        if reasons[-1]:
            break
    return first_reason(reasons + [None] * (len(STEPS) - len(reasons)))


def our_reason(doc: OurDocument) -> str | None:
    reasons = []
    for step in OURS:
        reasons.append(step.reason(doc, step.measure(doc)))
        if reasons[-1]:
            break
    return first_reason(reasons + [None] * (len(STEPS) - len(reasons)))


def main(argv: list[str]) -> int:
    import pyarrow.parquet as pq

    configs, inputs = Path(argv[1]), [Path(p) for p in argv[2:]]
    rows = [r for path in inputs for r in pq.read_table(path).to_pylist() if r["text"]]
    per_language: dict[str, dict] = defaultdict(lambda: {"documents": 0, "agree": 0, "same_reason": 0, "cases": []})
    unavailable: dict[str, str] = {}
    references: dict[str, list] = {}
    seconds = {"ours": 0.0, "datatrove": 0.0}
    for row in rows:
        doc = OurDocument(row["text"], row["language"], row["language_score"])
        key = doc.language_key
        if key in unavailable:
            continue
        if key not in references:
            try:
                references[key] = reference_filters(configs, key)
                reference_reason(references[key], "Ein kurzer Test. " * 3)  # loads the tokenizer
            except Exception as error:  # a tokenizer the scratch venv lacks
                unavailable[key] = f"{type(error).__name__}: {str(error)[:120]}"
                continue
        started = time.process_time()
        ours = our_reason(doc)
        seconds["ours"] += time.process_time() - started
        started = time.process_time()
        theirs = reference_reason(references[key], row["text"])
        seconds["datatrove"] += time.process_time() - started
        entry = per_language[key]
        entry["documents"] += 1
        entry["agree"] += (ours is None) == (theirs is None)
        entry["same_reason"] += ours == theirs
        if ours != theirs:
            entry["cases"].append({"doc_id": row["doc_id"], "ours": ours, "datatrove": theirs})
    report = {
        "inputs": [p.name for p in inputs],
        "documents": sum(e["documents"] for e in per_language.values()),
        "languages": {
            key: {
                "documents": e["documents"],
                "keep_drop_agreement": round(e["agree"] / e["documents"], 4),
                "same_first_reason": round(e["same_reason"] / e["documents"], 4),
                "disagreements": e["cases"],
            }
            for key, e in sorted(per_language.items(), key=lambda item: -item[1]["documents"])
        },
        "not_compared": unavailable,
        "cpu_seconds": {k: round(v, 2) for k, v in seconds.items()},
    }
    out = ROOT / "bench" / "results"
    (out / "fineweb2_parity.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    lines = [
        "# FineWeb-2 filters: this project vs datatrove 0.10.1 with FineWeb-2's configs",
        "",
        f"Texts: {', '.join(report['inputs'])} ({report['documents']} documents with text). Steps compared: "
        "Gopher repetition, FineWeb quality, Gopher quality, each with the document's language key's settings "
        f"(bench/fineweb2_parity.py). Goal: keep/drop agreement >= 0.98 and the same first reason for every language "
        f"with at least {MIN_DOCUMENTS} documents.",
        "",
        "| key | documents | keep/drop agreement | same first reason | goal |",
        "|---|---:|---:|---:|---|",
    ]
    for key, entry in report["languages"].items():
        held = entry["documents"] >= MIN_DOCUMENTS
        goal = ("met" if entry["keep_drop_agreement"] >= 0.98 else "**not met**") if held else "(< 20 documents)"
        lines.append(
            f"| {key} | {entry['documents']} | {entry['keep_drop_agreement']:.4f} | {entry['same_first_reason']:.4f} "
            f"| {goal} |"
        )
    lines += ["", "## Disagreements", "", "| key | doc_id | ours | datatrove |", "|---|---|---|---|"]
    for key, entry in report["languages"].items():
        for case in entry["disagreements"]:
            lines.append(f"| {key} | {case['doc_id'][:16]} | {case['ours']} | {case['datatrove']} |")
    lines += ["", "## Not compared (datatrove's tokenizer for the language is not installed in the scratch venv)", ""]
    lines += [f"- {key}: {why}" for key, why in sorted(unavailable.items())] or ["- none"]
    lines += [
        "",
        f"CPU seconds over the compared documents: ours {report['cpu_seconds']['ours']}, datatrove "
        f"{report['cpu_seconds']['datatrove']} (tokenizer loading excluded).",
        "",
    ]
    (out / "fineweb2_parity.md").write_text("\n".join(lines))
    print("\n".join(lines[:40]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
