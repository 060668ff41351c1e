"""Filtered: one view per filter recipe, deciding from the stored signals."""

GROUP = "filtered"  # the Dagster group of every asset in this folder
