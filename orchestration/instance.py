"""The Dagster instance settings `make` writes to $DAGSTER_HOME/dagster.yaml, and recovery of runs whose process
died (kill -9, a crash, a closed terminal) without Dagster hearing of it.

Under `make ui` the daemon's run monitoring marks runs whose worker died as failed and, after
`free_slots_after_run_end_seconds`, gives back the pool slots they held (the `gpu` pool has one: a slot held
forever would block every later `quality_ratings`). `make demo` runs in its own process, without the daemon:
it tags its runs with its pid and, when it starts, fails the runs a dead demo left STARTED and frees their slots.
"""

import os
import sys
from pathlib import Path

import yaml

PID_TAG = "curator/pid"
HOST_TAG = "curator/host"

INSTANCE_SETTINGS = {
    "telemetry": {"enabled": False},
    "concurrency": {"pools": {"default_limit": 1}},
    "run_monitoring": {
        "enabled": True,
        "start_timeout_seconds": 180,
        "cancel_timeout_seconds": 180,
        "poll_interval_seconds": 30,
        "free_slots_after_run_end_seconds": 30,
    },
}


def write_instance_settings(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(INSTANCE_SETTINGS, sort_keys=False))


def run_tags() -> dict[str, str]:
    """Tags that let a later process tell whether this one is still alive."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: os.uname().nodename}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_abandoned_runs(instance) -> list[str]:
    """Fail the STARTED runs whose tagged process on this machine is gone, and free their pool slots."""
    import dagster as dg

    host = os.uname().nodename
    recovered = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        run = record.dagster_run
        pid = run.tags.get(PID_TAG)
        if pid is None or run.tags.get(HOST_TAG) != host or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"the process that ran it (pid {pid}) is gone: killed or crashed")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(run.run_id)
    return recovered


if __name__ == "__main__":
    write_instance_settings(Path(sys.argv[1]))
