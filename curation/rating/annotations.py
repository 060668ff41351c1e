"""Annotation files (`*.jsonl`, one rated document per line) -> one validated Arrow table. Free of Dagster.

A malformed row refuses the whole set before anything is trained, naming file, line, field and reason."""

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from curation.lake.tables import ANNOTATIONS
from curation.rating.criteria import CRITERIA, DOMAINS, RATING_MAX, RATING_MIN

SCHEMA = ANNOTATIONS.schema


@dataclass
class AnnotationError(ValueError):
    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: field {self.field!r}: {self.reason}"


def validate_ratings(row: dict, file: str = "<answer>", line: int = 0) -> dict:
    """The 14 ratings (integers 1-5) and the domain of one annotation, or AnnotationError."""
    out = {}
    for criterion in CRITERIA:
        value = row.get(criterion)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise AnnotationError(file, line, criterion, f"expected an integer rating, got {value!r}")
        if not RATING_MIN <= value <= RATING_MAX:
            raise AnnotationError(file, line, criterion, f"rating {value} outside {RATING_MIN}..{RATING_MAX}")
        out[criterion] = int(value)
    if row.get("domain") not in DOMAINS:
        raise AnnotationError(file, line, "domain", f"{row.get('domain')!r} is not one of DataMan's 15 domains")
    out["domain"] = row["domain"]
    return out


def parse_annotation(row: dict, file: str, line: int) -> dict:
    for key in ("doc_id", "text"):
        if not isinstance(row.get(key), str):
            raise AnnotationError(file, line, key, "missing or not a string")
    text = row["text"]
    return {
        "doc_id": row["doc_id"],
        "source": row.get("source"),
        "url": row.get("url"),
        "text": text,
        "full_chars": int(row.get("full_chars", len(text))),
        **validate_ratings(row, file, line),
        "language": row.get("language"),
        "annotation_file": file,
    }


def load_annotations(folder: Path) -> pa.Table:
    """Every `*.jsonl` file of the folder, in name order; a doc_id may be rated once."""
    files = sorted(Path(folder).glob("*.jsonl"))
    if not files:
        raise AnnotationError(str(folder), 0, "-", "no *.jsonl annotation files in this folder")
    rows, seen = [], {}
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as e:
                raise AnnotationError(path.name, number, "-", f"not JSON ({e.msg})") from e
            if not isinstance(raw, dict):
                raise AnnotationError(path.name, number, "-", "not a JSON object")
            row = parse_annotation(raw, path.name, number)
            if row["doc_id"] in seen:
                raise AnnotationError(path.name, number, "doc_id", f"already rated in {seen[row['doc_id']]}")
            seen[row["doc_id"]] = f"{path.name}:{number}"
            rows.append(row)
    return pa.Table.from_pylist(rows, schema=SCHEMA)
