"""Signals: every registered filter's measurements and default verdict per document (quality_signals), per line
of every text the hash span-level dedup counts (document_lines), and what the output fixes change in each text
(document_output_fixes)."""

GROUP = "signals"  # the Dagster group of every asset in this folder
