"""A refused recipe file becomes an asset that fails with its reason; the other recipes' assets load."""

from pathlib import Path

import yaml
from support.recipes import MIXTURE, mixture_with

from assets.mixtures.assets import mixture_assets
from curation.recipes import load_all


def test_a_bad_recipe_file_fails_only_its_own_manifest_asset(tmp_path: Path):
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(MIXTURE))
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(mixture_with("streams.0.share", 0.7)))
    loaded = {key.to_user_string(): a for a in mixture_assets(load_all(mixture_folder=tmp_path)) for key in a.keys}
    assert set(loaded) == {"mixture_manifests/good", "training_shards/good", "mixture_manifests/bad"}
    bad = loaded["mixture_manifests/bad"]
    error = bad.metadata_by_key[bad.key]["recipe_error"]
    assert "bad.yaml: streams.share:" in error  # the file, the field and the reason
    (tmp_path / "bad.yaml").unlink()
    keys = {key.to_user_string() for a in mixture_assets(load_all(mixture_folder=tmp_path)) for key in a.keys}
    assert keys == {"mixture_manifests/good", "training_shards/good"}
