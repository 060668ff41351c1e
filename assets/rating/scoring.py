"""`rating_input` (what the rater scores, gated) and `quality_ratings` (every new document scored, gated)."""

import time

import dagster as dg
import pyarrow as pa
from pydantic import Field

from assets.checks import expectation_check
from assets.keys import deduplicated_documents_key
from assets.metadata import column_schema, markdown_table
from assets.rating import GPU_POOL, GROUP
from assets.rating.models import QUALITY_CLASSIFIER, RATER_MODEL
from assets.resources import ComputeResource, LakeResource, ModelStoreResource
from curation.lake import tables
from curation.rating import scoring
from curation.rating.input import rating_input_sql
from curation.rating.registry import current_versions
from curation.recipes import Recipes

RATING_INPUT, QUALITY_RATINGS = tables.RATING_INPUT.name, tables.QUALITY_RATINGS.name
CHECK_RATING_INPUT = "rating_input_expectations"  # expectations/rating_input.json
CHECK_QUALITY_RATINGS = "quality_ratings_expectations"  # expectations/quality_ratings.json


def rating_input_asset(recipes: Recipes) -> dg.AssetsDefinition:
    names = sorted(recipes.filters)

    @dg.asset(
        name=RATING_INPUT,
        deps=[deduplicated_documents_key(name) for name in names],
        group_name=GROUP,
        kinds={"ducklake", "sql"},
        description="What the rater scores: every document some recipe keeps after deduplication, once (a view). "
        "Gated by expectations/rating_input.json before any scoring.",
        metadata={"dagster/table_name": f"lake.{tables.RATING_INPUT.relation}"},
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_RATING_INPUT,
                asset=RATING_INPUT,
                blocking=True,
                description="Great Expectations suite expectations/rating_input.json: schema, unique non-null ids, "
                "non-empty text within length bounds, language score in [0, 1], duplicate rate under its ceiling",
            )
        ],
    )
    def _rating_input(context: dg.AssetExecutionContext, lake: LakeResource):
        store = lake.lake()
        with store.transaction(message="rating input view") as con:
            con.execute(f"CREATE OR REPLACE VIEW {RATING_INPUT} AS {rating_input_sql(names)}")
        with store.connect(read_only=True) as con:
            profile = con.execute(
                f"SELECT doc_id, crawl_file, length(text)::BIGINT AS text_chars, md5(coalesce(text, '')) AS text_hash, "
                f"language, language_score::DOUBLE AS language_score FROM main.{RATING_INPUT}"
            ).to_arrow_table()
            languages = con.execute(
                f"SELECT language, count(*), sum(length(text)) FROM main.{RATING_INPUT} GROUP BY 1 ORDER BY 2 DESC, 1 "
                "LIMIT 10"
            ).fetchall()
            preview = con.execute(f"SELECT url, language, left(text, 80) FROM main.{RATING_INPUT} LIMIT 5").fetchall()
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": profile.num_rows,
                "languages": markdown_table(["language", "documents", "characters"], languages),
                "preview": markdown_table(["url", "language", "text"], preview),
            }
        )
        yield expectation_check(CHECK_RATING_INPUT, RATING_INPUT, profile, "rating_input")

    return _rating_input


class QualityRatingsConfig(dg.Config):
    device: str = Field(default="auto", description="auto (CUDA in half precision if present), cpu, cuda")
    batch_documents: int = Field(default=256, description="Documents per scoring batch (sorted by length)")
    rescore_all: bool = Field(default=False, description="Score every document again, not only new ones")
    actors: int = Field(
        default=0, ge=0, description="Ray: at most this many scoring actors (0: one per GPU, else per CPU)"
    )


@dg.asset(
    name=QUALITY_RATINGS,
    deps=[RATING_INPUT, RATER_MODEL, QUALITY_CLASSIFIER],
    group_name=GROUP,
    kinds={"ducklake", "pytorch"},
    pool=GPU_POOL,
    description="One row per deduplicated document: DataMan's 14 ratings (1-5), the expected overall score, the "
    "domain with its probability, the fastText quality score, and the model versions that scored it.",
    metadata={
        "dagster/column_schema": column_schema(scoring.SCHEMA),
        "dagster/table_name": f"lake.{tables.QUALITY_RATINGS.relation}",
    },
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_QUALITY_RATINGS,
            asset=QUALITY_RATINGS,
            blocking=True,
            description="Great Expectations suite expectations/quality_ratings.json: ratings in 1..5, domain in the "
            "15 names, probabilities in [0, 1], no nulls",
        )
    ],
)
def quality_ratings(
    context: dg.AssetExecutionContext,
    config: QualityRatingsConfig,
    lake: LakeResource,
    models: ModelStoreResource,
    compute: ComputeResource,
):
    versions = current_versions(lake.lake())
    missing = [kind for kind in ("rater", "quality_classifier") if kind not in versions]
    if missing:
        raise dg.Failure(
            description=f"no trained {' and '.join(missing)}: materialize rater_model and quality_classifier"
        )
    spec = scoring.ScorerSpec(models.path, versions["rater"], versions["quality_classifier"], config.device)
    lake_store = lake.lake()
    lake_store.create_missing_tables({QUALITY_RATINGS: scoring.SCHEMA})
    current = (
        "FALSE"
        if config.rescore_all
        else (
            f"doc_id IN (SELECT doc_id FROM main.{QUALITY_RATINGS} WHERE rater_version = ? AND classifier_version = ?)"
        )
    )
    params = [] if config.rescore_all else [versions["rater"], versions["quality_classifier"]]
    started = time.perf_counter()
    with lake_store.connect(read_only=True) as con:
        todo = con.execute(
            f"SELECT doc_id, text, language, language_score FROM main.{RATING_INPUT} WHERE NOT ({current}) "
            "ORDER BY length(text), doc_id",
            params,
        ).to_arrow_table()
    read_seconds = time.perf_counter() - started
    engine = compute.compute()
    batches = [todo.slice(i, config.batch_documents) for i in range(0, todo.num_rows, config.batch_documents)]
    results = list(engine.map_actors(spec, batches, actors=config.actors)) if batches else []
    scored = pa.concat_tables([r[0] for r in results]) if results else scoring.SCHEMA.empty_table()
    tokens_embedded = sum(r[1] for r in results)
    devices = sorted({r[2] for r in results}) or ["none (nothing to score)"]
    score_seconds = time.perf_counter() - started - read_seconds
    with lake_store.transaction(message=f"quality ratings by rater {versions['rater']}") as con:
        con.register("_scored", scored)
        con.execute(
            f"DELETE FROM {QUALITY_RATINGS} WHERE doc_id NOT IN (SELECT doc_id FROM main.{RATING_INPUT}) "
            "OR doc_id IN (SELECT doc_id FROM _scored)"
        )
        con.execute(f"INSERT INTO {QUALITY_RATINGS} BY NAME SELECT * FROM _scored")
        con.unregister("_scored")
    with lake_store.connect(read_only=True) as con:
        written = con.execute(f"SELECT * FROM main.{QUALITY_RATINGS} ORDER BY doc_id").to_arrow_table()
        domains = con.execute(
            f"SELECT domain, count(*), round(avg(overall_score), 2) FROM main.{QUALITY_RATINGS} "
            "GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
        agreement = con.execute(
            "SELECT corr(rank_rater, rank_fasttext) FROM (SELECT "
            "rank() OVER (ORDER BY overall_score_expected) AS rank_rater, "
            f"rank() OVER (ORDER BY fasttext_quality) AS rank_fasttext FROM main.{QUALITY_RATINGS})"
        ).fetchone()[0]
    total_seconds = time.perf_counter() - started
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": written.num_rows,
            "scored_this_run": scored.num_rows,
            "rater_version": versions["rater"],
            "classifier_version": versions["quality_classifier"],
            "device": ", ".join(devices),
            "precision": "float16" if any(d.startswith("cuda") for d in devices) else "float32",
            "compute": engine.name,
            "rating_workers": markdown_table(
                ["node", "GPUs"], [(w["node"], ", ".join(w["gpus"]) or "-") for w in engine.placement()]
            )
            if results
            else "-",
            "documents_per_second": round(scored.num_rows / total_seconds, 2) if scored.num_rows else None,
            "tokens_embedded": tokens_embedded,
            "read_seconds": round(read_seconds, 2),
            "score_seconds": round(score_seconds, 2),
            "spearman_rater_vs_fasttext": round(agreement, 4) if agreement is not None else None,
            "domains": markdown_table(["domain", "documents", "mean overall_score"], domains),
        }
    )
    yield expectation_check(CHECK_QUALITY_RATINGS, QUALITY_RATINGS, written, "quality_ratings")
