"""`curator-dbt`: dbt's own command line in a process that dies with its parent.

dagster-dbt starts dbt as a child process. If the run's process is killed (kill -9, a crashed worker), a plain
`dbt` child would go on writing to the lake without the lock its parent held. Linux's parent-death signal ends it
with its parent instead; where that is unavailable, dbt runs as before.
"""

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def main() -> None:
    die_with_parent()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    sys.exit(cli())


if __name__ == "__main__":
    main()
