"""Dedup: fingerprints per partition, clusters over all partitions, and per recipe the deduplicated corpus."""

GROUP = "dedup"  # the Dagster group of every asset in this folder
