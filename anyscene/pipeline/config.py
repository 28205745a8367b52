"""What the scene stream needs to know about a run, typed; built from the generation config at the edge."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StreamConfig:
    """Settings of one scene stream.

    Rates in Hz (both sensor rates whole multiples of the keyframe rate); `camera_timing` synchronous or
    staggered (ignored for a layout with a recorded timeline); `max_distance` (m, planar) and `stopped_speed`
    (m/s) choose and describe the keyframe boxes; `grid` the occupancy grid name or file; `occupancy` whether
    keyframes carry occupancy and its visibility masks; `images` whether cameras are rendered to RGB;
    `renderer` a name of the renderer registry (anyscene.render.base.RENDERERS) with its typed
    `renderer_config` (None: its defaults); `camera_backend` raycast or gl (the camera maps); `workers` the rendering threads. The defaults are
    the GL path; without EGL the SensorSuite falls back to raster on ray-cast maps.
    """

    camera_rate: float = 12.0
    lidar_rate: float = 20.0
    keyframe_rate: float = 2.0
    camera_timing: str = "synchronous"
    max_distance: float = 50.0
    stopped_speed: float = 0.2
    grid: str = "occ3d"
    occupancy: bool = True
    images: bool = True
    renderer: str = "gl"
    renderer_config: Any = None
    camera_backend: str = "gl"
    workers: int = 2

    @property
    def rates(self) -> tuple[float, float, float]:
        """(camera, lidar, keyframe) Hz."""
        return self.camera_rate, self.lidar_rate, self.keyframe_rate
