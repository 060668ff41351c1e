"""The web UI as `make ui` starts it: workspace.yaml loads; over GraphQL the lineage runs from raw pages to the
mixture manifests and the dbt marts with the checks attached; headless Chromium renders the asset graph page.

Runs the README's own command, with PATH untouched, so a code location that only loads from an activated
virtual environment fails here. One server for the module, stopped (its whole process group) at the end.
"""

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from pathlib import Path

import pytest
from support.browser import CHROMIUM, chromium

from curation.project import PROJECT_ROOT

ROOT = PROJECT_ROOT
QUERY = """{
  assetNodes {
    assetKey { path }
    dependencyKeys { path }
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
  }
  workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError {
    __typename ... on PythonError { message } } } } }
  repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name cronSchedule } sensors { name } } } }
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


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("ui")
    port = free_port()
    if os.environ.get("CURATOR_SCREENSHOT_DIR"):  # `make screenshot`: the UI over `make demo`'s runs and lake
        env = {**os.environ, "PORT": str(port)}
    else:  # a fresh instance and lake
        home = tmp_path / "dagster_home"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "PORT": str(port),
            "CURATOR_LAKE_CATALOG": "sqlite:" + str(tmp_path / "lake" / "catalog.sqlite"),
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
            data = wait_for_workspace(port, process, log_path)
            yield port, data
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
    assert process.returncode is not None


def wait_for_workspace(port: int, process: subprocess.Popen, log: Path) -> dict:
    deadline, data = time.monotonic() + 150, None
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            data = graphql(port)
        except OSError:
            data = None
        entries = (data or {}).get("workspaceOrError", {}).get("locationEntries") or []
        if data and (data["assetNodes"] or any(e["locationOrLoadError"] for e in entries)):
            return data
        time.sleep(2)
    raise AssertionError(f"no answer from the web server on port {port}: {log.read_text()[-3000:]}")


def has_path(parents: dict[str, set[str]], start: str, goal: str) -> bool:
    children: dict[str, set[str]] = {}
    for child, ups in parents.items():
        for up in ups:
            children.setdefault(up, set()).add(child)
    queue, seen = deque([start]), {start}
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for child in children.get(node, ()):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return False


def test_web_ui_serves_the_lineage_checks_and_automation(webserver):
    _, data = webserver
    errors = [
        e["locationOrLoadError"]["message"]
        for e in data["workspaceOrError"]["locationEntries"]
        if e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"] == "PythonError"
    ]
    assert errors == []
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    parents = {key: {"/".join(d["path"]) for d in n["dependencyKeys"]} for key, n in nodes.items()}

    # the whole lineage: crawl pages to mixture manifests and their shards, and from every stage into the marts
    for goal in ("mixture_manifests/fineweb_like", "training_shards/qurating_like", "stats/corpus_funnel"):
        assert has_path(parents, "raw_pages", goal), goal
    assert parents["filtered_documents/fineweb"] == {"quality_signals", "documents"}
    assert parents["stats/stg_raw_pages"] == {"raw_pages"}
    assert parents["stats/stg_filter_verdicts"] == {"filtered_documents/fineweb", "filtered_documents/fineweb2"}
    assert parents["stats/stg_mixture_cells"] == {
        "mixture_manifests/dataman_like",
        "mixture_manifests/fineweb_like",
        "mixture_manifests/fineweb_tokens",
        "mixture_manifests/qurating_like",
    }
    assert parents["stats/mixture_composition"] == {"stats/stg_mixture_cells", "stats/stg_mixture_summaries"}
    for mart in ("filter_removals", "language_distribution", "ratings_by_domain", "dedup_cluster_sizes"):
        assert f"stats/{mart}" in nodes
    assert has_path(parents, "quality_ratings", "stats/concept_pairs")

    def checks(key):
        return {c["name"]: c["blocking"] for c in nodes[key]["assetChecksOrError"]["checks"]}

    assert checks("raw_pages") == {
        "page_ids_unique": True,
        "required_fields_present": True,
        "all_pages_written": True,
        "raw_pages_expectations": True,
    }
    assert checks("documents") == {"documents_have_text": True, "documents_expectations": False}
    assert checks("deduplicated_documents/fineweb") == {"deduplicated_corpus_expectations": True}  # before scoring
    assert checks("rating_input") == {"rating_input_expectations": True}
    assert checks("quality_ratings") == {"quality_ratings_expectations": True}  # before the manifests
    assert checks("mixture_manifests/fineweb_like") == {
        "mixture_manifest_expectations": True,
        "targets_met_or_shortfall_recorded": True,
        "no_contaminated_documents": True,
    }
    assert checks("training_shards/fineweb_like") == {"no_addresses_in_shards": True}
    assert checks("contamination_scans") == {"every_benchmark_scanned": True}
    assert "unique_combination_of_columns_corpus_funnel_crawl_file__recipe" in checks("stats/corpus_funnel")
    assert "expression_is_true_corpus_funnel_kept_documents" in checks("stats/corpus_funnel")

    [repository] = data["repositoriesOrError"]["nodes"]
    assert {(s["name"], s["cronSchedule"]) for s in repository["schedules"]} == {
        ("daily_new_partitions_schedule", "0 3 * * *"),
        ("weekly_lake_maintenance_schedule", "0 4 * * 0"),
    }
    assert {s["name"] for s in repository["sensors"]} >= {"landing_folder_sensor", "statistics_automation_sensor"}


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", header[16:24])


PAGES = {  # screenshot file -> page: the lineage upstream of a mixture manifest, and the whole graph by group
    "mixture-lineage.png": "assets/mixture_manifests/fineweb_like?view=lineage&lineageScope=upstream&lineageDepth=12",
    "asset-graph.png": "asset-groups",
}


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="no chromium here (apt-get install chromium); CI has it"
)
def test_headless_chromium_renders_the_asset_graph(webserver, tmp_path):
    assert CHROMIUM, "chromium is not installed (apt-get install chromium)"
    port, _ = webserver
    # the first-visit newsletter dialog that `dagster dev` shows on 127.0.0.1, dismissed as its Skip button does
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": "mutation { setNuxSeen }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["data"]["setNuxSeen"] is True

    lineage = f"http://127.0.0.1:{port}/{PAGES['mixture-lineage.png']}"
    dom = chromium("--dump-dom", lineage)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for label in ("raw_pages", "documents", "dedup_clusters", "quality_ratings", "fineweb_like"):
        assert f">{label}<" in dom.stdout, f"{label} is not drawn on the lineage page"

    # the lineage page always; the whole graph too when re-taking the docs' pictures (`make screenshot`)
    docs = os.environ.get("CURATOR_SCREENSHOT_DIR")
    folder = Path(docs or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    for name, page in PAGES.items() if docs else [("mixture-lineage.png", PAGES["mixture-lineage.png"])]:
        shot = folder / name
        # the docs' pictures wait longer, for every node's materialization and check status to load
        result = chromium(f"--screenshot={shot}", f"http://127.0.0.1:{port}/{page}", budget_ms=20000 if docs else 5000)
        assert result.returncode == 0, result.stderr[-2000:]
        assert png_size(shot) == (1600, 1000)
        assert shot.stat().st_size > 60_000, name  # a drawn graph, not a blank or error page


def request(port: int, path: str, *, data: bytes | None = None, headers: dict | None = None):
    """(status, body) of one request to the UI, refusals included."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def post_graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    status, text = request(port, "/graphql", data=body, headers={"Content-Type": "application/json"})
    assert status == 200, text
    return json.loads(text)


def test_requests_from_other_sites_run_nothing_and_change_nothing(webserver, tmp_path):
    port, _ = webserver
    marker = tmp_path / "ran"
    add_partition = (
        'mutation { addDynamicPartition(repositorySelector: {repositoryName: "__repository__", '
        'repositoryLocationName: "curator"}, partitionsDefName: "crawl_files", partitionKey: "evil.warc.gz") '
        "{ __typename } }"
    )
    query = urllib.parse.quote(add_partition)
    # what an <img src> on any web page sends: a GET, maybe a foreign Origin, a cross-site fetch
    for headers in (
        {},
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Host": f"evil.example:{port}"},  # DNS rebinding
    ):
        status, text = request(port, f"/graphql?query={query}", headers=headers)
        assert status in (403, 405), (headers, status, text[:200])
        assert "refused" in text
    # a cross-origin POST is refused too, and so is the page itself under a foreign Host
    status, _ = request(
        port,
        "/graphql",
        data=json.dumps({"query": add_partition}).encode(),
        headers={"Content-Type": "application/json", "Origin": "http://evil.example"},
    )
    assert status == 403
    assert request(port, "/", headers={"Host": "attacker.example"})[0] == 403

    # run config naming a program for the dbt resource: the launch is refused by config validation
    launch = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
      ... on RunConfigValidationInvalid { errors { message } } } }"""
    run_config = {
        "resources": {
            "dbt": {
                "config": {
                    "dbt_executable": sys.executable,
                    "global_config_flags": ["-c", f"open({str(marker)!r}, 'w')"],
                }
            }
        }
    }
    repos = post_graphql(
        port, "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
    )
    [repo] = repos["data"]["repositoriesOrError"]["nodes"]
    answer = post_graphql(
        port,
        launch,
        {
            "p": {
                "selector": {
                    "repositoryLocationName": repo["location"]["name"],
                    "repositoryName": repo["name"],
                    "jobName": "lake_statistics_job",
                },
                "runConfigData": run_config,
            }
        },
    )
    assert answer["data"]["launchRun"]["__typename"] == "RunConfigValidationInvalid", answer
    # nothing ran, nothing changed: no run, no new partition, no file written
    runs = post_graphql(port, "{ runsOrError { ... on Runs { results { runId } } } }")
    assert runs["data"]["runsOrError"]["results"] == []
    partitions = post_graphql(
        port,
        '{ assetNodeOrError(assetKey: {path: ["raw_pages"]}) { ... on AssetNode { partitionKeys } } }',
    )
    assert "evil.warc.gz" not in partitions["data"]["assetNodeOrError"]["partitionKeys"]
    time.sleep(1)
    assert not marker.exists()
