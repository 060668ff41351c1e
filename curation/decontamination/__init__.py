"""Benchmark decontamination: evaluation sets registered as files (benchmarks/benchmarks.yaml), an index of their
word n-grams, and a scan of documents that records which ones share an n-gram with which set (the
`contamination` table), so that mixture recipes can leave those documents out."""
