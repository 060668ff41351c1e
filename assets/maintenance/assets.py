"""`lake_maintenance`: the lake's housekeeping as an asset, so its runs, timings and bytes reclaimed show in the UI."""

from datetime import timedelta

import dagster as dg
from pydantic import Field

from assets.maintenance import GROUP
from assets.metadata import markdown_table
from assets.resources import LakeResource
from curation.lake.maintenance import maintain


class MaintenanceConfig(dg.Config):
    max_snapshot_age_days: float = Field(
        default=7.0, ge=0, le=3650, description="Expire snapshots older than this (manifest-pinned ones are kept)"
    )


@dg.asset(
    name="lake_maintenance",
    group_name=GROUP,
    kinds={"ducklake"},
    description="Expires lake snapshots older than the configured age except those mixture manifests pin, merges "
    "small adjacent files, and deletes files that only expired snapshots or killed writes left behind.",
)
def lake_maintenance(context: dg.AssetExecutionContext, config: MaintenanceConfig, lake: LakeResource):
    report = maintain(lake.lake(), timedelta(days=config.max_snapshot_age_days))
    context.log.info(
        f"expired {report.expired} snapshots; {report.bytes_before} -> {report.bytes_after} bytes, "
        f"{report.files_before} -> {report.files_after} files"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.snapshots_after,  # snapshots the lake keeps
            **report.as_dict(),
            "kept_pinned": ", ".join(map(str, report.kept_pinned)) or "none",
            "summary": markdown_table(
                ["", "before", "after"],
                [
                    ("snapshots", report.snapshots_before, report.snapshots_after),
                    ("data files", report.files_before, report.files_after),
                    ("data bytes", report.bytes_before, report.bytes_after),
                ],
            ),
        }
    )
