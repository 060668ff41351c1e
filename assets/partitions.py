"""Partitions: one dynamic partition per crawl file, keyed by its file name in the landing folder."""

import dagster as dg

CRAWL_FILES = dg.DynamicPartitionsDefinition(name="crawl_files")
