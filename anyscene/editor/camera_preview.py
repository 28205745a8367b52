"""The editor's one door to camera previews: a rig camera at time t through the scene stream's SensorSuite.

The image is the one `anyscene generate` makes with its default options (anyscene.pipeline.sensors: the GL path,
or the raster path where there is no EGL; the layout's light and weather, night lights, shadows, camera
effects). `PreviewCache` keeps the static map's geometry between edits that leave the map alone, and the suite
(its renderer) while the world stays the same. GL contexts belong to one thread, so every render runs on the
cache's own thread.
"""
from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

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
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="anyscene-preview")
        self._map_key = None
        self._static = None  # the static geometry of the map `_map_key` (from the last suite)
        self._world = None
        self._suites: dict[tuple[int, int], object] = {}
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
            return self._thread.submit(self._render, world, map_key, t, channel, width, height).result()

    def _render(self, world, map_key, t: float, channel: str, width: int, height: int) -> np.ndarray:
        from ..pipeline.config import StreamConfig
        from ..pipeline.sensors import SensorSuite

        rig = self._rig(width, height)
        cams = {c.channel: c for c in rig.cameras}
        if channel not in cams:
            raise KeyError(channel)
        if self._map_key != map_key:
            self._static = None
            self._map_key = map_key
            self._world = None
        if self._world is not world:
            self._suites.clear()
            self._world = world
        suite = self._suites.get((width, height))
        if suite is None:
            suite = SensorSuite(world, rig, StreamConfig(workers=1), static=self._static)
            self._static = suite.scene.static
            self._suites[(width, height)] = suite
        return suite.image(cams[channel], t)


def jpeg_bytes(image: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
