"""The scene stream's door to the sensor simulation and the renderers.

`SensorSuite(world, rig, config)` builds what is per world once (the ray-casting scene with its static BVH,
the renderer's marking and building rasters) and then answers, for any time: the camera frame of a rig camera,
RGB images of camera instants, the LiDAR sweep, how visible each agent is, and the Occ3D visibility masks.
"""
from __future__ import annotations

from collections import deque
from typing import Iterator

import numpy as np

from ..errors import ConfigError
from .config import StreamConfig


def check_sensors(rig: str, size: tuple[int, int] | None, grid: str, renderer: str, weights: str | None):
    """Load the rig `rig` at `size` (W, H; None: native) and check the grid and the renderer (ConfigError for
    any problem); returns the SensorRig. Called before anything is written."""
    from ..sensors.rig import load_rig
    from ..world import load_grid

    loaded = load_rig(rig, size)
    load_grid(grid)
    if renderer == "diffusion":
        _diffusion_api()
        _check_weights(weights)
    else:
        from ..render.raster import load_style

        load_style()
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
    """Cameras, LiDAR, renderer and visibility of one world; see the module docstring."""

    def __init__(self, world, rig, config: StreamConfig):
        from ..sensors.raycast import WorldScene
        from ..world import load_grid

        self.world = world
        self.config = config
        self.rig = rig
        self.grid = load_grid(config.grid)
        self.scene = WorldScene(world)
        self.seed = int(world.layout.seed)

    # -------------------------------------------------------------------------------------------- cameras
    def camera(self, camera, t: float):
        """The CameraFrame of rig camera `camera` at time t (s)."""
        from ..sensors.camera import render_camera

        return render_camera(self.scene, camera, self.world.ego_pose(t), t)

    def render_stream(self, instants: Iterator[tuple[int, int, list]], images: bool = True
                      ) -> Iterator[tuple[int, int, list[np.ndarray] | None]]:
        """RGB images of a stream of camera instants (index, µs, frames in rig order), in order: yields
        (index, µs, images) with one (H, W, 3) uint8 image per camera (None without `images`). The raster
        renderer answers each instant at once; the diffusion renderer a chunk of instants at a time, so frames
        are not kept after they have been turned into its condition maps."""
        if not images:
            for j, us, _frames in instants:
                yield j, us, None
        elif self.config.renderer == "diffusion":
            yield from self._diffusion_stream(instants)
        else:
            yield from self._raster_stream(instants)

    def _raster_stream(self, instants):
        """Raster images, rendered on `workers` threads one instant behind the simulation: while instant j is
        shaded (numpy, largely outside the GIL), the ray casts of instant j+1 proceed (open3d releases the GIL),
        so both cores stay busy. Each image depends only on its frame: the result is the same as in order."""
        from concurrent.futures import ThreadPoolExecutor

        render = self._raster()
        pending: deque = deque()
        with ThreadPoolExecutor(max_workers=self.config.workers, thread_name_prefix="anyscene-raster") as pool:
            try:
                for j, us, frames in instants:
                    pending.append((j, us, [pool.submit(render, f, c) for f, c in zip(frames, self.rig.cameras)]))
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

    def _raster(self):
        """render(frame, camera) -> RGB with the raster renderer. The marking raster caches tiles as it is used
        and is not safe to share between threads, so each rendering thread builds its own."""
        import threading

        from ..render.markings import BuildingIndex, MarkingRaster
        from ..render.raster import load_style, render_rgb

        style = load_style()
        buildings = BuildingIndex.build(self.world)
        world, seed = self.world, self.seed
        local = threading.local()

        def render(frame, camera) -> np.ndarray:
            markings = getattr(local, "markings", None)
            if markings is None:
                markings = local.markings = MarkingRaster.build(world)
            return render_rgb(frame, camera, style, markings, seed, agents=world.states(frame.t), buildings=buildings)
        return render

    def _diffusion_stream(self, instants):
        options = dict(self.config.renderer_options)
        renderer = _diffusion_api().from_pretrained(options.pop("weights"), **options)
        keys: deque[tuple[int, int]] = deque()

        def frames():
            for j, us, f in instants:
                keys.append((j, us))
                yield f

        for imgs in renderer.render_video(frames(), self.rig.cameras, seed=self.seed):
            j, us = keys.popleft()
            yield j, us, imgs

    # ---------------------------------------------------------------------------------------------- LiDAR
    def lidar(self, t: float):
        """The LidarSweep at time t (s)."""
        from ..sensors.lidar import sweep_lidar

        return sweep_lidar(self.scene, self.rig.lidar, self.world, t)

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

        return occupancy_masks(occ, self.world, self.rig, t, self.scene)
