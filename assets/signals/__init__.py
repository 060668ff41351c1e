"""Signals: every registered filter's measurements and default verdict per document (quality_signals), and per
line of every text the hash span-level dedup counts (document_lines)."""

GROUP = "signals"  # the Dagster group of every asset in this folder
