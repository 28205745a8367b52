"""Occupancy label files: one Occ3D-style `labels.npz` per frame plus a scene `index.json`, written as a stream.

Layout of an output folder::

    DIR/index.json               scene name, grid, rate, and per frame its time, file and ego pose
    DIR/000000/labels.npz        semantics uint8 (nx, ny, nz), instances uint16 (nx, ny, nz),
    DIR/000001/labels.npz        flow float32 (nx, ny, nz, 2) (ego-frame x/y velocity, m/s)
    ...

The npz files are byte-for-byte deterministic: entries are written in a fixed order with a fixed timestamp
(`numpy.savez_compressed` stamps the current time into the zip headers). They load with `numpy.load` like
the released Occ3D labels, whose first key is also `semantics`.
"""
from __future__ import annotations

import json
import os
import shutil
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np

from ..classes import OCC3D_NAMES
from ..errors import OutputError
from .grid import GridSpec
from .world import OccupancyFrame, World

# Occ3D keys first, then the extras of this package; writers keep this order.
LABEL_KEYS: tuple[str, ...] = ("semantics", "mask_lidar", "mask_camera", "instances", "flow")
FRAME_KEYS: tuple[str, ...] = ("semantics", "instances", "flow")  # what `write_occupancy` stores per frame
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest zip timestamp; the released Occ3D files carry it too
INDEX_FORMAT = "anyscene-occupancy"
INDEX_VERSION = 1


def save_npz(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write `arrays` as a compressed `.npz` whose bytes depend only on the arrays and their order.

    Readable with `numpy.load`; entries are `<key>.npy`, deflate-compressed, zip64 like numpy's own writer.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for key, value in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(value), allow_pickle=False)


def frame_labels(frame: OccupancyFrame) -> dict[str, np.ndarray]:
    """The arrays of one frame's `labels.npz`, in file order: semantics uint8 (nx, ny, nz), instances uint16
    (nx, ny, nz), flow float32 (nx, ny, nz, 2)."""
    arrays = {"semantics": frame.semantics.astype(np.uint8, copy=False),
              "instances": frame.instances.astype(np.uint16, copy=False),
              "flow": frame.flow.astype(np.float32, copy=False)}
    return {k: arrays[k] for k in FRAME_KEYS}


def frame_record(index: int, frame: OccupancyFrame) -> dict:
    """The index.json entry of one frame: index, t (s), path relative to the folder, ego pose in the world
    frame (translation m, rotation quaternion [w, x, y, z])."""
    return {"index": index, "t": float(frame.t), "path": f"{index:06d}/labels.npz",
            "ego_pose": {"translation": [float(v) for v in frame.ego.translation],
                         "rotation": [float(v) for v in frame.ego.quaternion]}}


def check_output_dir(out: str | Path, overwrite: bool) -> Path:
    """The output folder as a Path; OutputError if it exists (and `overwrite` is off) or is not a folder."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    if out.exists() and not overwrite:
        raise OutputError(f"{out}: already exists; pass --overwrite to replace it")
    return out


def write_occupancy(world: World, out: str | Path, times: Iterable[float], grid: GridSpec = GridSpec(), *,
                    rate: float, overwrite: bool = False,
                    on_frame: Callable[[int], None] | None = None) -> Path:
    """Write the occupancy of `world` at `times` (s) into the folder `out`; returns its path.

    Frames are produced and written one at a time. Everything goes into a hidden sibling folder that is renamed
    into place only when complete, so `out` is never left half-written; with `overwrite` an existing `out` is
    replaced at that moment. `rate` (Hz) is recorded in the index; `on_frame(n)` is called after frame n.
    """
    out = check_output_dir(out, overwrite)
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{parent}: cannot create the folder: {e.strerror or e}") from None
    partial = parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir()
        records = []
        for n, frame in enumerate(world.frames(times, grid)):
            record = frame_record(n, frame)
            (partial / record["path"]).parent.mkdir()
            save_npz(partial / record["path"], frame_labels(frame))
            records.append(record)
            if on_frame is not None:
                on_frame(n)
        index = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "scene": world.layout.name,
                 "grid": asdict(grid), "shape": list(grid.shape), "rate": float(rate),
                 "keys": list(FRAME_KEYS),
                 "classes": list(OCC3D_NAMES), "frames": records}
        (partial / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
        _move_into_place(partial, out)
    except OSError as e:
        raise OutputError(f"{out}: cannot write: {e.strerror or e}") from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return out


def _move_into_place(partial: Path, out: Path) -> None:
    """Rename the finished folder to `out`, replacing an existing one only after the new one is complete."""
    if not out.exists():
        partial.rename(out)
        return
    old = out.absolute().parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    out.rename(old)
    partial.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def load_index(folder: str | Path) -> dict:
    """The parsed `index.json` of an occupancy folder."""
    return json.loads((Path(folder) / "index.json").read_text(encoding="utf-8"))
