import gzip
import shutil
import uuid
from pathlib import Path

import dagster as dg
import pytest

from assets.lakehouse import Lake
from orchestration.resources import LakeResource, LandingResource

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sample(name: str) -> Path:
    path = SAMPLES / name if (SAMPLES / name).exists() else FIXTURES / name
    assert path.exists(), path
    return path


def warc_record(
    body: bytes = b"<html><body><p>Hello</p></body></html>",
    *,
    rtype: str = "response",
    uri: str | None = "https://example.org/page",
    date: str | None = "2024-03-01T12:00:00Z",
    http_head: bytes = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n",
    record_id: str | None = None,
    content_length: int | None = None,
) -> bytes:
    """One WARC/1.0 record, as a crawler writes it."""
    block = (http_head + b"\r\n" + body) if rtype == "response" else body
    headers = ["WARC/1.0", f"WARC-Type: {rtype}"]
    if record_id != "":
        headers.append(f"WARC-Record-ID: {record_id or f'<urn:uuid:{uuid.uuid4()}>'}")
    if date is not None:
        headers.append(f"WARC-Date: {date}")
    if uri is not None:
        headers.append(f"WARC-Target-URI: {uri}")
    headers.append("Content-Type: application/http; msgtype=response")
    headers.append(f"Content-Length: {len(block) if content_length is None else content_length}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def gzip_members(*records: bytes) -> bytes:
    """Gzip per record, the layout of Common Crawl's WARC files."""
    return b"".join(gzip.compress(r) for r in records)


@pytest.fixture
def landing_dir(tmp_path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def lake_resource(tmp_path) -> LakeResource:
    return LakeResource(
        catalog="sqlite:" + str(tmp_path / "lake" / "catalog.sqlite"), data_path=str(tmp_path / "lake" / "files")
    )


@pytest.fixture
def lake(lake_resource) -> Lake:
    return lake_resource.lake()


@pytest.fixture
def resources(lake_resource, landing_dir) -> dict:
    return {"lake": lake_resource, "landing": LandingResource(path=str(landing_dir), settle_seconds=0)}


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def land(landing_dir: Path, *names: str) -> None:
    for name in names:
        shutil.copy2(sample(name), landing_dir / name)


def materialize_partition(assets, instance, resources, key, run_config=None, raise_on_error=True):
    """Register the crawl partition (as the landing sensor would) and materialize `assets` for it."""
    from orchestration.partitions import CRAWL_FILES

    instance.add_dynamic_partitions(CRAWL_FILES.name, [key])
    return dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        partition_key=key,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory):
    """`make demo`'s run, twice, on a fresh lake with the definitions' own resources (configured through dg.EnvVar
    as a deployment would; a quick rater): the lake end-to-end tests read. Returns the run summaries and paths."""
    from test_rating import ANNOTATIONS, QUICK

    from orchestration.demo import run_demo

    root = tmp_path_factory.mktemp("demo")
    env = {
        "CURATOR_LAKE_CATALOG": "sqlite:" + str(root / "lake" / "catalog.sqlite"),
        "CURATOR_LAKE_DATA_PATH": str(root / "lake" / "files"),
        "CURATOR_LANDING_PATH": str(root / "landing"),
        "CURATOR_MODEL_PATH": str(root / "models"),
        "CURATOR_ANNOTATIONS_PATH": str(ANNOTATIONS),
        "CURATOR_SHARDS_PATH": str(root / "shards"),
    }
    lake = LakeResource(catalog=env["CURATOR_LAKE_CATALOG"], data_path=env["CURATOR_LAKE_DATA_PATH"])
    landing = LandingResource(path=env["CURATOR_LANDING_PATH"], settle_seconds=0)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        from orchestration.definitions import defs

        with dg.instance_for_test() as instance:
            first = run_demo(defs, instance, lake, landing, rating_ops_config=QUICK)
            second = run_demo(defs, instance, lake, landing, rating_ops_config=QUICK)
            metadata = {  # what the UI shows on each asset's latest materialization
                key.to_user_string(): event.asset_materialization.metadata
                for key in defs.resolve_asset_graph().get_all_asset_keys()
                if (event := instance.get_latest_materialization_event(key)) is not None
            }
    return {
        "lake": lake,
        "shards": root / "shards",
        "first": first,
        "second": second,
        "env": env,
        "metadata": metadata,
    }
