"""`make ui`: the Dagster web UI and its daemon, with the web app behind `OriginGuard` (orchestration/web_guard.py).

What `dagster dev` does, minus what makes it unsafe to leave open: the daemon (sensors, schedules, run
monitoring) runs as a child that dies with this process; the web server runs here, bound to 127.0.0.1 unless
CURATOR_UI_HOST says otherwise, and every request passes the guard first. Dagster's own `dagster-webserver`
command line does the serving; the guard is put around the app it hands to uvicorn.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from dotenv import load_dotenv

from orchestration.web_guard import OriginGuard, allowed_hosts

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class _GuardedUvicorn:
    """Stands in for the `uvicorn` module inside dagster-webserver's CLI: wraps the app, changes nothing else."""

    def __init__(self, uvicorn, hosts: frozenset[str]):
        self._uvicorn = uvicorn
        self._hosts = hosts

    def run(self, app, **kwargs):
        return self._uvicorn.run(OriginGuard(app, self._hosts), **kwargs)

    def __getattr__(self, name):
        return getattr(self._uvicorn, name)


def _die_with_parent() -> None:
    from curation.statistics.guarded_dbt import die_with_parent

    die_with_parent()


def start_daemon(workspace: Path) -> subprocess.Popen:
    daemon = Path(sys.executable).parent / "dagster-daemon"
    return subprocess.Popen([str(daemon), "run", "-w", str(workspace)], preexec_fn=_die_with_parent)


# the deployment's paths that `.env` may give relative to the project folder
PATH_SETTINGS = (
    "CURATOR_LAKE_DATA_PATH",
    "CURATOR_LANDING_PATH",
    "CURATOR_MODEL_PATH",
    "CURATOR_ANNOTATIONS_PATH",
    "CURATOR_SHARDS_PATH",
)


def settle_environment() -> Path:
    """Read `.env` (real environment variables win), make its relative paths absolute, and return the folder the
    servers run in. Dagster's command lines load `./.env` over the real environment; they run in the instance's
    folder, which has none, so what a deployment sets is what runs."""
    load_dotenv(PROJECT_ROOT / ".env")
    for name in PATH_SETTINGS:
        value = os.environ.get(name, "")
        if value and "://" not in value and not Path(value).is_absolute():
            os.environ[name] = str(PROJECT_ROOT / value)
    catalog = os.environ.get("CURATOR_LAKE_CATALOG", "")
    prefix = "sqlite:" if catalog.startswith("sqlite:") else ""
    path = catalog.removeprefix(prefix)
    if path and not catalog.startswith("postgres:") and not Path(path).is_absolute():
        os.environ["CURATOR_LAKE_CATALOG"] = prefix + str(PROJECT_ROOT / path)
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster")
    home.mkdir(parents=True, exist_ok=True)
    return home


def main(argv: list[str] | None = None) -> int:
    os.chdir(settle_environment())
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("CURATOR_UI_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--workspace", default=str(PROJECT_ROOT / "workspace.yaml"))
    args = parser.parse_args(argv)
    extra = os.environ.get("CURATOR_UI_ALLOWED_HOSTS", "").split(",")  # e.g. a reverse proxy's name

    import dagster_webserver.cli as webserver_cli

    webserver_cli.uvicorn = _GuardedUvicorn(webserver_cli.uvicorn, allowed_hosts(args.host, args.port, extra))
    daemon = start_daemon(Path(args.workspace))
    try:
        webserver_cli.cli.main(
            args=["-h", args.host, "-p", str(args.port), "-w", args.workspace], standalone_mode=False
        )
    except KeyboardInterrupt:
        pass
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
