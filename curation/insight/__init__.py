"""What only a lakehouse can answer: why a document is where it is (explain), what changed between two versions of
the corpus (diff), and the corpus report (charts over the statistics). Free of Dagster: the CLI, the assets and
the benchmarks call the same functions."""
