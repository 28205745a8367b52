"""Occupancy label files: one Occ3D-style `labels.npz` per frame plus a scene `index.json`, written as a stream.

Layout of an output folder::

    DIR/index.json               scene name, grid, rate, and per frame its time, file and ego pose
    DIR/000000/labels.npz        semantics uint8 (nx, ny, nz), instances uint16 (nx, ny, nz),
    DIR/000001/labels.npz        flow float32 (nx, ny, nz, 2) (ego-frame x/y velocity, m/s)
    ...

The npz files are written by `numpy.savez_compressed` and are byte-for-byte deterministic: entries in a fixed
order, each stamped with zipfile's fixed default date. They load with `numpy.load` like the released Occ3D
labels, whose first key is also `semantics`.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np

from ..atomic import atomic_folder, check_output
from ..classes import OCC3D_NAMES
from .grid import GridSpec
from .world import OccupancyFrame, World

# What `write_occupancy` stores per frame, in file order: the Occ3D key first. There are no visibility masks
# (mask_lidar, mask_camera) without simulated sensors; the dataset export adds them.
FRAME_KEYS: tuple[str, ...] = ("semantics", "instances", "flow")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # zipfile's default entry date; the released Occ3D files carry it too
INDEX_FORMAT = "anyscene-occupancy"
INDEX_VERSION = 1


def save_npz(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write `arrays` with `numpy.savez_compressed`, entries in the mapping's order.

    The bytes depend only on the arrays and their order: numpy writes each entry through `zipfile`, whose
    entries carry the fixed timestamp `ZIP_DATE` rather than the current time (checked by the tests).
    """
    np.savez_compressed(path, **{key: np.ascontiguousarray(value) for key, value in arrays.items()})


def frame_labels(frame: OccupancyFrame) -> dict[str, np.ndarray]:
    """The arrays of one frame's `labels.npz`, in file order: semantics uint8 (nx, ny, nz), instances uint16
    (nx, ny, nz), flow float32 (nx, ny, nz, 2)."""
    return {"semantics": frame.semantics.astype(np.uint8, copy=False),
            "instances": frame.instances.astype(np.uint16, copy=False),
            "flow": frame.flow.astype(np.float32, copy=False)}


def frame_record(index: int, frame: OccupancyFrame) -> dict:
    """The index.json entry of one frame: index, t (s), path relative to the folder, ego pose in the world
    frame (translation m, rotation quaternion [w, x, y, z])."""
    return {"index": index, "t": float(frame.t), "path": f"{index:06d}/labels.npz",
            "ego_pose": {"translation": [float(v) for v in frame.ego.translation],
                         "rotation": [float(v) for v in frame.ego.quaternion]}}


def check_output_dir(out: str | Path, overwrite: bool) -> Path:
    """The output folder's real absolute path; OutputError if it exists (and `overwrite` is off), is not a
    folder, or cannot be created."""
    return check_output(out, overwrite)


def write_occupancy(world: World, out: str | Path, times: Iterable[float], grid: GridSpec = GridSpec(), *,
                    rate: float, overwrite: bool = False,
                    on_frame: Callable[[int], None] | None = None) -> Path:
    """Write the occupancy of `world` at `times` (s) into the folder `out`; returns its path.

    Frames are produced and written one at a time, into a partial folder that becomes `out` only when complete
    (`anyscene.atomic.atomic_folder`), so `out` is never left half-written; with `overwrite` an existing `out`
    is replaced at that moment. `rate` (Hz) is recorded in the index; `on_frame(n)` is called after frame n.
    """
    with atomic_folder(out, overwrite) as partial:
        records = []
        for n, frame in enumerate(world.frames(times, grid)):
            record = frame_record(n, frame)
            (partial / record["path"]).parent.mkdir()
            save_npz(partial / record["path"], frame_labels(frame))
            records.append(record)
            if on_frame is not None:
                on_frame(n)
        index = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "scene": world.layout.name,
                 "grid": asdict(grid), "shape": list(grid.shape), "rate": float(rate), "keys": list(FRAME_KEYS),
                 "classes": list(OCC3D_NAMES), "frames": records}
        (partial / "index.json").write_text(_index_text(index), encoding="utf-8")
    return Path(out)


def _index_text(index: dict) -> str:
    """JSON with one line per top-level field and per frame (readable, diffable, deterministic)."""
    head = [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in index.items() if k != "frames"]
    frames = ",\n".join(f"    {json.dumps(r)}" for r in index["frames"])
    return "{\n" + "\n".join(head) + '\n  "frames": [\n' + frames + "\n  ]\n}\n"


def load_index(folder: str | Path) -> dict:
    """The parsed `index.json` of an occupancy folder."""
    return json.loads((Path(folder) / "index.json").read_text(encoding="utf-8"))
