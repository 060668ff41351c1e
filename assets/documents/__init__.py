"""Documents: the main text, language and counts of every page."""

GROUP = "documents"  # the Dagster group of every asset in this folder
