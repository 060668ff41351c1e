"""Asset check results from Great Expectations suites: the verdict, and per expectation its counts."""

import dagster as dg
import pyarrow as pa

from assets.metadata import markdown_table


def expectation_check(
    check_name: str,
    asset_key: str | dg.AssetKey,
    table: pa.Table,
    suite: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """The suite's verdict over `table`; a failure names each failed expectation with its observed value and
    unexpected count (in the description the UI shows first, and as a table in the metadata)."""
    from curation.expectations import validate

    outcomes = validate(table, suite)
    failed = [o for o in outcomes if not o.success]
    rows = [
        (o.expectation, o.column, "pass" if o.success else "FAIL", o.unexpected_count, o.observed_value, o.examples)
        for o in sorted(outcomes, key=lambda o: o.success)
    ]
    summary = "; ".join(
        f"{o.expectation}({o.column or ''}): {o.unexpected_count} unexpected"
        + (f", observed {o.observed_value}" if o.observed_value is not None else "")
        for o in failed
    )
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset_key,
        passed=not failed,
        severity=severity,
        description=(
            f"{len(failed)} of {len(outcomes)} expectations failed: {summary}"
            if failed
            else f"all {len(outcomes)} expectations of expectations/{suite}.json met on {table.num_rows} rows"
        ),
        metadata={
            "suite": f"expectations/{suite}.json",
            "rows_checked": table.num_rows,
            "expectations": len(outcomes),
            "failed_expectations": len(failed),
            "unexpected_rows": sum(o.unexpected_count or 0 for o in failed),
            "results": markdown_table(["expectation", "column", "verdict", "unexpected", "observed", "examples"], rows),
        },
    )
