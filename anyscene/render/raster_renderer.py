"""The raster renderer over a scene's camera instants: the layout's environment (time of day, weather) sets the
style and atmosphere, the world's agents and roads give the night lights, the sensors' ray caster the sun
shadows, and the camera adds its effects. Registered as `raster` in anyscene.render.base.RENDERERS."""
from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

import numpy as np

from ..errors import ConfigError
from ..sensors.raycast import StaticGeometry
from .camera_fx import CameraEffects, apply_effects
from .environment import layout_style
from .lighting import light_env, sun_shadow
from .markings import BuildingIndex, MarkingRaster
from .night import scene_lights, street_lamps
from .shading import render_rgb
from .shadows import ShadowScene
from .style import load_style


@dataclass
class RasterConfig:
    """Settings of the raster renderer (`raster.*` in configs/generate.yaml)."""

    style: Optional[str] = None  # raster style: a name under configs/render/ or a YAML file; null = raster.yaml
    shadows: bool = True  # cast sun shadows (agents, buildings, props onto the ground and each other)
    lights: bool = True  # headlights, tail/brake lights and street lamps after dusk
    auto_exposure: bool = True  # exposure follows the scene's light (night stays darker than day)
    vignetting: float = 0.35  # 0..1, blend of the lens's cos^4 fall-off towards the corners
    noise: float = 1.2  # sensor read noise, sigma in 8-bit units at unit gain (0: none)
    shot_noise: float = 0.03  # sensor shot noise, variance per unit of 8-bit signal (0: none)
    motion_blur: float = 0.0  # s, shutter time of the camera's own motion blur (0: off)


def check_raster_config(c: RasterConfig) -> None:
    """ConfigError for out-of-range settings or an unknown style."""
    for name, lo, hi in (("vignetting", 0.0, 1.0), ("noise", 0.0, 50.0), ("shot_noise", 0.0, 5.0),
                         ("motion_blur", 0.0, 0.5)):
        v = getattr(c, name)
        if not lo <= v <= hi:
            raise ConfigError(f"raster.{name} {v}: must be in [{lo}, {hi}]")
    load_style(c.style)


class RasterRenderer:
    """Raster images of one world's camera instants; see the module docstring. `scene` is the sensors'
    WorldScene the frames were cast in (its static BVH is shared for the shadow rays)."""

    def __init__(self, world, cameras, config: RasterConfig, *, seed: int, scene=None, workers: int = 2):
        self.world, self.cameras, self.config, self.seed = world, list(cameras), config, int(seed)
        self.workers = max(1, int(workers))
        base = load_style(config.style)
        self.style, self.atmosphere = layout_style(base, world.layout.environment, adapt=config.auto_exposure)
        self.gain = self.style.exposure / max(base.exposure, 1e-6)
        self.env = light_env(self.style)
        self.effects = CameraEffects(config.vignetting, config.noise, config.shot_noise, config.motion_blur)
        self.buildings = BuildingIndex.build(world)
        self.lamps = street_lamps(world.layout) if config.lights and self.env.night > 0 else None
        self._scene = scene
        self._shadow_scene = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._lights: dict[float, tuple] = {}

    # ------------------------------------------------------------------------------------------ per frame
    def _lights_at(self, t: float):
        """scene_lights at time t, cached for the instant (its cameras share them)."""
        with self._lock:
            if t in self._lights:
                return self._lights[t]
        out = scene_lights(self.world, t, self.lamps, self.env.night, self.config.lights)
        with self._lock:
            if len(self._lights) > 8:
                self._lights.clear()
            self._lights[t] = out
        return out

    def _shadow(self, frame):
        if not (self.config.shadows and self.atmosphere.sun_shadows and float(self.env.sun.max()) > 0):
            return None
        with self._lock:
            if self._shadow_scene is None:
                static = self._scene.static if self._scene is not None else StaticGeometry.build(self.world)
                self._shadow_scene = ShadowScene(self.world, static.mesh)
            scene = self._shadow_scene
        return sun_shadow(frame, scene, self.style)

    def render(self, frame, camera) -> np.ndarray:
        """The (H, W, 3) uint8 image of one CameraFrame of `camera`."""
        markings = getattr(self._local, "markings", None)
        if markings is None:  # the marking raster caches tiles and is not shared between threads
            markings = self._local.markings = MarkingRaster.build(self.world)
        lights, lamps, states = self._lights_at(float(frame.t))
        rgb = render_rgb(frame, camera, self.style, markings, self.seed, agents=states, buildings=self.buildings,
                         shadow=self._shadow(frame), atmosphere=self.atmosphere, lights=lights, lamps=lamps)
        before = None
        if self.effects.motion_blur > 0:
            before = self.world.ego_pose(max(float(frame.t) - self.effects.motion_blur, 0.0))
        return apply_effects(rgb, frame, camera, self.effects, self.atmosphere, self.seed, self.gain, lights, before)

    # ------------------------------------------------------------------------------------------ the stream
    def render_stream(self, instants: Iterable[tuple[int, int, list]]) -> Iterator[tuple[int, int, list[np.ndarray]]]:
        """Images of a stream of camera instants (index, µs, frames in camera order), in order, rendered on
        `workers` threads one instant behind: while instant j is shaded (numpy, largely outside the GIL), the
        ray casts of instant j+1 proceed. Each image depends only on its frame, so the result is the same as
        rendering in order."""
        pending: deque = deque()
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="anyscene-raster") as pool:
            try:
                for j, us, frames in instants:
                    pending.append((j, us, [pool.submit(self.render, f, c) for f, c in zip(frames, self.cameras)]))
                    del frames
                    if len(pending) > 1:
                        j0, us0, futures = pending.popleft()
                        yield j0, us0, [f.result() for f in futures]
                while pending:
                    j0, us0, futures = pending.popleft()
                    yield j0, us0, [f.result() for f in futures]
            finally:
                for _j, _us, futures in pending:
                    for f in futures:
                        f.cancel()
