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


GL_FALLBACK = ("raster", "raycast")  # renderer and camera backend when there is no headless GL context
_said: set[str] = set()  # fallback lines already printed by this process


def gl_available() -> str | None:
    """None when a headless GL (EGL) context can be made here; otherwise why not (one line)."""
    from ..sensors.gl import create_context

    try:
        create_context().release()
    except RuntimeError as e:
        return str(e)
    return None


def camera_path(renderer: str, camera_backend: str) -> tuple[str, str]:
    """The (renderer, camera_backend) that runs here: the given ones, or, where either needs GL and no EGL
    context can be made, the raster renderer on ray-cast maps, announced once per process on stderr."""
    from ..render.base import renderer_entry

    needs = renderer_entry(renderer).needs_gl or camera_backend == "gl"
    if not needs:
        return renderer, camera_backend
    why = gl_available()
    if why is None:
        return renderer, camera_backend
    fallback = (GL_FALLBACK[0] if renderer_entry(renderer).needs_gl else renderer, GL_FALLBACK[1])
    line = (f"anyscene: no headless OpenGL here ({why}); using renderer={fallback[0]} "
            f"camera_backend={fallback[1]} instead (same images, slower)")
    if line not in _said:
        import sys

        _said.add(line)
        print(line, file=sys.stderr, flush=True)
    return fallback


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


def check_sensors(rig: str, size: tuple[int, int] | None, grid: str, renderer: str, renderer_config=None):
    """Load the rig `rig` at `size` (W, H; None: native) and check the grid and the renderer with its typed
    config (the registry entry's check; ConfigError for any problem); returns the SensorRig. Called before
    anything is written."""
    from ..render.base import renderer_entry
    from ..sensors.rig import load_rig
    from ..world import load_grid

    loaded = load_rig(rig, size)
    load_grid(grid)
    entry = renderer_entry(renderer)
    entry.check_config(renderer_config if renderer_config is not None else entry.config())
    return loaded


class SensorSuite:
    """Cameras, LiDAR, radars, renderer and visibility of one world; see the module docstring."""

    def __init__(self, world, rig, config: StreamConfig | None = None, static=None):
        """`static`: a prebuilt StaticGeometry of this world's map (anyscene.sensors.raycast), e.g. kept by the
        editor between edits that leave the map alone; None builds it. The renderer and camera backend fall
        back to the raster path where there is no GL (camera_path)."""
        import dataclasses

        from ..sensors.raycast import WorldScene
        from ..world import load_grid

        config = config if config is not None else StreamConfig()
        renderer, backend = camera_path(config.renderer, config.camera_backend)
        if (renderer, backend) != (config.renderer, config.camera_backend):
            config = dataclasses.replace(config, renderer=renderer, camera_backend=backend)
        self.world = world
        self.config = config
        self.rig = rig
        self.grid = load_grid(config.grid)
        self.scene = WorldScene(world, static=static)
        self.seed = int(world.layout.seed)
        self._gl = None  # the GL camera path (camera_backend: gl), created on first use
        self._renderer = None  # built on first use by renderer()

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
        yield from self.renderer().render_stream(instants)

    def renderer(self):
        """The renderer the config names with its config (None: its defaults), built once for this world."""
        if self._renderer is None:
            from ..render.base import build_renderer, renderer_entry

            name = self.config.renderer
            config = self.config.renderer_config
            if config is None or not isinstance(config, renderer_entry(name).config):
                config = renderer_entry(name).config()
            self._renderer = build_renderer(name, self.world, self.rig.cameras, config, seed=self.seed,
                                            scene=self.scene, workers=self.config.workers)
        return self._renderer

    def image(self, camera, t: float) -> np.ndarray:
        """The (H, W, 3) uint8 RGB image of rig camera `camera` at time t (s): its camera frame through the
        renderer (one camera, one instant: the editor's previews)."""
        frame = self.camera(camera, t)
        index = [c.channel for c in self.rig.cameras].index(camera.channel)
        r = self.renderer()
        if hasattr(r, "render"):
            return r.render(frame, self.rig.cameras[index])
        frames = [frame if i == index else self.camera(c, t) for i, c in enumerate(self.rig.cameras)]
        return next(iter(r.render_stream([(0, int(round(t * 1e6)), frames)])))[2][index]

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
        if isinstance(rig, SelectedRig) and rig.mask_cameras:  # cameras not simulated: their geometry only
            rig = SensorRig(rig.name, rig.mask_cameras, rig.lidar, rig.radars)
        return occupancy_masks(occ, self.world, rig, t, self.scene)


class OccupancyCameras:
    """Camera frames of an occupancy grid alone (e.g. real Occ3D labels): the labelled grid `semantics`
    (uint8, `grid`'s shape) is the scene, the ego sits at the grid's origin, and each camera sees the first
    occupied voxel along each pixel ray (the sensors' voxel ray caster)."""

    def __init__(self, semantics: np.ndarray, grid):
        from ..sensors import VoxelScene

        self.scene = VoxelScene.from_grid(semantics, grid)

    def camera(self, camera):
        """The CameraFrame of `camera` (any Camera, at its own resolution) at the grid's origin."""
        from ..sensors import render_camera

        return render_camera(self.scene, camera, self.scene.ego, 0.0)
