"""Signals: every registered filter's measurements and default verdict per document (quality_signals)."""

GROUP = "signals"  # the Dagster group of every asset in this folder
