"""3D boxes of a keyframe, exact from the layout, and what the export annotates of them.

Which agents are annotated
--------------------------
At every keyframe (the LIDAR_TOP keyframe timestamp t, evaluated exactly), an agent is annotated when
1. it is present at t (appear ≤ t ≤ disappear); every agent class counts, including map props of agent
   classes (parked cars, cones, barriers, ...);
2. its box centre lies within `annotation.max_distance` (default 50 m, the devkit's largest class range) of
   the ego pose's translation, measured in the ground plane as the devkit's evaluation does;
3. with `annotation.require_observation` (default), it is observed: at least one LiDAR point of the
   keyframe sweep lies in its box, or at least one camera pixel of the keyframe images sees it.
Agents that pass 1–2 but nothing observes are left out (a human annotator could not label them). With
`require_observation: false` they are annotated too, with `num_lidar_pts` 0 and visibility "1"; the
devkit's detection evaluation drops boxes without points in any case.

What a box holds
----------------
translation: the layout's centre at t (z = height / 2) in the global frame; size [width, length, height];
rotation [w, x, y, z] of the yaw about +z; `num_lidar_pts`: points of the keyframe's .pcd.bin inside the box
by the devkit's own test (`points_in_box` on the box moved into the LiDAR frame as `get_sample_data` does,
replicated in boxes.py), so the devkit recounts the same number; `num_radar_pts` 0 (no radar); visibility token from the fraction of
the agent visible over all six cameras (1: <40 %, 2: 40–60 %, 3: 60–80 %, 4: ≥80 %); at most one attribute:
- vehicles: vehicle.parked (props of vehicle classes), vehicle.stopped (speed < stopped_speed), else
  vehicle.moving;
- bicycles and motorcycles: cycle.without_rider when parked (props), else cycle.with_rider;
- pedestrians (human.pedestrian.*): pedestrian.standing (speed < stopped_speed), else pedestrian.moving;
- other objects (cones, barriers, debris, animals, ...): none.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..sensors.geometry import yaw_quaternion


@dataclass(frozen=True)
class KeyframeBox:
    """One agent's box at a keyframe, world frame: `center` (3,) m (z = height / 2), `size` (3,) m as
    (length, width, height), `yaw` rad, `velocity` (2,) m/s; `category` its nuScenes category."""

    instance: int
    agent_id: str
    category: str
    center: np.ndarray
    size: np.ndarray
    yaw: float
    velocity: np.ndarray
    attribute: str | None

    @property
    def wlh(self) -> list[float]:
        """Size in the nuScenes order [width, length, height]."""
        return [float(self.size[1]), float(self.size[0]), float(self.size[2])]

    @property
    def rotation(self) -> list[float]:
        """[w, x, y, z] of the yaw."""
        return [float(v) for v in yaw_quaternion(self.yaw)]


def attribute_name(klass, category: str, parked: bool, speed: float, stopped_speed: float) -> str | None:
    """The single attribute of an agent (see the module docstring)."""
    if klass.kind == "vehicle":
        if parked:
            return "vehicle.parked"
        return "vehicle.stopped" if speed < stopped_speed else "vehicle.moving"
    if klass.kind == "cycle":
        return "cycle.without_rider" if parked else "cycle.with_rider"
    if category.startswith("human.pedestrian."):
        return "pedestrian.standing" if speed < stopped_speed else "pedestrian.moving"
    return None


def keyframe_candidates(world, t: float, max_distance: float, stopped_speed: float) -> list[KeyframeBox]:
    """Boxes of the agents present at time t within `max_distance` (m, planar) of the ego, instance order."""
    states = world.states(t)
    ego = world.ego_pose(t)
    out = []
    for n, track in enumerate(world.agents):
        if not states.present[n]:
            continue
        center = states.center[n]
        if float(np.hypot(*(center[:2] - ego.translation[:2]))) > max_distance:
            continue
        vel = states.velocity[n].copy()
        speed = float(np.hypot(*vel))
        attr = attribute_name(track.klass, track.klass.category, track.parked, speed, stopped_speed)
        out.append(KeyframeBox(track.instance, track.id, track.klass.category, center.copy(),
                               states.size[n].copy(), float(states.yaw[n]), vel, attr))
    return out
