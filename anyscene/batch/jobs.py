"""One scene of a batch, run in a worker process (a local pool process or a Ray task): optionally sample its
layout, then generate the scene into its own folder. Failures come back as results, never as exceptions, so
one scene cannot stop the batch.

The scene is written into a private `<name>.partial-<pid>` folder renamed to `<name>` when complete, so a
folder named after a scene always holds a finished scene.
"""
from __future__ import annotations

import os
import socket
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

from ..atomic import atomic_folder
from ..errors import AnySceneError
from ..export.dataset import load_layouts
from ..export.scene import write_scene_folder

# One BLAS/OpenMP thread per scene process: scenes run in parallel across processes, and every backend then
# computes with the same thread count (floating-point sums do not depend on how a machine is shared).
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1"}


@dataclass(frozen=True)
class SceneResult:
    """What came of one scene: status "done" or "failed", the layout's seed, wall time (s), sensor frames
    written, the worker (host:pid), and for failures the message and (for bugs, not user errors) the
    traceback text."""

    name: str
    status: str
    seed: int | None = None
    seconds: float = 0.0
    frames: int = 0
    worker: str = ""
    error: str | None = None
    traceback: str | None = None


@dataclass(frozen=True)
class SceneTask:
    """A scene to make: its name, the layout file (written first from `sample` = (sampler config, index) when
    given), the scene folder to fill, and the generation config (a picklable GenerateConfig)."""

    name: str
    layout: str
    out_dir: str
    config: object
    sample: tuple | None = None


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_task(task: SceneTask) -> SceneResult:
    """Sample the layout if asked, then `scene_job`; any failure is returned as a failed result."""
    t0 = time.time()
    if task.sample is not None:
        try:
            from ..procgen.sampler import sample_layout

            cfg, index = task.sample
            text, _stats = sample_layout(cfg, index)
            from ..atomic import atomic_file

            with atomic_file(task.layout) as tmp:
                tmp.write_text(text, encoding="utf-8")
        except Exception as e:  # noqa: BLE001 - reported per scene
            return _failed(task.name, e, t0)
    result = scene_job(task.layout, task.out_dir, task.config, name=task.name)
    if task.sample is not None:
        result = replace(result, seconds=round(time.time() - t0, 3))
    return result


def scene_job(layout_path: str | Path, scene_out_dir: str | Path, config, name: str | None = None) -> SceneResult:
    """Generate one layout into `scene_out_dir` (a one-scene nuScenes dataroot with its merge fragment) with
    the GenerateConfig `config`; the output depends only on the layout, the config and the seed."""
    t0 = time.time()
    out = Path(scene_out_dir)
    name = name or out.name
    try:
        warnings: list[str] = []
        (valid,) = load_layouts([layout_path], config, warn=warnings.append)
        layout = valid.layout
        rig = config.check_sensors()
        world = valid.compile()
        frames = 0

        def count(n: int) -> None:
            nonlocal frames
            frames += n

        with atomic_folder(out, overwrite=True) as partial:
            write_scene_folder(world, partial, config, rig, name=name, on_frames=count)
        return SceneResult(name, "done", seed=int(layout.seed), seconds=round(time.time() - t0, 3), frames=frames,
                           worker=_worker_id())
    except Exception as e:  # noqa: BLE001 - reported per scene
        return _failed(name, e, t0)


def _failed(name: str, e: Exception, t0: float) -> SceneResult:
    user = isinstance(e, AnySceneError)
    return SceneResult(name, "failed", seconds=round(time.time() - t0, 3), worker=_worker_id(),
                       error=str(e) if user else f"{type(e).__name__}: {e}",
                       traceback=None if user else traceback.format_exc())
