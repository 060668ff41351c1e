"""A refused recipe file becomes an asset that fails with its reason; the other recipes' assets load."""

from pathlib import Path

import yaml
from support.recipes import MIXTURE, mixture_with

from assets.mixtures.assets import mixture_assets
from curation.recipes import load_all


def test_a_bad_recipe_file_fails_only_its_own_manifest_asset(tmp_path: Path):
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(MIXTURE))
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(mixture_with("streams.0.share", 0.7)))
    no_tokenizer = mixture_with("token_counting", {"method": "tokenizer", "tokenizer": "llama-3"})
    (tmp_path / "tok.yaml").write_text(yaml.safe_dump(no_tokenizer))
    loaded = {key.to_user_string(): a for a in mixture_assets(load_all(mixture_folder=tmp_path)) for key in a.keys}
    assert set(loaded) == {
        "document_tokens",
        "mixture_manifests/good",
        "training_shards/good",
        "mixture_manifests/bad",
        "mixture_manifests/tok",
    }
    bad = loaded["mixture_manifests/bad"]
    error = bad.metadata_by_key[bad.key]["recipe_error"]
    assert "bad.yaml: streams.share:" in error  # the file, the field and the reason
    tok = loaded["mixture_manifests/tok"]
    error = tok.metadata_by_key[tok.key]["recipe_error"]
    assert "tok.yaml: token_counting.tokenizer: tokenizer " in error
    assert "tokenizers/llama-3.json: no such file" in error
    (tmp_path / "bad.yaml").unlink()
    (tmp_path / "tok.yaml").unlink()
    keys = {key.to_user_string() for a in mixture_assets(load_all(mixture_folder=tmp_path)) for key in a.keys}
    assert keys == {"document_tokens", "mixture_manifests/good", "training_shards/good"}
