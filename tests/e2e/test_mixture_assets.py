"""Mixture manifests and training shards as Dagster assets on the demo lake: real crawl documents, rated by the
rater trained in the demo run."""

import json
import math
import unicodedata
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import copy_demo

from assets.mixtures import assets as mixtures
from assets.resources import ComputeResource, ShardStoreResource
from curation.dedup.lines import without_lines
from curation.mixtures import manifest as manifest_sql
from curation.output.fixes import output_text
from curation.project import MIXTURE_RECIPES_DIR
from curation.recipes import load_all
from orchestration.jobs import MIXTURE_JOB

SHIPPED = ("dataman_like", "fineweb_like", "qurating_like")


@pytest.fixture(scope="module")
def lake(demo_lake, tmp_path_factory):
    """A copy of the demo lake: these tests write manifests, which no other test may read."""
    return copy_demo(demo_lake, tmp_path_factory.mktemp("mixture-lake"))["lake"]


def resources(lake, shards: Path) -> dict:
    return {"lake": lake, "shards": ShardStoreResource(path=str(shards)), "compute": ComputeResource()}


def materialize(lake, shards: Path, folder: Path = MIXTURE_RECIPES_DIR, run_config=None, **kwargs):
    with dg.DagsterInstance.ephemeral() as instance:
        return dg.materialize(
            mixtures.mixture_assets(load_all(mixture_folder=folder)),
            instance=instance,
            resources=resources(lake, shards),
            run_config=run_config,
            **kwargs,
        )


def write_recipe(folder: Path, name: str, recipe: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(recipe))
    return folder


def query(lake, sql: str, params=()):
    with lake.lake().connect(read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def fineweb_supply(lake) -> int:
    """Tokens of the fineweb recipe's documents at 4 characters per token, counted without boilerplate lines."""
    return query(
        lake,
        "SELECT sum(greatest(1, ceil((char_count - coalesce(b.boilerplate_chars, 0)) / 4.0)))::BIGINT "
        "FROM deduplicated_documents.fineweb LEFT JOIN document_boilerplate AS b USING (doc_id)",
    )[0][0]


def rated_five(lake) -> int:
    return query(
        lake,
        "SELECT count(*) FROM deduplicated_documents.fineweb2 JOIN quality_ratings USING (doc_id) "
        "WHERE overall_score = 5",
    )[0][0]


def test_the_shipped_recipes_give_manifests_and_shards_a_trainer_reads_without_this_project(demo_lake):
    # what the demo's mixture job wrote with the shipped recipes (read, never written: the demo lake is shared).
    # Its shards exist only because each manifest's blocking checks (expectations, targets) passed first.
    assert MIXTURE_JOB not in demo_lake["failed"]
    lake, shards = demo_lake["lake"], demo_lake["shards"]
    for recipe in SHIPPED:
        manifest = demo_lake["metadata"][f"mixture_manifests/{recipe}"]
        assert manifest, f"no materialization of mixture_manifests/{recipe}"
        rows = query(lake, f"SELECT sum(repeats), sum(repeats * tokens), count(*) FROM mixture_manifests.{recipe}")[0]
        folder = shards / recipe
        index = json.loads((folder / "index.json").read_text())
        summary = json.loads((folder / "manifest_summary.json").read_text())
        if recipe == "dataman_like" and rated_five(lake) == 0:
            # the rater gave no 5 to the sample's documents: an empty manifest, every target cell a shortfall
            assert rows[2] == 0 and index["phases"][0]["shards"] == []
            assert summary["shortfalls"] and {s["reason"] for s in summary["shortfalls"]} == {"no candidates"}
            assert len({s["domain"] for s in summary["shortfalls"]}) > 1  # the budget was split by domain
            continue
        assert rows[2] > 0
        # plain pyarrow, no project code: the files the index lists, phase by phase; every copy a row, tokens add up
        table = pa.concat_tables(pq.read_table(folder / s["file"]) for p in index["phases"] for s in p["shards"])
        assert ds.dataset(str(folder / "main"), format="parquet").count_rows() == index["phases"][0]["rows"]
        assert table.num_rows == rows[0] == sum(p["rows"] for p in index["phases"])
        assert pc.sum(table["tokens"]).as_py() == rows[1]
        assert pc.min(pc.utf8_length(table["text"])).as_py() > 0
        assert summary["recipe_sha256"] == index["recipe_sha256"]
        assert set(summary["input_table_snapshots"]) == set(manifest_sql.INPUT_TABLES)
        assert summary["input_table_snapshots"]["quality_ratings"] <= summary["lake_snapshot_id"]
        assert index["boilerplate_lines"] == summary["boilerplate_lines"]["mode"] == "drop"
        if recipe == "fineweb_like":
            shards_leave_out_boilerplate_lines(lake, table, summary)
    # the DataMan-like recipe reads only documents rated 5
    assert (
        query(
            lake,
            "SELECT coalesce(min(q.overall_score), 5) FROM mixture_manifests.dataman_like JOIN quality_ratings q "
            "USING (doc_id)",
        )[0][0]
        == 5
    )
    # QuRating-like: the final phase gets 15% of the tokens, with Coding and Mathematics upsampled where present
    phases = {
        p["phase"]: p for p in json.loads((shards / "qurating_like" / "manifest_summary.json").read_text())["phases"]
    }
    assert phases["final"]["target_tokens"] == round(0.15 * 150_000)


def shards_leave_out_boilerplate_lines(lake, table: pa.Table, summary: dict) -> None:
    """Each shard text is the lake's text without its boilerplate lines, then fixed (curation/output), and its tokens
    are counted on what is left."""
    lake_texts = {
        doc_id: (text, numbers)
        for doc_id, text, numbers in query(
            lake,
            "SELECT doc_id, text, b.line_numbers FROM documents LEFT JOIN document_boilerplate AS b USING (doc_id)",
        )
    }
    shortened = cleaned_chars = 0
    for doc_id, text, tokens in zip(*table.select(["doc_id", "text", "tokens"]).to_pydict().values(), strict=True):
        original, numbers = lake_texts[doc_id]
        cleaned = without_lines(original, numbers)
        assert text == output_text(cleaned)
        assert tokens == max(1, math.ceil(len(cleaned) / 4))  # fineweb_like: 4 characters per token
        shortened += cleaned != original
        cleaned_chars += len(cleaned)
    dropped = summary["boilerplate_lines"]
    assert shortened == dropped["manifest_rows_with_lines_dropped"] > 10  # max_repeats 1: a row is a copy
    assert dropped["characters_dropped"] == sum(len(lake_texts[d][0]) for d in table["doc_id"].to_pylist()) - (
        cleaned_chars
    )


def test_a_recipe_that_keeps_boilerplate_lines_gets_the_lake_texts_whole(lake, tmp_path):
    recipe = {
        "token_budget": 20_000,
        "boilerplate_lines": "keep",
        "streams": [{"name": "web", "filter_recipe": "fineweb"}],
    }
    assert materialize(lake, tmp_path / "shards", write_recipe(tmp_path / "recipes", "whole", recipe)).success
    folder = tmp_path / "shards" / "whole"
    assert json.loads((folder / "index.json").read_text())["boilerplate_lines"] == "keep"
    table = pq.read_table(folder / "main")
    texts = dict(query(lake, "SELECT doc_id, text FROM documents"))
    assert table.num_rows > 0
    pairs = zip(table["doc_id"].to_pylist(), table["text"].to_pylist(), strict=True)
    assert all(output_text(texts[d]) == t for d, t in pairs)  # whole, and fixed on the way out
    summary = json.loads(query(lake, "SELECT summary FROM mixture_summaries WHERE recipe = 'whole'")[0][0])
    assert summary["boilerplate_lines"]["mode"] == "keep" and summary["boilerplate_lines"]["lines_dropped"] == 0


def test_real_rated_documents_meet_domain_and_phase_targets_within_one_percent(lake, tmp_path):
    supply = fineweb_supply(lake)
    domains = [  # the rarest domain with at least 5 documents is upsampled
        d
        for (d,) in query(
            lake, "SELECT domain FROM quality_ratings GROUP BY 1 HAVING count(*) >= 5 ORDER BY count(*) DESC"
        )
    ]
    recipe = {  # 6 times what the sample holds: every document 5 to 8 times, phases of ~150-600K tokens
        "token_budget": supply * 6,
        "max_repeats": 8,
        "seed": 3,
        "streams": [{"name": "web", "filter_recipe": "fineweb", "selection": {"method": "qurating", "tau": 2.0}}],
        "phases": [
            {"name": "main", "fraction": 0.8},
            {"name": "final", "fraction": 0.2, "upsample": {domains[-1]: 2}},
        ],
    }
    result = materialize(lake, tmp_path / "shards", write_recipe(tmp_path / "recipes", "real_mix", recipe))
    assert result.success
    summary = json.loads(query(lake, "SELECT summary FROM mixture_summaries WHERE recipe = 'real_mix'")[0][0])
    assert summary["shortfalls"] == []
    largest = dict(
        query(
            lake,
            "SELECT q.domain, max(ceil(d.char_count / 4.0)) FROM deduplicated_documents.fineweb AS d "
            "JOIN quality_ratings AS q USING (doc_id) GROUP BY 1",
        )
    )
    measured = 0
    for phase in summary["phases"]:
        for domain in phase["domains"]:
            # a cell lands within a document of its target (documents are not cut) ...
            assert abs(domain["achieved_tokens"] - domain["target_tokens"]) <= largest[domain["domain"]] + 1
            # ... so where its largest document is under 1% of the phase, its share is within one point
            if largest[domain["domain"]] <= 0.01 * phase["target_tokens"]:
                assert abs(domain["achieved_share"] - domain["target_share"]) <= 0.01, domain
                measured += 1
        assert abs(phase["achieved_tokens"] - phase["target_tokens"]) <= 0.03 * phase["target_tokens"]
    assert measured >= 4
    per_document = query(
        lake, "SELECT min(n), max(n) FROM (SELECT sum(repeats) AS n FROM mixture_manifests.real_mix GROUP BY doc_id)"
    )[0]
    assert per_document[0] >= 4 and per_document[1] <= 8


def test_explicit_weights_beyond_supply_upsample_to_the_cap_and_record_the_shortfall(lake, tmp_path):
    supply = fineweb_supply(lake)
    recipe = {
        "token_budget": supply * 10,
        "max_repeats": 2,
        "streams": [{"name": "web", "filter_recipe": "fineweb"}],
    }
    result = materialize(lake, tmp_path / "shards", write_recipe(tmp_path / "recipes", "too_big", recipe))
    assert result.success  # a shortfall is recorded, not an error
    assert query(lake, "SELECT min(repeats), max(repeats) FROM mixture_manifests.too_big")[0] == (2, 2)
    summary = json.loads(query(lake, "SELECT summary FROM mixture_summaries WHERE recipe = 'too_big'")[0][0])
    assert summary["achieved_tokens"] == 2 * supply
    assert sum(s["shortfall_tokens"] for s in summary["shortfalls"]) == pytest.approx(
        8 * supply, abs=len(summary["shortfalls"])
    )
    cells = query(lake, "SELECT sum(shortfall_tokens) FROM mixture_cells WHERE recipe = 'too_big'")[0][0]
    assert cells == pytest.approx(8 * supply)


def test_the_same_recipe_on_the_same_snapshot_gives_byte_identical_manifest_and_shards(lake, tmp_path):
    folder = write_recipe(
        tmp_path / "recipes",
        "pinned",
        {
            "token_budget": fineweb_supply(lake),
            "seed": 11,
            "streams": [{"name": "web", "filter_recipe": "fineweb", "selection": {"method": "qurating"}}],
            "shards": {"max_bytes": 100_000},
        },
    )

    def run(shards: Path, snapshot=None):
        config = {"ops": {"mixture_manifests__pinned": {"config": {"lake_snapshot": snapshot}}}}
        assert materialize(lake, shards, folder, run_config=config).success
        rows = query(lake, "SELECT * FROM mixture_manifests.pinned ORDER BY phase, stream, doc_id")
        summary = query(lake, "SELECT summary FROM mixture_summaries WHERE recipe = 'pinned'")[0][0]
        files = {p.relative_to(shards): p.read_bytes() for p in sorted(shards.rglob("*")) if p.is_file()}
        return rows, summary, files

    rows, summary, files = run(tmp_path / "a")
    snapshot = json.loads(summary)["lake_snapshot_id"]
    assert len([f for f in files if f.suffix == ".parquet"]) > 1  # bounded shards
    assert all(pq.ParquetFile(tmp_path / "a" / f).metadata.num_rows for f in files if f.suffix == ".parquet")
    removed = query(lake, "SELECT * FROM quality_ratings ORDER BY doc_id LIMIT 40")
    with lake.lake().transaction("test: a rating batch withdrawn") as con:
        con.execute(
            "DELETE FROM quality_ratings WHERE doc_id IN (SELECT doc_id FROM quality_ratings ORDER BY doc_id LIMIT 40)"
        )
    try:
        again = run(tmp_path / "b", snapshot)
        assert again[0] == rows and again[1] == summary
        assert {f.as_posix(): b for f, b in again[2].items()} == {f.as_posix(): b for f, b in files.items()}
        moved_on = run(tmp_path / "c")
        assert moved_on[0] != rows
        assert json.loads(moved_on[1])["lake_snapshot_id"] > snapshot
    finally:
        with lake.lake().transaction("test: the rating batch restored") as con:
            placeholders = ", ".join(["?"] * len(removed[0]))
            con.executemany(f"INSERT INTO quality_ratings VALUES ({placeholders})", removed)


def test_a_failing_manifest_expectation_blocks_the_shards(lake, tmp_path, monkeypatch):
    folder = write_recipe(
        tmp_path / "recipes",
        "gated",
        {"token_budget": 20_000, "streams": [{"name": "web", "filter_recipe": "fineweb"}]},
    )
    original = manifest_sql.compute_manifest

    def off_cap(*args):  # a bug in the arithmetic: repeats of 0
        result = original(*args)
        rows = result.rows.set_column(3, "repeats", pc.multiply(result.rows["repeats"], 0))
        return manifest_sql.Manifest(rows, result.cells, result.summary)

    monkeypatch.setattr(manifest_sql, "compute_manifest", off_cap)
    result = materialize(lake, tmp_path / "shards", folder, raise_on_error=False)
    [gate] = [c for c in result.get_asset_check_evaluations() if c.check_name == mixtures.CHECK_MANIFEST]
    assert not gate.passed and gate.metadata["unexpected_rows"].value > 0
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized - {"document_tokens"} == {"mixture_manifests/gated"}
    assert not (tmp_path / "shards" / "gated").exists()


def test_a_manifest_asked_for_a_future_snapshot_is_refused(lake, tmp_path):
    folder = write_recipe(
        tmp_path / "recipes", "future", {"token_budget": 1000, "streams": [{"name": "web", "filter_recipe": "fineweb"}]}
    )
    config = {"ops": {"mixture_manifests__future": {"config": {"lake_snapshot": 10**9}}}}
    result = materialize(lake, tmp_path / "shards", folder, run_config=config, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "ahead of the lake" in str(failure.event_specific_data.error)
    assert query(lake, "SELECT count(*) FROM mixture_summaries WHERE recipe = 'future'")[0][0] == 0


def test_tokenized_shards_decode_to_the_manifest_texts_through_a_pytorch_dataloader(lake, tmp_path):
    import torch
    from torch.utils.data import DataLoader

    from curation.tokens.tokenizer_files import open_tokenizer
    from curation.tokens.torch_dataset import ShardDocuments

    recipe = yaml.safe_load((MIXTURE_RECIPES_DIR / "fineweb_tokens.yaml").read_text())
    recipe.update(name="tokens", token_budget=fineweb_supply(lake) // 3, max_repeats=3, seed=5)
    recipe["phases"] = [{"name": "main", "fraction": 0.7}, {"name": "late", "fraction": 0.3, "upsample": {}}]
    recipe["shards"]["max_bytes"] = 8_192
    folder = write_recipe(tmp_path / "recipes", "tokens", recipe)
    # the demo counted every fineweb document already: only the counts taken away are counted again
    with lake.lake().transaction("test: ten token counts withdrawn") as con:
        con.execute(
            "DELETE FROM document_tokens WHERE doc_id IN (SELECT doc_id FROM document_tokens ORDER BY doc_id LIMIT 10)"
        )
    result = materialize(lake, tmp_path / "a", folder)
    assert result.success
    assert result.asset_materializations_for_node("document_tokens")[0].metadata["counted_this_run"].value == 10
    snapshot = json.loads((tmp_path / "a" / "tokens" / "index.json").read_text())["lake_snapshot_id"]
    pinned = {"ops": {"mixture_manifests__tokens": {"config": {"lake_snapshot": snapshot}}}}
    again = materialize(lake, tmp_path / "b", folder, run_config=pinned)  # the same snapshot, the same bytes
    assert again.asset_materializations_for_node("document_tokens")[0].metadata["counted_this_run"].value == 0
    files = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in sorted((tmp_path / "a").rglob("*")) if p.is_file()}
    assert files == {
        p.relative_to(tmp_path / "b"): p.read_bytes() for p in sorted((tmp_path / "b").rglob("*")) if p.is_file()
    }

    tokenizer = open_tokenizer("gpt-neox-20b")
    shards = tmp_path / "a" / "tokens"
    index = json.loads((shards / "index.json").read_text())
    summary = json.loads((shards / "manifest_summary.json").read_text())
    assert summary["token_count"] == {"method": "tokenizer", "tokenizer": tokenizer.id, "table": "document_tokens"}
    assert index["format"] == "megatron" and index["dtype"] == "uint16" and index["eos_id"] == 0
    manifest = {
        (phase, doc_id): (repeats, tokens)
        for phase, doc_id, repeats, tokens in query(
            lake, "SELECT phase, doc_id, repeats, tokens FROM mixture_manifests.tokens"
        )
    }
    stored = dict(query(lake, f"SELECT doc_id, tokens FROM document_tokens WHERE tokenizer = '{tokenizer.id}'"))
    assert all(stored[doc_id] == tokens for (_, doc_id), (_, tokens) in manifest.items())  # real counts
    texts = {
        doc_id: output_text(without_lines(text, numbers))
        for doc_id, text, numbers in query(
            lake,
            "SELECT doc_id, text, b.line_numbers FROM documents LEFT JOIN document_boilerplate AS b USING (doc_id)",
        )
    }
    decode = tokenizer.load().decode
    for entry in index["phases"]:
        phase = entry["phase"]
        assert len(entry["shards"]) > 1  # bounded shards
        rows = pa.concat_tables(pq.read_table(shards / s["rows_file"]) for s in entry["shards"])["doc_id"].to_pylist()
        dataset = ShardDocuments(shards, phase)
        assert len(dataset) == len(rows) == sum(r for (p, _), (r, _) in manifest.items() if p == phase)
        copies = {d: rows.count(d) for d in set(rows)}
        assert copies == {d: r for (p, d), (r, _) in manifest.items() if p == phase}  # copies honoured
        order = torch.Generator().manual_seed(0)
        loader = DataLoader(dataset, batch_size=4, shuffle=True, generator=order, collate_fn=list)
        seen = 0
        for batch_number, batch in enumerate(loader):
            for sequence in batch:
                assert sequence.dtype == torch.int64 and int(sequence[-1]) == tokenizer.eos_id
            seen += len(batch)
            if batch_number == 10:
                break
        for i in range(len(dataset)):  # every sequence is its document's text, NFC (the tokenizer's normaliser)
            tokens = dataset[i].tolist()
            assert tokens[-1] == tokenizer.eos_id and len(tokens) - 1 == manifest[(phase, rows[i])][1]
            assert decode(tokens[:-1]) == unicodedata.normalize("NFC", texts[rows[i]])
        assert seen == min(len(dataset), 44)
        assert entry["tokens"] == sum(len(dataset[i]) for i in range(len(dataset)))
