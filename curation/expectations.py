"""Great Expectations 1.x suites from `expectations/<name>.json`, run over Arrow tables. Free of Dagster.

GX costs seconds to import, so it is imported inside `validate`, never when the code location loads.
"""

import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from curation.project import EXPECTATIONS_DIR

SUITES_DIR = EXPECTATIONS_DIR


@dataclass(frozen=True)
class Outcome:
    expectation: str
    column: str | None
    success: bool
    observed_value: Any
    unexpected_count: int | None
    unexpected_percent: float | None
    examples: list


def load_suite(name: str) -> dict:
    path = SUITES_DIR / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no expectation suite {name!r} at {path}")
    return json.loads(path.read_text())


def validate(table: pa.Table, suite_name: str) -> list[Outcome]:
    """Every expectation of the suite with its verdict, observed value and unexpected count."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = context.suites.add(gx.ExpectationSuite(**load_suite(suite_name)))
    batch = (
        context.data_sources.add_pandas("lake")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("rows")
        .get_batch(batch_parameters={"dataframe": table.to_pandas()})
    )
    result = batch.validate(suite, result_format="SUMMARY")
    outcomes = []
    for item in result.results:
        config = item.expectation_config
        details = item.result or {}
        outcomes.append(
            Outcome(
                expectation=config.type,
                column=config.kwargs.get("column"),
                success=bool(item.success),
                observed_value=details.get("observed_value"),
                unexpected_count=details.get("unexpected_count"),
                unexpected_percent=details.get("unexpected_percent"),
                examples=list(details.get("partial_unexpected_list") or [])[:5],
            )
        )
    return outcomes
