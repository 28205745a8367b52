"""The editor's one door to camera previews: a rig camera rendered by the raster renderer at time t.

`PreviewCache` keeps what depends only on the static map (ray-casting BVH, lane-marking and building rasters)
between edits that leave the map alone, so a preview after moving an agent costs one ray cast and one shading
pass.
"""
from __future__ import annotations

import io
import threading

import numpy as np

DEFAULT_RIG = "nuscenes"
MIN_SIZE, MAX_SIZE = 32, 1600  # px, preview width bounds


class PreviewCache:
    """Renders previews of successive worlds of one session; thread-safe (one render at a time)."""

    def __init__(self, rig: str = DEFAULT_RIG):
        self.rig_name = rig
        self._lock = threading.Lock()
        self._map_key = None
        self._static = None  # (StaticGeometry, MarkingRaster, BuildingIndex) of the map `_map_key`
        self._world = None
        self._scene = None
        self._style = None
        self._rigs: dict[tuple[int, int], object] = {}

    def channels(self) -> list[str]:
        return [c.channel for c in self._rig(160, 90).cameras]

    def _rig(self, w: int, h: int):
        from ..sensors.rig import load_rig

        if (w, h) not in self._rigs:
            self._rigs[(w, h)] = load_rig(self.rig_name, (w, h))
        return self._rigs[(w, h)]

    def render(self, world, map_key, t: float, channel: str, width: int, height: int) -> np.ndarray:
        """The RGB image (height, width, 3) uint8 of camera `channel` at time t (s) of `world`."""
        from ..render.markings import BuildingIndex, MarkingRaster
        from ..render.raster import load_style, render_rgb
        from ..sensors.camera import render_camera
        from ..sensors.raycast import StaticGeometry, WorldScene

        with self._lock:
            rig = self._rig(width, height)
            cams = {c.channel: c for c in rig.cameras}
            if channel not in cams:
                raise KeyError(channel)
            if self._style is None:
                self._style = load_style()
            if self._static is None or self._map_key != map_key:
                self._static = (StaticGeometry.build(world), MarkingRaster.build(world), BuildingIndex.build(world))
                self._map_key = map_key
                self._world = None
            if self._world is not world:
                self._scene = WorldScene(world, static=self._static[0])
                self._world = world
            cam = cams[channel]
            frame = render_camera(self._scene, cam, world.ego_pose(t), t)
            return render_rgb(frame, cam, self._style, self._static[1], int(world.layout.seed),
                              agents=world.states(t), buildings=self._static[2])


def png_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def jpeg_bytes(image: np.ndarray, quality: int = 85) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
