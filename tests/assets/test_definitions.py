"""The code location loads fast and light; `make demo`'s run gives the same tables however often it runs."""

import subprocess
import sys

import dagster as dg


def test_code_location_loads_without_heavy_imports():
    code = (
        "import sys, orchestration.definitions as d; "
        "d.defs.resolve_asset_graph(); "
        "heavy = ('torch', 'great_expectations', 'sentence_transformers', 'fastwarc', 'ray'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_definitions_validate_and_name_the_lineage():
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_pages", "quarantine", "crawl_files", "stats/ingest_funnel", "stats/quarantine_reasons"} <= keys
    graph = defs.resolve_asset_graph()
    upstream = {k.to_user_string() for k in graph.get(dg.AssetKey(["stats", "stg_raw_pages"])).parent_keys}
    assert upstream == {"raw_pages"}
    assert defs.resolve_sensor_def("landing_folder_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey(["mixture_manifests", "qurating_like"])).parent_keys}
    assert parents == {
        "deduplicated_documents/fineweb",
        "quality_ratings",
        "document_boilerplate",
        "contamination",
        "contamination_scans",
    }
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey(["mixture_manifests", "fineweb_tokens"])).parent_keys}
    assert parents == {
        "deduplicated_documents/fineweb",
        "quality_ratings",
        "document_boilerplate",
        "document_tokens",
        "contamination",
        "contamination_scans",
    }
    shards = graph.get(dg.AssetKey(["training_shards", "qurating_like"]))
    assert {k.to_user_string() for k in shards.parent_keys} == {"mixture_manifests/qurating_like"}


def test_the_compute_resource_comes_from_the_environment_and_starts_nothing_until_asked(monkeypatch):
    from assets.resources import default_resources

    monkeypatch.setenv("CURATOR_COMPUTE", "ray")
    monkeypatch.setenv("CURATOR_RAY_ADDRESS", "ray://head:10001")
    with dg.build_resources({"compute": default_resources()["compute"]}) as built:
        assert built.compute.settings().engine == "ray"
        assert built.compute.settings().ray_address == "ray://head:10001"
        assert not built.compute.started  # no connection attempted: nothing asked for the engine
    monkeypatch.delenv("CURATOR_COMPUTE")
    monkeypatch.delenv("CURATOR_RAY_ADDRESS")
    with dg.build_resources({"compute": default_resources()["compute"]}) as built:
        assert built.compute.settings().engine == "local" and built.compute.compute().name == "local"
