"""The editor's one door to camera previews: a rig camera rendered by the raster renderer at time t.

The image is the one `anyscene generate` makes (anyscene.render.raster_renderer: the layout's light and
weather, night lights, shadows, camera effects). `PreviewCache` keeps the ray-casting BVH of the static map
between edits that leave the map alone, and the renderer while the world stays the same.
"""
from __future__ import annotations

import io
import threading

import numpy as np
from PIL import Image

from ..render.raster_renderer import RasterConfig, RasterRenderer
from ..sensors.camera import render_camera
from ..sensors.raycast import StaticGeometry, WorldScene
from ..sensors.rig import load_rig

DEFAULT_RIG = "nuscenes"
MIN_SIZE, MAX_SIZE = 32, 1600  # px, preview width bounds


class PreviewCache:
    """Renders previews of successive worlds of one session; thread-safe (one render at a time)."""

    def __init__(self, rig: str = DEFAULT_RIG):
        self.rig_name = rig
        self._lock = threading.Lock()
        self._map_key = None
        self._static = None  # StaticGeometry of the map `_map_key`
        self._world = None
        self._scene = None
        self._renderer = None
        self._rigs: dict[tuple[int, int], object] = {}

    def channels(self) -> list[str]:
        return [c.channel for c in self._rig(160, 90).cameras]

    def _rig(self, w: int, h: int):
        if (w, h) not in self._rigs:
            self._rigs[(w, h)] = load_rig(self.rig_name, (w, h))
        return self._rigs[(w, h)]

    def render(self, world, map_key, t: float, channel: str, width: int, height: int) -> np.ndarray:
        """The RGB image (height, width, 3) uint8 of camera `channel` at time t (s) of `world`."""
        with self._lock:
            rig = self._rig(width, height)
            cams = {c.channel: c for c in rig.cameras}
            if channel not in cams:
                raise KeyError(channel)
            if self._static is None or self._map_key != map_key:
                self._static = StaticGeometry.build(world)
                self._map_key = map_key
                self._world = None
            if self._world is not world:
                self._scene = WorldScene(world, static=self._static)
                self._renderer = RasterRenderer(world, rig.cameras, RasterConfig(), seed=int(world.layout.seed),
                                                scene=self._scene, workers=1)
                self._world = world
            cam = cams[channel]
            frame = render_camera(self._scene, cam, world.ego_pose(t), t)
            return self._renderer.render(frame, cam)


def jpeg_bytes(image: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
