"""Where scene tasks run: a pool of local processes, or a Ray cluster (one Ray task per scene). Both keep a
bounded number of scenes in flight and hand back each result as it finishes, in completion order."""
from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import ConfigError
from .jobs import THREAD_ENV, SceneResult, SceneTask, run_task
import anyscene

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@contextmanager
def _thread_env() -> Iterator[None]:
    """THREAD_ENV in os.environ while child processes start (they inherit it); restored afterwards."""
    old = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update(THREAD_ENV)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class LocalExecutor:
    """`workers` spawned processes (each runs one scene at a time)."""

    name = "local"

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self._pool = None

    def _new_pool(self):
        # Workers start on demand; each inherits THREAD_ENV, which `run` holds in the environment meanwhile.
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))

    def run(self, tasks: Iterable[SceneTask], started=None) -> Iterator[tuple[SceneTask, SceneResult]]:
        """Run tasks, `workers` at a time; `started(task)` is called when one is handed to a worker."""
        todo = list(tasks)[::-1]
        running: dict = {}
        env = _thread_env()
        env.__enter__()
        self._pool = self._new_pool()
        try:
            while todo or running:
                while todo and len(running) < self.workers:
                    task = todo.pop()
                    running[self._pool.submit(run_task, task)] = task
                    if started:
                        started(task)
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    task = running.pop(fut)
                    try:
                        yield task, fut.result()
                    except BrokenProcessPool as e:
                        broken = True
                        yield task, SceneResult(task.name, "failed", error=f"the worker process died: {e}")
                if broken:
                    # Every scene still on the dead pool failed with it; the rest go to a fresh pool.
                    for fut, task in list(running.items()):
                        yield task, SceneResult(task.name, "failed", error="the worker process pool broke down")
                    running.clear()
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
        finally:
            self.close()
            env.__exit__(None, None, None)

    def close(self) -> None:
        """Stop the pool at once, ending running scenes (an interrupted batch)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=10)


class RayExecutor:
    """One Ray task per scene on a cluster (`address`: "auto", "local" or a cluster address)."""

    name = "ray"

    def __init__(self, address: str, num_cpus: int | None, cpus_per_scene: float = 1.0):
        self.address, self.num_cpus, self.cpus_per_scene = address, num_cpus, cpus_per_scene
        self._started = False
        self._refs: dict = {}

    def connect(self):
        try:
            import ray
        except ImportError:
            raise ConfigError("--ray needs Ray, an optional extra: pip install -e '.[ray]'") from None
        if ray.is_initialized():
            return ray
        local = dict(num_cpus=self.num_cpus, include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {**THREAD_ENV, "PYTHONPATH": _pythonpath()}})
        if self.address == "local":
            ray.init(**local)
        elif self.address == "auto":
            try:
                ray.init(address="auto", log_to_driver=False, runtime_env=cluster_runtime_env())
            except (ConnectionError, RuntimeError):
                print(f"--ray auto: no running Ray cluster found; starting a local one on "
                      f"{self.num_cpus or os.cpu_count()} CPU(s)", file=sys.stderr)
                ray.init(**local)
        else:
            try:
                ray.init(address=self.address, log_to_driver=False, runtime_env=cluster_runtime_env())
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise ConfigError(f"--ray {self.address}: cannot connect to the Ray cluster: {e}") from None
        self._started = True
        return ray

    def capacity(self, ray) -> int:
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        return max(1, int(cpus // self.cpus_per_scene))

    def run(self, tasks: Iterable[SceneTask], started=None) -> Iterator[tuple[SceneTask, SceneResult]]:
        ray = self.connect()
        remote = ray.remote(num_cpus=self.cpus_per_scene, max_retries=0)(run_task)
        todo = list(tasks)[::-1]
        limit = self.capacity(ray)
        try:
            while todo or self._refs:
                while todo and len(self._refs) < limit:
                    task = todo.pop()
                    self._refs[remote.remote(task)] = task
                    if started:
                        started(task)
                ready, _ = ray.wait(list(self._refs), num_returns=1)
                for ref in ready:
                    task = self._refs.pop(ref)
                    try:
                        result = ray.get(ref)
                    except Exception as e:  # noqa: BLE001 - a crashed worker or a lost node
                        result = SceneResult(task.name, "failed", error=f"Ray task failed: {type(e).__name__}: {e}")
                    yield task, result
        finally:
            self.close()

    def close(self) -> None:
        try:
            import ray
        except ImportError:
            return
        for ref in list(self._refs):
            try:
                ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - already finished or gone
                pass
        self._refs.clear()
        if self._started and ray.is_initialized():
            ray.shutdown()
        self._started = False


def cluster_runtime_env() -> dict:
    """Ray runtime environment for the workers of a running cluster: the thread limits, and this very
    `anyscene` package (with its shipped configs) uploaded as a `py_modules` entry, so every worker runs the
    driver's version. The nodes need the package's dependencies installed (see docs/batch.md)."""
    return {"env_vars": dict(THREAD_ENV), "py_modules": [str(Path(anyscene.__file__).parent)]}


def _pythonpath() -> str:
    old = os.environ.get("PYTHONPATH", "")
    return PACKAGE_ROOT + (os.pathsep + old if old else "")
