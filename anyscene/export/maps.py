"""The export's global frame and the nuScenes map mask (a drivable-area PNG) of a scene.

The devkit places a map PNG with its bottom-left pixel corner at global (0, 0), 0.1 m per pixel, y up
(`MapMask.to_pixel_coords`), so it cannot show negative global coordinates. With `global_offset: auto` the
export's global frame is the world frame shifted by a whole number of metres, `global = world + offset`, so
that the PNG covers the whole map plus at least `EGO_MARGIN` around every ego pose; the offset is stored in
the scene's log record (`global_offset`). With `none` the global frame is the world frame and the PNG covers
only its non-negative quadrant.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..classes import OCC3D_ID

MAP_RES = 0.1  # m per pixel: the devkit's native map resolution
EGO_MARGIN = 80.0  # m of map around every ego pose (the devkit crops up to ~60 m around the ego)


@dataclass(frozen=True)
class MapFrame:
    """`offset` (3,) m: global = world + offset. The PNG covers world x ∈ [x0, x0 + width·res) and
    y ∈ [y0, y0 + height·res); its bottom-left corner is global (0, 0)."""

    offset: np.ndarray
    x0: float
    y0: float
    width: int
    height: int

    def to_global(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> global points."""
        return np.asarray(points, dtype=np.float64) + self.offset


def map_frame(world, times_s: np.ndarray, mode: str = "auto") -> MapFrame:
    """The global frame and PNG extent of a world whose ego is sampled at `times_s` (seconds)."""
    ego_xy = np.array([world.ego_pose(float(t)).translation[:2] for t in times_s])
    sx0, sy0, sx1, sy1 = world.static.extent
    x0 = min(sx0, ego_xy[:, 0].min() - EGO_MARGIN)
    y0 = min(sy0, ego_xy[:, 1].min() - EGO_MARGIN)
    x1 = max(sx1, ego_xy[:, 0].max() + EGO_MARGIN)
    y1 = max(sy1, ego_xy[:, 1].max() + EGO_MARGIN)
    if mode == "auto":
        x0, y0 = float(np.floor(x0)), float(np.floor(y0))
        offset = np.array([-x0, -y0, 0.0])
    else:
        x0, y0 = 0.0, 0.0
        offset = np.zeros(3)
    x1, y1 = max(float(np.ceil(x1)), x0 + 1.0), max(float(np.ceil(y1)), y0 + 1.0)
    width = int(round((x1 - x0) / MAP_RES))
    height = int(round((y1 - y0) / MAP_RES))
    return MapFrame(offset, x0, y0, width, height)


def drivable_mask(world, frame: MapFrame) -> np.ndarray:
    """(height, width) uint8 image rows top to bottom: 255 where the ground is driveable_surface, else 0."""
    static = world.static
    xs = frame.x0 + MAP_RES * (np.arange(frame.width) + 0.5)
    ys = frame.y0 + MAP_RES * (np.arange(frame.height) + 0.5)
    nx, ny = static.ground.shape
    i = np.floor((xs - static.x0) / static.res).astype(np.int64)
    j = np.floor((ys - static.y0) / static.res).astype(np.int64)
    ok_i, ok_j = (i >= 0) & (i < nx), (j >= 0) & (j < ny)
    drivable = static.ground == OCC3D_ID["driveable_surface"]
    mask = np.zeros((frame.width, frame.height), dtype=bool)
    mask[np.ix_(ok_i, ok_j)] = drivable[np.ix_(i[ok_i], j[ok_j])]
    return np.where(mask.T[::-1], 255, 0).astype(np.uint8)


def write_map_png(world, frame: MapFrame, path: Path) -> None:
    """Write the drivable-area mask as an 8-bit grayscale PNG."""
    Image.fromarray(drivable_mask(world, frame), "L").save(path, format="PNG", optimize=False)
