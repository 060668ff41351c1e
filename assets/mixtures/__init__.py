"""Mixtures: per mixture recipe a manifest pinned to a lake snapshot and the training shards written from it."""

GROUP = "mixtures"  # the Dagster group of every asset in this folder
