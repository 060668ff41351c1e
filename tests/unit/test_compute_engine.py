"""The compute engine's settings and the in-process engine (the Ray engine: tests/assets/test_ray_compute.py)."""

import pytest

from curation.compute import ComputeSettings, open_compute


def test_an_unknown_engine_or_a_negative_setting_is_refused_with_its_name():
    with pytest.raises(ValueError, match="compute engine 'spark': expected one of local, ray"):
        ComputeSettings(engine="spark")
    with pytest.raises(ValueError, match="rows_per_batch positive"):
        ComputeSettings(rows_per_batch=0)


class CountingFactory:
    built = 0

    def __call__(self):
        CountingFactory.built += 1
        return lambda batch: [x * 10 for x in batch]


def test_the_local_engine_keeps_input_order_and_builds_an_actor_worker_once():
    engine = open_compute(ComputeSettings())
    assert engine.name == "local" and engine.rows_per_batch == 256
    assert list(engine.map_batches(sum, [[1, 2], [3], []])) == [3, 3, 0]
    assert list(engine.map_actors(CountingFactory(), [[1], [2, 3]])) == [[10], [20, 30]]
    assert CountingFactory.built == 1
    engine.close()
