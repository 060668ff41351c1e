"""The Ray engine: batches as Ray tasks (bounded in flight, results in input order), models in an actor pool
that takes the cluster's GPUs where it has any. Imported only when a run asks for Ray (Ray is a heavy import).

Why Ray's own API and not dagster-ray's `LocalRay`: that resource calls `ray.init(address=None)`, which joins any
cluster `ray start` left on the machine instead of starting one, cannot join `auto` or `ray://` addresses, and
takes `ray_init_options` (a runtime environment, i.e. what the workers install and execute) from run config.
"""

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from curation.compute.engine import Compute, ComputeError, ComputeSettings

# Ray binds its servers to the node address; on this platform flag it takes 127.0.0.1 as the node address, so a
# started instance (GCS, raylet, workers, object manager) listens on loopback only. Read when Ray is imported.
_LOOPBACK_ONLY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def _apply(fn: Callable[[Any], Any], batch: Any) -> Any:
    return fn(batch)


class _BatchActor:
    """Builds its worker once (a model loaded once per actor) and applies it to every batch it is sent."""

    def __init__(self, factory: Callable[[], Callable[[Any], Any]]):
        self.worker = factory()

    def run(self, batch: Any) -> Any:
        return self.worker(batch)

    def where(self) -> dict:
        import ray

        return {"node": ray.get_runtime_context().get_node_id(), "gpus": [str(g) for g in ray.get_gpu_ids()]}


class RayCompute(Compute):
    name = "ray"

    def __init__(self, settings: ComputeSettings):
        self.settings = settings
        self._started = settings.ray_address == "local"
        if self._started:
            os.environ.update(_LOOPBACK_ONLY)
        import ray

        if self._started and ray.is_initialized():
            raise ComputeError("a Ray instance is already running in this process; close it first")
        self._owns = not ray.is_initialized()  # a connection this process already had is left open on close
        if self._started:
            ray.init(
                address="local",
                num_cpus=settings.num_cpus or os.cpu_count(),
                include_dashboard=settings.dashboard,
                dashboard_host="127.0.0.1",
                log_to_driver=False,
                configure_logging=False,
            )
            node_ip = ray.util.get_node_ip_address()
            if node_ip != "127.0.0.1":  # Ray was imported before the flag above was set: refuse an open instance
                ray.shutdown()
                raise ComputeError(f"the Ray instance would listen on {node_ip}, not 127.0.0.1 only")
        elif not ray.is_initialized():
            ray.init(address=settings.ray_address, log_to_driver=False, configure_logging=False)
        self._ray = ray
        self._task = ray.remote(_apply).options(max_retries=settings.max_retries, retry_exceptions=False)
        self._placement: list[dict] = []

    def cpus(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def gpus(self) -> int:
        return int(self._ray.cluster_resources().get("GPU", 0))

    def _window(self, workers: int) -> int:
        return self.settings.tasks_in_flight or 2 * workers

    def _result(self, ref) -> Any:
        ray = self._ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as error:  # the function raised on the worker: not retried
            cause = error.cause if error.cause is not None else error
            raise ComputeError(f"a batch failed on a Ray worker: {type(cause).__name__}: {cause}") from error
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.RayActorError) as error:
            raise ComputeError(
                f"a batch's Ray worker died {self.settings.max_retries + 1} times; giving up: {error}"
            ) from error

    def _drain(self, pending: deque) -> None:
        for ref in pending:
            self._ray.cancel(ref, force=False)
        pending.clear()

    def map_batches(self, fn: Callable[[Any], Any], batches: Iterable) -> Iterator:
        fn_ref = self._ray.put(fn)  # shipped once, not with every batch
        window = self._window(self.cpus())
        pending: deque = deque()
        try:
            for batch in batches:
                pending.append(self._task.remote(fn_ref, batch))
                if len(pending) >= window:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:
            self._drain(pending)

    def map_actors(
        self, factory: Callable[[], Callable[[Any], Any]], batches: Iterable, actors: int = 0, cpus_per_actor: int = 1
    ) -> Iterator:
        """One actor per GPU where the cluster has GPUs (`num_gpus=1` each), else CPU actors (`cpus_per_actor`
        CPUs each, as many as the cluster's CPUs allow); `actors` caps the count."""
        ray = self._ray
        gpus = self.gpus()
        count = gpus if gpus else max(1, self.cpus() // max(1, cpus_per_actor))
        count = min(count, actors) if actors else count
        options = {"num_gpus": 1, "num_cpus": 0} if gpus else {"num_cpus": cpus_per_actor}
        actor_class = ray.remote(_BatchActor).options(
            max_restarts=self.settings.max_retries, max_task_retries=1, **options
        )
        pool = [actor_class.remote(factory) for _ in range(count)]
        pending: deque = deque()
        try:
            self._placement = ray.get([actor.where.remote() for actor in pool])
            for index, batch in enumerate(batches):
                pending.append(pool[index % count].run.remote(batch))
                if len(pending) >= 2 * count:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:
            self._drain(pending)
            for actor in pool:
                ray.kill(actor)

    def placement(self) -> list[dict]:
        return list(self._placement)

    def describe(self) -> dict:
        resources = self._ray.cluster_resources()
        return {
            "engine": self.name,
            "ray_address": self.settings.ray_address,
            "cluster_cpus": int(resources.get("CPU", 0)),
            "cluster_gpus": int(resources.get("GPU", 0)),
            "nodes": len([n for n in self._ray.nodes() if n.get("Alive")]),
        }

    def close(self) -> None:
        """Disconnect; a Ray instance this engine started is shut down with it."""
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
