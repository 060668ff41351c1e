"""Filter recipes: validation before anything runs, the URL filter's reasons, and recipe views over stored signals."""

import pytest
from support.recipes import FINEWEB, write_recipe

from curation.filters import Document
from curation.filters.recipe import FILTER_CLASSES, RecipeError, load_recipe, parse_recipe
from curation.filters.url import URLFilter


def test_the_fineweb_recipe_file_holds_the_published_defaults_in_fineweb_order():
    recipe = load_recipe(FINEWEB)
    assert recipe.filter_names == ["url", "language", "gopher_repetition", "gopher_quality", "c4", "fineweb_quality"]
    assert recipe.build() == [cls() for cls in FILTER_CLASSES.values()][: len(recipe.filter_names)]


def test_the_fineweb2_recipe_file_runs_fineweb2s_steps_with_its_defaults_in_its_order():
    recipe = load_recipe(FINEWEB.with_name("fineweb2.yaml"))
    assert recipe.filter_names == [
        "url",
        "fineweb2_language",
        "fineweb2_repetition",
        "fineweb2_quality",
        "fineweb2_gopher_quality",
    ]
    assert recipe.build()[1:] == [FILTER_CLASSES[name]() for name in recipe.filter_names[1:]]


BAD_RECIPES = [
    ({"filters": {"perplexity": {"max": 1}}}, "filters.perplexity", "unknown filter"),
    ({"filters": {"c4": {"min_sentences": 5}}}, "filters.c4.min_sentences", "unknown parameter of c4"),
    ({"filters": {"c4": {"min_words_per_line": 5}}}, "filters.c4.min_words_per_line", "fixed when quality_signals"),
    ({"filters": {"gopher_quality": {"min_doc_words": "fifty"}}}, "filters.gopher_quality.min_doc_words", "integer"),
    ({"filters": {"gopher_quality": {"min_doc_words": 50.5}}}, "filters.gopher_quality.min_doc_words", "integer"),
    ({"filters": {"fineweb_quality": {"line_punct_thr": True}}}, "filters.fineweb_quality.line_punct_thr", "number"),
    ({"filters": {"gopher_repetition": {"dup_line_frac": 1.5}}}, "filters.gopher_repetition.dup_line_frac", "range"),
    ({"filters": {"language": {"language_threshold": -0.1}}}, "filters.language.language_threshold", "range"),
    (
        {"filters": {"gopher_repetition": {"top_n_grams": {5: 0.1}}}},
        "filters.gopher_repetition.top_n_grams.5",
        "not measured",
    ),
    ({"filters": {"language": {"languages": ["English"]}}}, "filters.language.languages", "lid.176 language code"),
    ({"filters": {"url": {"blocked_domains": ["nowhere.txt"]}}}, "filters.url.blocked_domains", "no such file"),
    (
        {"filters": {"gopher_quality": {"min_doc_words": 500, "max_doc_words": 100}}},
        "filters.gopher_quality.min_doc_words",
        "above max_doc_words",
    ),
    ({"filters": {}}, "filters", "non-empty mapping"),
    ({"filters": {"c4": [5]}}, "filters.c4", "expected a mapping"),
    ({"name": "other", "filters": {"c4": {}}}, "name", "differs from the file name"),
    ({"filter": {"c4": {}}}, "filter", "unknown field"),
    ("filters: {c4: {min_num_sentences: 5}", "(file)", "not valid YAML"),
]


@pytest.mark.parametrize(("data", "field", "reason"), BAD_RECIPES, ids=[b[1] + ":" + b[2] for b in BAD_RECIPES])
def test_a_bad_recipe_is_refused_with_its_field_and_reason(tmp_path, data, field, reason):
    path = write_recipe(tmp_path, "mine", data)
    with pytest.raises(RecipeError) as refused:
        load_recipe(path)
    assert refused.value.field == field
    assert reason in refused.value.reason
    assert str(path) in str(refused.value)


def test_the_fingerprint_moves_with_a_threshold_or_a_list_but_not_with_comments(tmp_path):
    base = {"filters": {"url": {"blocked_domains": ["domains.txt"]}, "c4": {"min_num_sentences": 5}}}
    (tmp_path / "domains.txt").write_text("example.com\n")
    first = parse_recipe(base, "r", "r.yaml", tmp_path).fingerprint
    assert parse_recipe({"description": "same", **base}, "r", "r.yaml", tmp_path).fingerprint == first
    stricter = {"filters": {**base["filters"], "c4": {"min_num_sentences": 6}}}
    assert parse_recipe(stricter, "r", "r.yaml", tmp_path).fingerprint != first
    (tmp_path / "domains.txt").write_text("example.com\nexample.net\n")
    assert parse_recipe(base, "r", "r.yaml", tmp_path).fingerprint != first


URL_CASES = [
    ("https://www.blocked-site.example/a/page", "www.blocked-site.example", "domain"),
    ("https://news.blocked-site.example/story", "news.blocked-site.example", "domain"),
    ("https://example.org/exactly/this/page.html", "example.org", "url"),
    ("https://shop.example.com/cialis/offer", "shop.example.com", "hard_blacklisted"),
    ("https://example.com/erotic-brunette-gallery", "example.com", "soft_blacklisted"),
    ("https://example.org/review-of-ball-kicking-sports", "example.org", "blacklisted_subword"),
    ("https://example.org/erotic-poetry-of-the-romantics", "example.org", None),  # one soft word is not enough
    ("https://en.wikipedia.org/wiki/Dagster", "en.wikipedia.org", None),
]


URL_FILTER = URLFilter(
    blocked_domains=frozenset({"blocked-site.example"}),
    blocked_urls=frozenset({"https://example.org/exactly/this/page.html"}),
)


@pytest.mark.parametrize(("url", "host", "reason"), URL_CASES, ids=[c[0] for c in URL_CASES])
def test_url_filter_reasons(url, host, reason):
    assert URL_FILTER.judge(Document("", url=url, host=host)) == reason
