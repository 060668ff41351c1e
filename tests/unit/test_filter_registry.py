"""One registry drives every use of a filter: measuring (quality_signals' columns), deciding in Python and in SQL,
and validating recipes. Each registered filter has datatrove's shape."""

import dataclasses

import pytest

from curation.filters import FILTER_CLASSES, FILTERS, Document, Filter
from curation.filters.recipe import params_model, parse_recipe
from curation.filters.signals import signals_of
from curation.filters.sql import verdicts_select
from curation.lake.tables import QUALITY_SIGNALS


@pytest.mark.parametrize("cls", FILTERS, ids=[cls.name for cls in FILTERS])
def test_each_filter_is_a_small_frozen_class_with_published_defaults_and_its_paper(cls):
    assert issubclass(cls, Filter) and cls.__name__.endswith("Filter")
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert cls.paper, "cite the paper whose defaults these are"
    for field in dataclasses.fields(cls):
        assert field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        assert field.metadata, f"{cls.name}.{field.name}: a threshold (range), a measurement setting or a list"
    reasons = [rule.reason for rule in cls().rules()]
    assert len(reasons) == len(set(reasons)), "reason strings are stat keys: one per rule"


def test_the_order_is_finewebs_then_fineweb2s():
    assert [cls.name for cls in FILTERS] == [
        "url",
        "language",
        "gopher_repetition",
        "gopher_quality",
        "c4",
        "fineweb_quality",
        "fineweb2_language",
        "fineweb2_repetition",
        "fineweb2_quality",
        "fineweb2_gopher_quality",
    ]


def test_quality_signals_stores_every_registered_measurement_and_verdict():
    expected = {f"{cls.name}__{m}" for cls in FILTERS for m in cls.measures} | {f"{cls.name}_reason" for cls in FILTERS}
    columns = set(QUALITY_SIGNALS.schema.names) - {"doc_id", "crawl_file", "language", "language_score"}
    assert columns == expected | {"fineweb_reason", "language_key"}
    row = signals_of("A short text.", "en", 0.9)
    assert set(row) == expected | {"fineweb_reason", "language_key"}
    assert row["language_key"] == "eng_Latn"


@pytest.mark.parametrize("cls", FILTERS, ids=[cls.name for cls in FILTERS])
def test_every_measure_a_filter_returns_is_declared(cls):
    text = "The cat sat on the mat. " * 30 + "\n\nAnother paragraph, with words ... and more words here."
    measured = cls().measure(Document(text, url="https://example.org/a", host="example.org"))
    assert set(measured) <= set(cls.measures)


def test_recipe_validation_and_sql_cover_every_registered_filter(tmp_path):
    recipe = parse_recipe({"filters": {cls.name: {} for cls in FILTERS}}, "all", "all.yaml", tmp_path)
    assert recipe.filter_names == [cls.name for cls in FILTERS]
    sql = verdicts_select(recipe, recipe.build())
    for cls in FILTERS:
        assert f"AS {cls.name}_reason" in sql
    for name in FILTER_CLASSES:  # every threshold a recipe may set has a typed, range-checked field
        settable = {f.name for f in dataclasses.fields(FILTER_CLASSES[name]) if f.init}
        assert set(params_model(name).model_fields) == settable


def test_the_defaults_written_out_give_the_same_filters_as_the_defaults(tmp_path):
    written = {}
    for cls in FILTERS:
        written[cls.name] = {
            f.name: list(getattr(cls(), f.name))
            if isinstance(getattr(cls(), f.name), tuple)
            else getattr(cls(), f.name)
            for f in dataclasses.fields(cls)
            if "range" in f.metadata and not f.name.endswith("_n_grams")
        }
    recipe = parse_recipe({"filters": written}, "explicit", "explicit.yaml", tmp_path)
    assert recipe.build() == [cls() for cls in FILTERS]
