"""Asset check results from Great Expectations suites: the verdict, and per expectation its counts."""

import dagster as dg
import pyarrow as pa

from assets.metadata import markdown_table


def expectation_check(check_name: str, asset_key: str, table: pa.Table, suite: str) -> dg.AssetCheckResult:
    from assets.quality.expectations import validate

    outcomes = validate(table, suite)
    failed = [o for o in outcomes if not o.success]
    rows = [
        (o.expectation, o.column, "pass" if o.success else "FAIL", o.unexpected_count, o.observed_value, o.examples)
        for o in sorted(outcomes, key=lambda o: o.success)
    ]
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset_key,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "suite": f"expectations/{suite}.json",
            "rows_checked": table.num_rows,
            "expectations": len(outcomes),
            "failed_expectations": len(failed),
            "unexpected_rows": sum(o.unexpected_count or 0 for o in failed),
            "results": markdown_table(["expectation", "column", "verdict", "unexpected", "observed", "examples"], rows),
        },
    )
