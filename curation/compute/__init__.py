"""Where per-batch work runs: in this process (`local`) or on a Ray cluster (`ray`). Free of Dagster.

Both engines map the same library functions over Arrow batches and hand the results back, in input order, to the
one writer that commits them to the lake: workers never touch the catalog, so a partition commits exactly once
whatever the workers do (a retried batch is only recomputed, never written twice).
"""

from curation.compute.engine import Compute, ComputeError, ComputeSettings, open_compute

__all__ = ["Compute", "ComputeError", "ComputeSettings", "open_compute"]
