"""The scene stream's door to the sensor simulation and the renderers.

`SensorSuite(world, rig, config)` builds what is per world once (the ray-casting scene with its static BVH,
the GL camera path when chosen) and then answers, for any time: the camera frame of a rig camera, RGB images
of camera instants (from the renderer the config names, anyscene.render.base.RENDERERS), the LiDAR sweep
(through the layout's weather), a radar scan, how visible each agent is, and the Occ3D visibility masks.
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np

from ..errors import ConfigError
from ..sensors.types import SensorRig
from .config import StreamConfig


@dataclasses.dataclass(frozen=True)
class SelectedRig(SensorRig):
    """A SensorRig cut to the selected sensor kinds. `mask_cameras` keeps the rig's cameras when they are not
    simulated: the Occ3D camera mask is then traced through the occupancy grid from their geometry alone
    (no image is rendered or written)."""

    mask_cameras: tuple = ()


def select_sensors(rig: SensorRig, sensors) -> SensorRig:
    """`rig` with only the sensor kinds in `sensors` (camera, lidar, radar; the LiDAR always stays): the rig
    itself when all are selected."""
    keep_cams, keep_radar = "camera" in sensors, "radar" in sensors
    if keep_cams and keep_radar:
        return rig
    return SelectedRig(rig.name, rig.cameras if keep_cams else (), rig.lidar, rig.radars if keep_radar else (),
                       mask_cameras=() if keep_cams else tuple(rig.cameras))


def check_sensors(rig: str, size: tuple[int, int] | None, grid: str, renderer: str, weights: str | None,
                  camera_backend: str = "raycast", style: str | None = None):
    """Load the rig `rig` at `size` (W, H; None: native) and check the grid, the camera backend and the
    renderer (ConfigError for any problem); returns the SensorRig. Called before anything is written."""
    from ..sensors.rig import load_rig
    from ..world import load_grid

    loaded = load_rig(rig, size)
    load_grid(grid)
    if camera_backend == "gl" or renderer == "gl":
        from ..sensors.gl import create_context

        try:
            create_context().release()
        except RuntimeError as e:
            raise ConfigError(f"camera_backend/renderer gl: {e}; use camera_backend=raycast and renderer=raster"
                              ) from None
    if renderer == "diffusion":
        _diffusion_api()
        _check_weights(weights)
    else:
        from ..render.raster import load_style

        load_style(style)
    return loaded


def _diffusion_api():
    """The diffusion renderer class; ConfigError when it is not part of this installation."""
    try:
        from ..render.diffusion.video import DiffusionRenderer
    except ImportError as e:
        raise ConfigError(f"renderer diffusion: the diffusion renderer is not installed ({e}); "
                          f"use --renderer raster") from None
    return DiffusionRenderer


def _check_weights(weights: str | None) -> None:
    from pathlib import Path

    from ..render.diffusion.video import check_weights_folder

    if not weights:
        raise ConfigError("renderer diffusion needs --weights DIR")
    check_weights_folder(Path(weights))


class SensorSuite:
    """Cameras, LiDAR, radars, renderer and visibility of one world; see the module docstring."""

    def __init__(self, world, rig, config: StreamConfig):
        from ..sensors.raycast import WorldScene
        from ..world import load_grid

        self.world = world
        self.config = config
        self.rig = rig
        self.grid = load_grid(config.grid)
        self.scene = WorldScene(world)
        self.seed = int(world.layout.seed)
        self._gl = None  # the GL camera path (camera_backend: gl), created on first use

    # -------------------------------------------------------------------------------------------- cameras
    def camera(self, camera, t: float):
        """The CameraFrame of rig camera `camera` at time t (s)."""
        from ..sensors.camera import render_camera

        ego = self.world.ego_pose(t)
        if self.config.camera_backend == "gl":
            if self._gl is None:
                from ..sensors.gl import GLWorldCameras

                self._gl = GLWorldCameras(self.scene)
            return self._gl.render(camera, ego, t)
        return render_camera(self.scene, camera, ego, t)

    def render_stream(self, instants: Iterator[tuple[int, int, list]], images: bool = True
                      ) -> Iterator[tuple[int, int, list[np.ndarray] | None]]:
        """RGB images of a stream of camera instants (index, µs, frames in rig order), in order: yields
        (index, µs, images) with one (H, W, 3) uint8 image per camera (None without `images`), from the
        renderer the config names (anyscene.render.base.RENDERERS)."""
        if not images:
            for j, us, _frames in instants:
                yield j, us, None
            return
        from ..render.base import build_renderer, renderer_entry

        name = self.config.renderer
        config = self.config.renderer_config or renderer_entry(name).config()  # None: the renderer's defaults
        renderer = build_renderer(name, self.world, self.rig.cameras, config, seed=self.seed, scene=self.scene,
                                  workers=self.config.workers)
        yield from renderer.render_stream(instants)

    # ---------------------------------------------------------------------------------------- LiDAR, radar
    def lidar(self, t: float):
        """The LidarSweep at time t (s), through the layout's weather (anyscene.sensors.lidar_weather)."""
        from ..sensors.lidar import sweep_lidar
        from ..sensors.lidar_weather import apply_lidar_weather, medium_of

        sweep = sweep_lidar(self.scene, self.rig.lidar, self.world, t)
        return apply_lidar_weather(sweep, medium_of(self.world.layout.environment.weather), self.seed)

    def radar(self, radar, t: float):
        """The RadarScan of rig radar `radar` at time t (s)."""
        from ..sensors.radar import scan_radar

        return scan_radar(self.scene, radar, self.world, t, self.seed)

    # ------------------------------------------------------------------------------------------ visibility
    def visibility(self, t: float, frames: list, sweep, instances: list[int]) -> dict[int, tuple[float, int]]:
        """Visible fraction (0..1) over all cameras and nuScenes visibility level (1..4) of the agent
        `instances` at time t (s), from the camera frames and the LiDAR sweep at t."""
        import dataclasses

        from ..sensors.visibility import agent_visibility

        states = self.world.states(t)
        wanted = states.present & np.isin(states.instance, instances)
        vis = agent_visibility(self.world, dataclasses.replace(states, present=wanted), frames, sweep, rig=self.rig)
        return {inst: (v.visible_fraction, v.level) for inst, v in vis.items()}

    def occupancy_masks(self, occ, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(mask_lidar, mask_camera) uint8 0/1 of the occupancy frame `occ` at time t (s)."""
        from ..sensors.visibility import occupancy_masks

        rig = self.rig
        if not rig.cameras and getattr(rig, "mask_cameras", ()):  # cameras not simulated: their geometry only
            rig = SensorRig(rig.name, rig.mask_cameras, rig.lidar, rig.radars)
        return occupancy_masks(occ, self.world, rig, t, self.scene)
