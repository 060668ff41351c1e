"""`corpus_diff`: after each statistics build, what changed in the corpus since the snapshot the previous
`corpus_diff` diffed to (the lake's oldest snapshot the first time), as Markdown in the asset's metadata. The same
diff as `curator diff --from A --to B` (curation/insight/diff.py)."""

import dagster as dg

from assets.metadata import markdown_table
from assets.resources import LakeResource
from assets.statistics import GROUP
from curation.insight.diff import diff, to_markdown
from curation.insight.snapshots import snapshots

TO_SNAPSHOT = "to_snapshot"
PIPELINE_VERSIONS = dg.AssetKey(["stats", "pipeline_versions"])


def _previous(context: dg.AssetExecutionContext, history_ids: list[int]) -> int:
    event = context.instance.get_latest_materialization_event(context.asset_key)
    entry = event.asset_materialization.metadata.get(TO_SNAPSHOT) if event and event.asset_materialization else None
    last = int(entry.value) if entry is not None else None
    if last is None or last not in history_ids:  # the first diff, or that snapshot has expired since
        return history_ids[0]
    return last


@dg.asset(
    group_name=GROUP,
    deps=[PIPELINE_VERSIONS],
    kinds={"ducklake", "sql"},
    automation_condition=dg.AutomationCondition.eager(),
    description="What changed in the corpus since the previous diff: per stage rows added, removed and changed; "
    "per filter recipe documents gained and lost by rule, language and domain; clusters merged and split; "
    "per mixture rows, copies and tokens by phase and domain. `curator diff` gives the same for any two snapshots.",
)
def corpus_diff(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    with store.connect(read_only=True) as con:
        history = [s.id for s in snapshots(con)]
    before, after = _previous(context, history), history[-1]
    result = diff(store, before, after)
    gained = sum(r["gained"] for r in result["filter_recipes"])
    lost = sum(r["lost"] for r in result["filter_recipes"])
    stages = {s["table"]: s for s in result["stages"]}
    documents = stages.get("documents", {})
    moved = documents.get("added", 0) + documents.get("removed", 0) + documents.get("changed", 0)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": moved,  # documents that differ between the two snapshots
            "from_snapshot": before,
            TO_SNAPSHOT: after,
            "documents_added": documents.get("added", 0),
            "documents_removed": documents.get("removed", 0),
            "documents_changed": documents.get("changed", 0),
            "kept_gained_over_recipes": gained,
            "kept_lost_over_recipes": lost,
            "clusters_merged": (result["dedup"] or {}).get("merged", 0),
            "clusters_split": (result["dedup"] or {}).get("split", 0),
            "stages": markdown_table(
                ["table", "rows before", "rows after", "added", "removed", "changed"],
                [
                    (s["table"], s["rows_before"], s["rows_after"], s["added"], s["removed"], s["changed"])
                    for s in result["stages"]
                ],
            ),
            "diff": dg.MetadataValue.md(to_markdown(result, max_ids=20)),
        }
    )
