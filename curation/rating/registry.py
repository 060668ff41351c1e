"""The lake's model registry (`model_versions`) and the annotation set models are trained on. Free of Dagster."""

import hashlib
import json
from datetime import UTC, datetime

import pyarrow as pa

from curation.lake.client import Lake
from curation.lake.tables import ANNOTATIONS, MODEL_VERSIONS


def annotation_digest(table: pa.Table) -> str:
    """What a model version depends on: the annotations' content, not which file they came from."""
    rows = table.drop_columns(["annotation_file"]).sort_by("doc_id").to_pylist()
    return hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def read_annotations(lake: Lake, max_annotations: int = 0) -> pa.Table:
    """The annotations table; `max_annotations` > 0: a fixed pseudo-random subset of that size (quick runs)."""
    order = "hash(doc_id)" if max_annotations else "doc_id"
    limit = f"LIMIT {int(max_annotations)}" if max_annotations else ""
    with lake.connect(read_only=True) as con:
        return con.execute(f"SELECT * FROM {ANNOTATIONS.relation} ORDER BY {order} {limit}").to_arrow_table()


def register_model(lake: Lake, kind: str, version: str, path, annotations_used: int, metrics: dict) -> None:
    """Record (or replace) one trained model version in `model_versions`."""
    row = pa.Table.from_pylist(
        [
            {
                "kind": kind,
                "version": version,
                "path": str(path),
                "trained_at": datetime.now(UTC),
                "annotations": annotations_used,
                "metrics": json.dumps(metrics, sort_keys=True),
            }
        ],
        schema=MODEL_VERSIONS.schema,
    )
    lake.create_missing_tables({MODEL_VERSIONS.name: MODEL_VERSIONS.schema})
    with lake.transaction(message=f"register {kind} {version}") as con:
        con.execute(f"DELETE FROM {MODEL_VERSIONS.name} WHERE kind = ? AND version = ?", [kind, version])
        con.register("_model", row)
        con.execute(f"INSERT INTO {MODEL_VERSIONS.name} SELECT * FROM _model")
        con.unregister("_model")


def current_versions(lake: Lake) -> dict[str, str]:
    """The most recently trained version of each model kind, from the lake's model registry."""
    if MODEL_VERSIONS.name not in lake.table_names():
        return {}
    with lake.connect(read_only=True) as con:
        rows = con.execute(
            f"SELECT kind, arg_max(version, trained_at) FROM {MODEL_VERSIONS.relation} GROUP BY kind"
        ).fetchall()
    return dict(rows)
