"""The manifest's target check, as data: cells that missed their target without a recorded shortfall, and
documents repeated beyond the recipe's cap."""

import pyarrow as pa
import pyarrow.compute as pc

# a cell without a recorded shortfall must land within this share of its target, or within one document
TARGET_TOLERANCE = 0.01


def target_problems(cells, tokens_per_copy_max: dict) -> list[tuple]:
    """Cells without a recorded shortfall that missed their target by more than 1% and more than one document."""
    problems = []
    for cell in cells.to_pylist():
        if cell["shortfall_tokens"] > 0:
            continue
        gap = abs(cell["achieved_tokens"] - cell["target_tokens"])
        slack = max(TARGET_TOLERANCE * cell["target_tokens"], tokens_per_copy_max.get(cell["phase"], 0))
        if gap > slack:
            problems.append((cell["phase"], cell["stream"], cell["domain"], round(cell["target_tokens"]), gap))
    return problems


def largest_copy_tokens(rows: pa.Table) -> dict[str, int]:
    """Per phase, the most tokens one document's copies (tokens x base weight) add: a cell's unavoidable slack."""
    contributions = rows.append_column("copy_tokens", pc.multiply(rows["tokens"], rows["base_weight"].cast(pa.int64())))
    return {
        r["phase"]: r["copy_tokens_max"]
        for r in contributions.group_by("phase").aggregate([("copy_tokens", "max")]).to_pylist()
    }


def documents_over_cap(rows: pa.Table, max_repeats: int) -> int:
    """Documents whose repeats over all phases and streams exceed the cap."""
    per_document = rows.group_by("doc_id").aggregate([("repeats", "sum")])["repeats_sum"]
    return pc.sum(pc.greater(per_document, max_repeats)).as_py() or 0
