"""`annotations`: the LLM annotation files as a lake table, validated; optionally more from an LLM endpoint."""

import json
from datetime import UTC, datetime

import dagster as dg
import numpy as np
from pydantic import Field

from assets.metadata import column_schema, markdown_table
from assets.rating import GROUP
from assets.resources import AnnotationsResource, LakeResource
from curation.lake import tables
from curation.rating import annotations as annotation_files

ANNOTATIONS, RATING_INPUT = tables.ANNOTATIONS.name, tables.RATING_INPUT.name


class AnnotationsConfig(dg.Config):
    request_new: int = Field(
        default=0, description="Documents to send to the configured LLM endpoint for rating (0: files only)"
    )


@dg.asset(
    name=ANNOTATIONS,
    group_name=GROUP,
    kinds={"ducklake", "jsonl"},
    description="LLM quality annotations (DataMan's 14 criteria + domain) from the annotation folder's *.jsonl "
    "files, validated; optionally more, rated by an OpenAI-compatible endpoint and saved as a new file first.",
    metadata={
        "dagster/column_schema": column_schema(annotation_files.SCHEMA),
        "dagster/table_name": f"lake.{tables.ANNOTATIONS.relation}",
    },
)
def annotations(
    context: dg.AssetExecutionContext, config: AnnotationsConfig, lake: LakeResource, annotations: AnnotationsResource
) -> dg.MaterializeResult:
    folder = annotations.folder()
    try:
        existing = annotation_files.load_annotations(folder)
    except annotation_files.AnnotationError as e:
        raise dg.Failure(description=f"annotations refused, nothing written: {e}") from e
    requested = (
        _request_annotations(context, config.request_new, lake, annotations, existing) if config.request_new else 0
    )
    table = annotation_files.load_annotations(folder) if requested else existing
    store = lake.lake()
    with store.transaction(message="annotations reloaded from files") as con:
        con.execute(f"DROP TABLE IF EXISTS {ANNOTATIONS}")
        con.register("_annotations", table)
        con.execute(f"CREATE TABLE {ANNOTATIONS} AS SELECT * FROM _annotations")
        con.unregister("_annotations")
    per_file = table.group_by("annotation_file").aggregate([("doc_id", "count")]).to_pylist()
    overall = np.bincount(table.column("overall_score").to_numpy(), minlength=6)[1:]
    domains = table.group_by("domain").aggregate([("doc_id", "count")]).sort_by([("doc_id_count", "descending")])
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": table.num_rows,
            "requested_from_endpoint": requested,
            "files": markdown_table(
                ["file", "documents"], [(r["annotation_file"], r["doc_id_count"]) for r in per_file]
            ),
            "overall_score_distribution": markdown_table(
                ["overall_score", "documents"], list(zip(range(1, 6), overall.tolist(), strict=True))
            ),
            "domains": markdown_table(
                ["domain", "documents"], [(r["domain"], r["doc_id_count"]) for r in domains.to_pylist()]
            ),
        }
    )


def _request_annotations(context, how_many: int, lake: LakeResource, resource: AnnotationsResource, existing) -> int:
    """Rate `how_many` not-yet-annotated deduplicated documents at the endpoint; append them as a new file."""
    from curation.rating.llm_annotator import GUIDELINES, EndpointError, rate_document

    endpoint = resource.endpoint()
    if endpoint is None:
        raise dg.Failure(description="request_new > 0 but no endpoint: set CURATOR_ANNOTATOR_BASE_URL (and _MODEL)")
    rated = set(existing.column("doc_id").to_pylist())
    with lake.lake().connect(read_only=True) as con:
        candidates = (
            con.execute(
                f"SELECT doc_id, url, text, crawl_file AS source FROM {tables.DOCUMENTS.relation} WHERE doc_id IN "
                f"(SELECT doc_id FROM {tables.RATING_INPUT.relation}) ORDER BY hash(doc_id)"
            )
            .to_arrow_table()
            .to_pylist()
        )
    chosen = [doc for doc in candidates if doc["doc_id"] not in rated][:how_many]
    guidelines = GUIDELINES.read_text(encoding="utf-8")
    rows, refused = [], []
    for doc in chosen:
        try:
            rows.append(rate_document(endpoint, doc, guidelines))
        except annotation_files.AnnotationError as e:
            refused.append((doc["doc_id"], str(e)))
        except EndpointError as e:
            raise dg.Failure(description=f"annotation endpoint failed after {len(rows)} documents: {e}") from e
    for doc_id, reason in refused:
        context.log.warning(f"endpoint answer for {doc_id} refused: {reason}")
    if rows:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = resource.folder() / f"llm-{stamp}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        context.log.info(f"{len(rows)} new annotations written to {path}")
    return len(rows)
