"""The web UI as `make ui` starts it: workspace.yaml loads, the lineage and checks are there over GraphQL.

Runs the README's own command, with PATH untouched, so a code location that only loads from an activated
virtual environment fails here.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUERY = """{
  assetNodes {
    assetKey { path }
    dependencyKeys { path }
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
  }
  workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError {
    __typename ... on PythonError { message } } } } }
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


@pytest.fixture
def webserver(tmp_path):
    port = free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PORT": str(port),
        "CURATOR_LAKE_CATALOG": str(tmp_path / "lake" / "catalog.ducklake"),
        "CURATOR_LAKE_DATA_PATH": str(tmp_path / "lake" / "files"),
        "CURATOR_LANDING_PATH": str(tmp_path / "landing"),
    }
    log_path = tmp_path / "dagster-dev.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "ui"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: `dagster dev` children go down with it
        )
        try:
            yield port, process, log_path
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


def test_web_ui_serves_the_lineage_and_checks(webserver):
    port, process, log = webserver
    deadline, data = time.monotonic() + 150, None
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            data = graphql(port)
        except OSError:
            data = None
        entries = (data or {}).get("workspaceOrError", {}).get("locationEntries") or []
        if data and (data["assetNodes"] or any(e["locationOrLoadError"] for e in entries)):
            break
        time.sleep(2)
    assert data, f"no answer from the web server on port {port}: {log.read_text()[-3000:]}"
    errors = [
        e["locationOrLoadError"]["message"]
        for e in data["workspaceOrError"]["locationEntries"]
        if e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"] == "PythonError"
    ]
    assert errors == []
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    parents = {key: {"/".join(d["path"]) for d in n["dependencyKeys"]} for key, n in nodes.items()}
    assert parents["stats/stg_raw_pages"] == {"raw_pages"}
    assert "stats/stg_raw_pages" in parents["stats/ingest_funnel"]
    # one asset per filter recipe file, reading the stored signals and the documents
    assert parents["filtered_documents/fineweb"] == {"quality_signals", "documents"}
    assert parents["filtered_documents/multilingual"] == {"quality_signals", "documents"}
    checks = {c["name"]: c["blocking"] for c in nodes["raw_pages"]["assetChecksOrError"]["checks"]}
    assert checks == {
        "page_ids_unique": True,
        "required_fields_present": True,
        "all_pages_written": True,
        "raw_pages_expectations": True,
    }
    funnel_checks = {c["name"] for c in nodes["stats/ingest_funnel"]["assetChecksOrError"]["checks"]}
    assert "unique_ingest_funnel_crawl_file" in funnel_checks
