"""Maintenance: expired snapshots, merged and deleted files."""

GROUP = "maintenance"  # the Dagster group of every asset in this folder
