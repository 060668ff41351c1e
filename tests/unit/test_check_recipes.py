"""`curator check-recipes`: every recipe of both kinds validated without touching a lake, refusals named."""

import subprocess
import sys
from pathlib import Path

import yaml

from curation.cli import main
from curation.project import FILTER_RECIPES_DIR, MIXTURE_RECIPES_DIR


def test_the_shipped_recipes_all_pass(capsys):
    assert main(["check-recipes"]) == 0
    out = capsys.readouterr().out
    assert (
        out.count("ok  ")
        == len(list(FILTER_RECIPES_DIR.glob("*.yaml"))) + len(list(MIXTURE_RECIPES_DIR.glob("*.yaml"))) + 1
    )  # the evaluation set in benchmarks/
    assert "ok  benchmark gsm8k: 1,319 items" in out and "BAD" not in out


def test_a_bad_recipe_of_either_kind_is_named_and_fails_the_command(tmp_path: Path, capsys):
    filters, mixtures = tmp_path / "filters", tmp_path / "mixtures"
    filters.mkdir()
    mixtures.mkdir()
    (filters / "good.yaml").write_text(yaml.safe_dump({"filters": {"c4": {}}}))
    (filters / "loose.yaml").write_text(yaml.safe_dump({"filters": {"gopher_quality": {"min_stop_words": 9}}}))
    (mixtures / "mix.yaml").write_text(
        yaml.safe_dump({"token_budget": "1M", "streams": [{"name": "web", "filter_recipe": "loose"}]})
    )
    assert main(["check-recipes", "--filters", str(filters), "--mixtures", str(mixtures)]) == 1
    out = capsys.readouterr().out
    assert "ok  " in out and "good.yaml" in out
    assert "BAD " in out and "loose.yaml: filters.gopher_quality.min_stop_words: 9 is out of range" in out
    assert "mix.yaml: streams[web].filter_recipe:" in out  # names a refused filter recipe


def test_the_console_script_is_installed():
    script = Path(sys.executable).parent / "curator"
    out = subprocess.run([str(script), "check-recipes"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
