"""Agents compiled from the layout, and their exact states at any time."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classes import AGENT_CLASSES, OCC3D_ID, AgentClass
from ..layout.motion import LaneMotion, WaypointMotion, build_motion
from ..layout.geometry import RoadGeometry
from ..layout.schema import Agent, Layout, Prop, Trajectory, Waypoint


@dataclass(frozen=True)
class AgentTrack:
    """One agent over the scene. `instance` is its 1-based instance id (0 is reserved for stuff).

    `size` is (length, width, height) in metres. Present for t in [appear, disappear] (seconds).
    `parked` marks map props of agent classes (stationary for the whole scene).
    """

    id: str
    instance: int
    klass: AgentClass
    size: tuple[float, float, float]
    motion: WaypointMotion | LaneMotion
    appear: float
    disappear: float
    parked: bool = False

    @property
    def occ3d(self) -> int:
        return OCC3D_ID[self.klass.occ3d]


@dataclass(frozen=True)
class AgentStates:
    """All agents at one time t (seconds), world frame, N = number of agents (in instance order).

    instance (N,) int32; occ3d (N,) uint8 class ids; center (N, 3) m (z at half height); size (N, 3) m as
    (length, width, height); yaw (N,) rad; velocity (N, 2) m/s; present (N,) bool.
    """

    t: float
    instance: np.ndarray
    occ3d: np.ndarray
    center: np.ndarray
    size: np.ndarray
    yaw: np.ndarray
    velocity: np.ndarray
    present: np.ndarray


def prop_track_spec(p: Prop) -> Trajectory:
    return Trajectory(waypoints=(Waypoint(t=0.0, xy=p.xy, yaw=p.yaw),))


def compile_agents(layout: Layout, roads: RoadGeometry) -> list[AgentTrack]:
    """Agents in layout order, then props of agent classes (parked), with instance ids 1..N."""
    tracks: list[AgentTrack] = []
    entries: list[tuple[Agent | Prop, bool]] = [(a, False) for a in layout.agents]
    entries += [(p, True) for p in layout.map.props if p.cls in AGENT_CLASSES]
    for n, (a, parked) in enumerate(entries, start=1):
        klass = AGENT_CLASSES[a.cls]
        size = tuple(float(v) for v in (a.size or klass.size))
        if parked:
            motion = build_motion(prop_track_spec(a), roads)
            appear, disappear = 0.0, np.inf
        else:
            motion = build_motion(a.trajectory, roads)
            appear = a.appear if a.appear is not None else motion.t_start
            disappear = a.disappear if a.disappear is not None else motion.t_end
            if a.trajectory.waypoints is not None and len(a.trajectory.waypoints) == 1:
                disappear = a.disappear if a.disappear is not None else np.inf
        tracks.append(AgentTrack(a.id, n, klass, size, motion, float(appear), float(disappear), parked))
    return tracks


def states_at(tracks: list[AgentTrack], t: float) -> AgentStates:
    """Evaluate every track at time t."""
    n = len(tracks)
    center = np.zeros((n, 3))
    yaw = np.zeros(n)
    vel = np.zeros((n, 2))
    present = np.zeros(n, dtype=bool)
    size = np.array([tr.size for tr in tracks], dtype=np.float64).reshape(n, 3)
    for i, tr in enumerate(tracks):
        x, y, vx, vy, yaw[i] = tr.motion.at(t)
        center[i, 0], center[i, 1], vel[i, 0], vel[i, 1] = x, y, vx, vy
        present[i] = tr.appear <= t <= tr.disappear
    center[:, 2] = size[:, 2] / 2
    return AgentStates(
        t=float(t),
        instance=np.array([tr.instance for tr in tracks], dtype=np.int32),
        occ3d=np.array([tr.occ3d for tr in tracks], dtype=np.uint8),
        center=center, size=size, yaw=yaw, velocity=vel, present=present,
    )
