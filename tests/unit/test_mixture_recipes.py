"""Mixture recipes are validated before any data is read: a bad one is refused with its field and the reason."""

import pytest
from support.recipes import MIXTURE, mixture_with

from curation.mixtures.recipe import (
    MixtureRecipeError,
    load_mixture_recipes,
    parse_mixture_recipe,
    split_by_source,
)
from curation.project import MIXTURE_RECIPES_DIR

FILTERS = {"fineweb", "fineweb2"}


def parse(data: dict):
    return parse_mixture_recipe(data, "example", "example.yaml", FILTERS)


def test_the_shipped_recipes_validate_as_fineweb_dataman_and_qurating_mixtures():
    recipes = load_mixture_recipes(MIXTURE_RECIPES_DIR, FILTERS)
    assert set(recipes) == {"fineweb_like", "fineweb_tokens", "dataman_like", "qurating_like"}
    tokens = recipes["fineweb_tokens"]
    assert (tokens.token_counting.method, tokens.token_counting.tokenizer, tokens.shards.format) == (
        "tokenizer",
        "gpt-neox-20b",
        "megatron",
    )
    fineweb = recipes["fineweb_like"].streams[0]
    assert (fineweb.selection.method, fineweb.dedup.mode, fineweb.domain_weights.mode) == (
        "all",
        "representatives",
        "natural",
    )
    dataman = recipes["dataman_like"].streams[0]
    assert dataman.selection.method == "dataman" and dataman.selection.min_overall_score == 5
    assert split_by_source(dataman)
    qurating = recipes["qurating_like"]
    assert qurating.streams[0].selection.method == "qurating" and qurating.streams[0].selection.tau == 2.0
    assert [p.name for p in qurating.phases] == ["main", "final"]
    assert qurating.phases[1].upsample and all(f > 1 for f in qurating.phases[1].upsample.values())


def test_token_budgets_read_with_their_suffix():
    assert parse(mixture_with("token_budget", "60B")).token_budget == 60_000_000_000
    assert parse(mixture_with("token_budget", "1.5M")).token_budget == 1_500_000
    assert parse(mixture_with("token_budget", 12345)).token_budget == 12345


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        ("token_budget", "lots", "token_budget", "is not a token count"),
        ("token_budget", 0, "token_budget", "greater than 0"),
        ("max_repeats", 0, "max_repeats", "greater than or equal to 1"),
        ("streams.0.share", 0.5, "streams.share", "sum to 0.5"),
        ("phases.1.fraction", 0.5, "phases.fraction", "sum to 1.35"),
        ("streams.0.filter_recipe", "gopher", "streams[web].filter_recipe", "no filter recipe 'gopher'"),
        ("phases.1.upsample", {"Cooking": 2}, "phases[final].upsample.Cooking", "Input should be"),
        ("streams.0.selection", {"method": "top_k", "tau": 2}, "streams[web].selection.tau", "only for method"),
        ("streams.0.selection", {"method": "threshold"}, "streams[web].selection.min", "needs `min` or `max`"),
        ("streams.0.selection", {"method": "qurating", "tau": 0}, "streams[web].selection.tau", "greater than 0"),
        ("streams.0.selection", {"method": "all", "min": {"beauty": 3}}, "streams[web].selection.min.beauty", ""),
        ("streams.0.selection", {"method": "top_k", "k": 5, "fraction": 0.1}, "streams[web].selection.k", "not both"),
        ("streams.0.colour", "blue", "streams[web].colour", "unknown field"),
        (
            "streams.0.domain_weights",
            {"mode": "natural", "weights": {"Law": 1}},
            "streams[web].domain_weights.weights",
            "only for mode explicit",
        ),
        (
            "streams.0.domain_weights",
            {"mode": "explicit", "weights": {"Law": 0}},
            "streams[web].domain_weights.weights",
            "positive weight",
        ),
        ("streams.0.dedup", {"mode": "rehydrate", "weights": {2: 3}}, "streams[web].dedup.weights", "size 1"),
        ("streams.0.dedup", {"mode": "representatives", "max_weight": 3}, "streams[web].dedup.max_weight", "rehydrate"),
        ("phases.1.name", "main", "phases[main].name", "used twice"),
        ("shards", {"format": "csv"}, "shards.format", "Input should be"),
        ("shards", {"format": "megatron"}, "shards.format", "set token_counting.method: tokenizer"),
        ("token_counting", {"method": "tokenizer"}, "token_counting.tokenizer", "needs the name of a file"),
        ("token_counting", {"method": "estimate", "tokenizer": "gpt-neox-20b"}, "token_counting.tokenizer", "only"),
        ("token_counting", {"method": "tokenizer", "tokenizer": "../../x"}, "token_counting.tokenizer", "no path"),
        (
            "token_counting",
            {"method": "tokenizer", "tokenizer": "llama-3"},
            "token_counting.tokenizer",
            "tokenizers/llama-3.json: no such file (the tokenizers folder has: gpt-neox-20b)",
        ),
    ],
)
def test_a_bad_recipe_is_refused_with_the_field_and_the_reason(path, value, field, reason):
    with pytest.raises(MixtureRecipeError) as error:
        parse(mixture_with(path, value))
    assert error.value.field == field
    assert reason in error.value.reason
    assert str(error.value).startswith("example.yaml: ")


def test_a_recipe_named_unlike_its_file_is_refused():
    with pytest.raises(MixtureRecipeError, match="name: 'other' differs from the file name 'example'"):
        parse({**MIXTURE, "name": "other"})


def test_the_recipe_hash_covers_every_setting_defaults_included():
    base = parse(MIXTURE)
    assert parse(MIXTURE).sha256 == base.sha256
    assert parse({**MIXTURE, "seed": 1}).sha256 != base.sha256
    assert parse({**MIXTURE, "max_repeats": base.max_repeats}).sha256 == base.sha256  # a default written out
