"""Near-duplicate detection, quality and speed: this project's dedup assets against datatrove 0.10's MinHash stages
(FineWeb's setting: word 5-grams, 14 buckets x 8 hashes), same documents, side by side in one run.

    .venv/bin/python bench/dedup_bench.py --datatrove-python $SCRATCH/dtvenv/bin/python [--rounds N] [--work DIR]

Corpus: real documents (the bundled JSONL crawl's texts, and this project's `fast` extraction of
../shared/data/crawl/sample-pages-990.warc.gz), plus near-duplicates made from them, in two disjoint families:
- "edit ladder" (300 originals, as before): each with an exact copy (case and punctuation changed), word
  replacements at 1, 3, 5, 10, 20, 35 and 50%, and a copy framed by a fixed header and footer;
- "variants" (every other original of 100+ words): each with one variant, the kinds in turn: word insertions,
  deletions or replacements at 2, 5, 10, 20 or 30% of the words; a header, a footer, or both, of 20-60 random
  words; or a chain: a 1% replacement of the original and a 1% replacement of that.
Ground truth: the exact Jaccard similarity of normalised word 5-gram sets, for every pair sharing a 5-gram.

Contenders, each in its own process (CPU = user + system of that process; peak memory = its max RSS):
- datatrove: MinhashDedupSignature -> MinhashDedupBuckets -> MinhashDedupCluster -> MinhashDedupFilter over the
  corpus as JSONL, one task, in the scratch venv that holds datatrove (never a project dependency);
- ours: `dedup_fingerprints` then `dedup_clusters`, as Dagster materializes them with their defaults, over the
  corpus already in the lake's `documents` table (ingesting it is not timed: datatrove's input is the same texts).

Reported, for the whole corpus and per family: pair recall (pairs with Jaccard >= 0.85 and >= 0.75 put in one
cluster), pair precision (pairs put in one cluster whose Jaccard is >= 0.75, and >= 0.5), unique documents wrongly
removed (no other document within Jaccard 0.5, yet not kept); per variant kind, the share clustered with its
original; documents/s per core, peak memory. precision_ceiling_j075: the pair precision of the connected
components of the true J >= 0.75 pairs, the best any clustering with full recall reaches: in the edit ladder a
cluster {original, frame, 1%, 3%} holds pairs below 0.75 (frame vs 3%, 1% vs 3%) whichever way it is drawn.
Figures: bench/results/dedup.{json,md}.
"""

import argparse
import gzip
import json
import platform
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]
CRAWL = ROOT.parent / "shared" / "data" / "crawl" / "sample-pages-990.warc.gz"
JSONL = ROOT / "data" / "samples" / "cc-main-2019-30-extracted-697.jsonl.gz"
EDIT_RATES = (0.01, 0.03, 0.05, 0.10, 0.20, 0.35, 0.50)
HEADER = "Home | News | About us | Contact | Subscribe to our newsletter and never miss a story from our team\n\n"
FOOTER = "\n\nCopyright Example Media Group. All rights reserved. Terms of use | Privacy policy | Cookie settings"


# ---- corpus and ground truth (project venv) ----


def originals() -> list[str]:
    import pyarrow as pa

    from curation.documents.extract import ExtractionMode
    from curation.documents.pages import documents_from_pages
    from curation.ingest.reader import read_crawl_file

    with gzip.open(JSONL, "rt") as f:
        texts = [t for t in (json.loads(line).get("text", "") for line in f) if t.strip()]
    _, batches = read_crawl_file(CRAWL)
    docs = documents_from_pages(pa.Table.from_batches(list(batches)), ExtractionMode.fast)
    return texts + docs.column("text").to_pylist()


def variants(text: str, seed: int) -> dict[str, str]:
    """The edit ladder of one original."""
    import random

    rng = random.Random(seed)
    out = {"copy": text.upper().replace(". ", " . ").replace(",", " , "), "frame": HEADER + text + FOOTER}
    for rate in EDIT_RATES:
        words = text.split()
        for i in rng.sample(range(len(words)), round(rate * len(words))):
            words[i] = f"w{rng.randrange(10**7)}"
        out[f"edit{round(rate * 100):02d}"] = " ".join(words)
    return out


VARIANT_RATES = (0.02, 0.05, 0.10, 0.20, 0.30)
VARIANT_KINDS = (
    *(f"{op}{round(rate * 100):02d}" for op in ("insert", "delete", "replace") for rate in VARIANT_RATES),
    "header",
    "footer",
    "header_footer",
    "chain",
)


def _random_words(rng, low: int = 20, high: int = 60) -> str:
    return " ".join(f"r{rng.randrange(10**7)}" for _ in range(rng.randint(low, high)))


def _edited(text: str, op: str, rate: float, rng) -> str:
    words = text.split()
    count = max(1, round(rate * len(words)))
    if op == "replace":
        for i in rng.sample(range(len(words)), count):
            words[i] = f"w{rng.randrange(10**7)}"
    elif op == "delete":
        drop = set(rng.sample(range(len(words)), count))
        words = [w for i, w in enumerate(words) if i not in drop]
    else:  # insert
        for i in sorted(rng.sample(range(len(words) + 1), count), reverse=True):
            words.insert(i, f"w{rng.randrange(10**7)}")
    return " ".join(words)


def variant(text: str, kind: str, seed: int) -> dict[str, str]:
    """One variant of kind `kind` (a chain: two), by suffix."""
    import random

    rng = random.Random(seed)
    if kind == "chain":
        first = _edited(text, "replace", 0.01, rng)
        return {"chain1": first, "chain2": _edited(first, "replace", 0.01, rng)}
    if kind in ("header", "footer", "header_footer"):
        head = _random_words(rng) + "\n\n" if kind != "footer" else ""
        foot = "\n\n" + _random_words(rng) if kind != "header" else ""
        return {kind: head + text + foot}
    op, rate = kind.rstrip("0123456789"), int(kind[-2:]) / 100
    return {kind: _edited(text, op, rate, rng)}


def build_corpus(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(doc_id -> text, doc_id -> family) of the whole corpus, written to `path` as JSONL."""
    import random

    texts = originals()
    corpus = {f"o{i:04d}": t for i, t in enumerate(texts)}
    family = dict.fromkeys(corpus, "unrelated")
    rng = random.Random(13)
    eligible = [i for i, t in enumerate(texts) if len(t.split()) >= 100]
    ladder = rng.sample(eligible, 300)
    for i in ladder:
        corpus.update({f"o{i:04d}-{kind}": v for kind, v in variants(texts[i], seed=i).items()})
    chosen = set(ladder)
    others = [i for i in eligible if i not in chosen]
    variant_family = set(others)
    for n, i in enumerate(others):
        kind = VARIANT_KINDS[n % len(VARIANT_KINDS)]
        corpus.update({f"o{i:04d}-{suffix}": v for suffix, v in variant(texts[i], kind, seed=i).items()})
    for doc_id in corpus:
        number = int(doc_id[1:5])
        family[doc_id] = "edit ladder" if number in chosen else "variants" if number in variant_family else "unrelated"
    with gzip.open(path, "wt") as f:
        for doc_id, text in corpus.items():
            f.write(json.dumps({"id": doc_id, "text": text, "url": f"https://bench.example/{doc_id}"}) + "\n")
    return corpus, family


def ground_truth(corpus: dict[str, str]) -> dict[tuple[str, str], float]:
    """Exact 5-gram Jaccard of every pair of documents sharing at least one 5-gram (DuckDB does the counting)."""
    import duckdb
    import pyarrow as pa
    import xxhash

    from curation.dedup.minhash import normalize

    ids, hashes = [], []
    for doc_id, text in corpus.items():
        words = normalize(text).split()
        grams = {" ".join(words[i : i + 5]) for i in range(len(words) - 4)} or {" ".join(words)}
        for gram in grams:
            ids.append(doc_id)
            hashes.append(xxhash.xxh3_64_intdigest(gram) - 2**63)
    shingles = pa.table({"doc": ids, "h": pa.array(hashes, pa.int64())})  # noqa: F841 (read by DuckDB)
    con = duckdb.connect()
    rows = con.execute(
        """WITH sizes AS (SELECT doc, count(*) AS n FROM shingles GROUP BY doc),
        common AS (SELECT a.doc AS x, b.doc AS y, count(*) AS inter FROM shingles a JOIN shingles b USING (h)
                   WHERE a.doc < b.doc GROUP BY 1, 2)
        SELECT x, y, inter / (sx.n + sy.n - inter)
        FROM common JOIN sizes sx ON sx.doc = x JOIN sizes sy ON sy.doc = y"""
    ).fetchall()
    return {(x, y): j for x, y, j in rows}


def evaluate(clusters: dict[str, str], removed: set[str], truth: dict[tuple[str, str], float], ids) -> dict:
    """Pair recall and precision, and unique documents wrongly removed, over the documents `ids`."""
    ids = set(ids)
    truth = {p: j for p, j in truth.items() if p[0] in ids and p[1] in ids}
    members: dict[str, list[str]] = {}
    for doc_id, cluster in clusters.items():
        if doc_id in ids:
            members.setdefault(cluster, []).append(doc_id)
    predicted = {
        tuple(sorted((a, b))) for group in members.values() for i, a in enumerate(group) for b in group[i + 1 :]
    }

    def recall(threshold):
        positives = {p for p, j in truth.items() if j >= threshold}
        return round(len(positives & predicted) / len(positives), 4) if positives else None

    def precision(threshold):
        return round(sum(truth.get(p, 0.0) >= threshold for p in predicted) / len(predicted), 4) if predicted else None

    # the best pair precision any clustering with every J >= 0.75 pair reaches: the true links' components
    parent = {d: d for d in ids}

    def root(d):
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for (a, b), j in truth.items():
        if j >= 0.75:
            parent[root(a)] = root(b)
    components: dict[str, list[str]] = {}
    for d in ids:
        components.setdefault(root(d), []).append(d)
    ideal = [tuple(sorted((a, b))) for g in components.values() for i, a in enumerate(g) for b in g[i + 1 :]]
    ceiling = round(sum(truth.get(p, 0.0) >= 0.75 for p in ideal) / len(ideal), 4) if ideal else None

    best = dict.fromkeys(ids, 0.0)
    for (a, b), j in truth.items():
        best[a], best[b] = max(best[a], j), max(best[b], j)
    unique = {d for d, j in best.items() if j < 0.5}
    return {
        "documents": len(ids),
        "predicted_pairs": len(predicted),
        "recall_j085": recall(0.85),
        "recall_j075": recall(0.75),
        "precision_j075": precision(0.75),
        "precision_ceiling_j075": ceiling,
        "precision_j050": precision(0.5),
        "unique_documents": len(unique),
        "unique_wrongly_removed": len(unique & removed),
        "documents_removed": len(removed & ids),
    }


def clustered_with_original(clusters: dict[str, str], truth: dict[tuple[str, str], float]) -> dict[str, dict]:
    """Per variant kind: how many variants, their Jaccard with the original (range), the share in its cluster."""
    kinds: dict[str, list[tuple[float, bool]]] = {}
    for doc_id in clusters:
        if "-" not in doc_id:
            continue
        original, kind = doc_id.split("-", 1)
        j = truth.get(tuple(sorted((original, doc_id))), 0.0)
        kinds.setdefault(kind, []).append((j, clusters[doc_id] == clusters[original]))
    return {
        kind: {
            "variants": len(rows),
            "jaccard_min": round(min(j for j, _ in rows), 3),
            "jaccard_max": round(max(j for j, _ in rows), 3),
            "share_clustered": round(sum(same for _, same in rows) / len(rows), 3),
        }
        for kind, rows in sorted(kinds.items())
    }


# ---- contenders (each in its own process) ----


def child_ours(lake_dir: Path, out: Path, min_similarity: float) -> None:
    sys.path.insert(0, str(ROOT))
    import dagster as dg

    from assets.dedup.assets import dedup_clusters, dedup_fingerprints
    from assets.partitions import CRAWL_FILES
    from assets.resources import ComputeResource, LakeResource

    lake = LakeResource(catalog="sqlite:" + str(lake_dir / "catalog.sqlite"), data_path=str(lake_dir / "files"))
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(CRAWL_FILES.name, ["corpus.jsonl.gz"])
        dg.materialize(
            [dedup_fingerprints],
            instance=instance,
            resources={"lake": lake, "compute": ComputeResource()},
            partition_key="corpus.jsonl.gz",
            run_config={**quiet, "ops": {"dedup_fingerprints": {"config": {"min_similarity": min_similarity}}}},
        )
        dg.materialize([dedup_clusters], instance=instance, resources={"lake": lake}, run_config=quiet)
    with lake.lake().connect(read_only=True) as con:
        rows = con.execute(
            "SELECT r.warc_record_id, c.cluster_id, c.is_representative FROM dedup_clusters c "
            "JOIN raw_pages r ON r.page_id = c.doc_id"
        ).fetchall()
    out.write_text(json.dumps({"rows": [list(r) for r in rows], "peak_rss_mb": peak_rss_mb()}))


def child_datatrove(corpus: Path, work: Path, out: Path) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    config = MinhashConfig(n_grams=5, num_buckets=14, hashes_per_bucket=8)

    def reader():
        return JsonlReader(str(corpus.parent), glob_pattern=corpus.name)

    def run(steps, name, tasks=1):
        LocalPipelineExecutor(pipeline=steps, tasks=tasks, workers=1, logging_dir=str(work / "logs" / name)).run()

    run([reader(), MinhashDedupSignature(output_folder=str(work / "sigs"), config=config)], "signatures")
    run(
        [MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=config)],
        "buckets",
        tasks=config.num_buckets,
    )
    run(
        [MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=config, save_cluster_id=True)],
        "cluster",
    )
    run(
        [
            reader(),
            MinhashDedupFilter(
                str(work / "remove"), exclusion_writer=JsonlWriter(str(work / "removed")), load_cluster_ids=True
            ),
            JsonlWriter(str(work / "kept")),
        ],
        "filter",
    )
    rows = []
    for kind in ("kept", "removed"):
        for path in sorted((work / kind).glob("*.jsonl.gz")):
            with gzip.open(path, "rt") as f:
                for line in f:
                    doc = json.loads(line)
                    cluster = doc["metadata"].get("minhash_cluster_id", -1)
                    rows.append([doc["id"], f"c{cluster}" if cluster != -1 else doc["id"], kind == "kept"])
    out.write_text(json.dumps({"rows": rows, "peak_rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_lake(corpus: Path, lake_dir: Path) -> None:
    """Ingest the corpus and make documents (untimed): the dedup assets' input."""
    sys.path.insert(0, str(ROOT))
    import dagster as dg

    from assets.documents.assets import documents
    from assets.ingestion.assets import ingest_crawl_file
    from assets.partitions import CRAWL_FILES
    from assets.resources import ComputeResource, LakeResource, LandingResource

    lake = LakeResource(catalog="sqlite:" + str(lake_dir / "catalog.sqlite"), data_path=str(lake_dir / "files"))
    resources = {
        "lake": lake,
        "landing": LandingResource(path=str(corpus.parent), settle_seconds=0),
        "compute": ComputeResource(),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(CRAWL_FILES.name, [corpus.name])
        dg.materialize(
            [ingest_crawl_file, documents],
            instance=instance,
            resources=resources,
            partition_key=corpus.name,
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datatrove-python", help="python of the scratch venv holding datatrove")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--min-similarity", type=float, nargs="+", default=[0.75], help="ours, one run per value")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *paths = args.child
        if kind == "ours":
            child_ours(Path(paths[0]), Path(paths[1]), float(paths[2]))
        else:
            child_datatrove(Path(paths[0]), Path(paths[1]), Path(paths[2]))
        return
    if not args.datatrove_python:
        parser.error("--datatrove-python is required")
    sys.path.insert(0, str(ROOT))
    work = args.work or Path(tempfile.mkdtemp(prefix="dedup-bench-"))
    (work / "landing").mkdir(parents=True, exist_ok=True)
    corpus_path = work / "landing" / "corpus.jsonl.gz"
    corpus, family = build_corpus(corpus_path)
    truth = ground_truth(corpus)
    ours = [f"ours, 17 x 5, exact Jaccard >= {m}" for m in args.min_similarity]
    runs = {name: [] for name in ["datatrove", *ours]}
    outputs = {}
    for round_ in range(args.rounds):
        dt_work = work / f"datatrove-{round_}"
        shutil.rmtree(dt_work, ignore_errors=True)
        out = work / f"datatrove-{round_}.json"
        command = [args.datatrove_python, __file__, "--child", "datatrove", str(corpus_path), str(dt_work), str(out)]
        runs["datatrove"].append(run_child(command))
        outputs["datatrove"] = out
        for name, min_similarity in zip(ours, args.min_similarity, strict=True):
            lake_copy = work / f"lake-{round_}-{min_similarity}"
            shutil.rmtree(lake_copy, ignore_errors=True)
            prepare_lake(corpus_path, lake_copy)  # a fresh lake per run, not timed
            out = work / f"ours-{round_}-{min_similarity}.json"
            command = [sys.executable, __file__, "--child", "ours", str(lake_copy), str(out), str(min_similarity)]
            runs[name].append(run_child(command))
            outputs[name] = out
            last_lake = lake_copy
    results, kinds = [], {}
    families = {name: [d for d, f in family.items() if f == name] for name in ("variants", "edit ladder")}
    for name in runs:
        output = json.loads(outputs[name].read_text())
        rows = output["rows"]
        clusters = {doc_id: cluster for doc_id, cluster, _ in rows}
        removed = {doc_id for doc_id, _, kept in rows if not kept}
        cpu = statistics.median(r["cpu_s"] for r in runs[name])
        results.append(
            {
                "contender": name,
                **evaluate(clusters, removed, truth, corpus.keys()),
                "families": {f: evaluate(clusters, removed, truth, ids) for f, ids in families.items()},
                "cpu_s": round(cpu, 2),
                "wall_s": round(statistics.median(r["wall_s"] for r in runs[name]), 2),
                "docs_per_s_per_core": round(len(corpus) / cpu, 1),
                "peak_rss_mb": round(output["peak_rss_mb"], 1),
            }
        )
        kinds[name] = clustered_with_original(clusters, truth)
    # what the lake keeps per document so that later partitions are compared without recomputing this one
    stored = {
        table: sum(f.stat().st_size for f in (last_lake / "files" / "main" / table).rglob("*.parquet"))
        for table in ("dedup_signatures", "dedup_band_keys", "dedup_clusters", "dedup_pairs")
    }
    for r in results[1:]:
        r["speed_vs_datatrove"] = round(r["docs_per_s_per_core"] / results[0]["docs_per_s_per_core"], 2)
    results[0]["speed_vs_datatrove"] = 1.0
    lake_bytes = {t: round(b / len(corpus), 1) for t, b in stored.items()}
    report = {
        "corpus_documents": len(corpus),
        "family_documents": {f: len(ids) for f, ids in families.items()},
        "ground_truth_pairs": {f"j>={t}": sum(j >= t for j in truth.values()) for t in (0.5, 0.75, 0.85)},
        "rounds": args.rounds,
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "results": results,
        "clustered_with_original": kinds,
        "lake_bytes_per_document": lake_bytes,
    }
    out_dir = ROOT / "bench" / "results"
    (out_dir / "dedup.json").write_text(json.dumps(report, indent=2) + "\n")
    quality = ["documents_removed", "recall_j085", "recall_j075", "precision_j075", "precision_j050"]
    quality_by_family = [*quality[:4], "precision_ceiling_j075", *quality[4:]]
    keys = [*quality, "unique_wrongly_removed", "cpu_s", "docs_per_s_per_core", "peak_rss_mb", "speed_vs_datatrove"]
    lines = [
        f"# Near-duplicates: {len(corpus)} documents, side by side, {args.rounds} round(s)",
        "",
        f"Ground-truth pairs (exact 5-gram Jaccard): {report['ground_truth_pairs']}; unique documents (no other "
        f"within 0.5): {results[0]['unique_documents']}. Families: {report['family_documents']}. "
        f"Machine: {report['machine']}. datatrove: FineWeb's 14 x 8 buckets, its own defaults.",
        "",
        "## Whole corpus",
        "",
        "| contender | " + " | ".join(keys) + " |",
        "|---|" + "---|" * len(keys),
    ] + ["| " + r["contender"] + " | " + " | ".join(str(r[k]) for k in keys) + " |" for r in results]
    for name in families:
        lines += ["", f"## Family: {name}", "", "| contender | " + " | ".join(quality_by_family) + " |"]
        lines += ["|---|" + "---|" * len(quality_by_family)]
        lines += [
            "| " + r["contender"] + " | " + " | ".join(str(r["families"][name][k]) for k in quality_by_family) + " |"
            for r in results
        ]
    names = list(kinds)
    lines += ["", "## Share of each variant kind clustered with its original", ""]
    lines += ["| kind | variants | Jaccard with original | " + " | ".join(names) + " |"]
    lines += ["|---|---|---|" + "---|" * len(names)]
    for kind, row in kinds[names[0]].items():
        shares = " | ".join(str(kinds[n][kind]["share_clustered"]) for n in names)
        lines.append(f"| {kind} | {row['variants']} | {row['jaccard_min']}-{row['jaccard_max']} | {shares} |")
    lines += ["", f"Lake bytes per document (zstd Parquet, ours): {lake_bytes}"]
    (out_dir / "dedup.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
