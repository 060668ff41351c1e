"""Ingestion: crawl files from the landing folder into raw_pages, quarantine and crawl_files, one partition per file."""

GROUP = "ingestion"  # the Dagster group of every asset in this folder
