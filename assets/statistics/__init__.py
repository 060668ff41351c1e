"""Statistics: the dbt models over the lake and their data tests."""

GROUP = "statistics"  # the Dagster group of every asset in this folder
