"""The compute engine's settings and the in-process engine; `open_compute` picks the engine the settings name."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

ENGINES = ("local", "ray")


class ComputeError(RuntimeError):
    """A batch failed for good (after the engine's retries); the message carries the worker's error."""


@dataclass(frozen=True)
class ComputeSettings:
    """`engine`: local (this process) or ray. `ray_address`: `local` starts a Ray instance on this machine bound to
    127.0.0.1 (and shuts it down on close); `auto` joins the cluster `ray start` runs here; `ray://host:port` joins
    a remote one through Ray Client. `num_cpus`: CPUs of a started instance (0: this machine's cores)."""

    engine: Literal["local", "ray"] = "local"
    ray_address: str = "local"
    num_cpus: int = 0
    max_retries: int = 3  # Ray retries a batch whose worker died this many times; a raised error is not retried
    tasks_in_flight: int = 0  # batches submitted ahead of the writer (0: twice the cluster's CPUs)
    dashboard: bool = False  # Ray's dashboard, on 127.0.0.1 only
    rows_per_batch: int = 256  # rows a stage reads per batch: the unit of work a worker gets

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"compute engine {self.engine!r}: expected one of {', '.join(ENGINES)}")
        if self.num_cpus < 0 or self.max_retries < 0 or self.tasks_in_flight < 0 or self.rows_per_batch < 1:
            raise ValueError("num_cpus, max_retries, tasks_in_flight must not be negative, rows_per_batch positive")


class Compute:
    """The in-process engine: each batch through `fn` here, one after another."""

    name = "local"

    def __init__(self, settings: ComputeSettings | None = None):
        self.settings = settings or ComputeSettings()

    @property
    def rows_per_batch(self) -> int:
        return self.settings.rows_per_batch

    def map_batches(self, fn: Callable[[Any], Any], batches: Iterable) -> Iterator:
        """`fn(batch)` for every batch, results in input order. `fn` must be picklable for Ray (a module-level
        function or a functools.partial of one)."""
        for batch in batches:
            yield fn(batch)

    def map_actors(
        self, factory: Callable[[], Callable[[Any], Any]], batches: Iterable, actors: int = 0, cpus_per_actor: int = 1
    ) -> Iterator:
        """`worker(batch)` for every batch with a worker that `factory()` builds once (a model loaded once)."""
        worker = factory()
        for batch in batches:
            yield worker(batch)

    def placement(self) -> list[dict]:
        """Where the last `map_actors` ran: one entry per actor (node, GPUs)."""
        return [{"node": "this process", "gpus": []}]

    def describe(self) -> dict:
        return {"engine": self.name}

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_compute(settings: ComputeSettings) -> Compute:
    """The engine the settings name, started (Ray: connected or launched). Close it when the run ends."""
    if settings.engine == "local":
        return Compute(settings)
    from curation.compute.ray_engine import RayCompute

    return RayCompute(settings)
