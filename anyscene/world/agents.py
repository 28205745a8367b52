"""Agents compiled from the layout, and their exact states at any time."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..classes import AGENT_CLASSES, OCC3D_ID, AgentClass
from ..layout.motion import LaneMotion, WaypointMotion, build_motion
from ..layout.geometry import RoadGeometry
from ..layout.schema import Agent, Layout, Prop, Trajectory, Waypoint
from ..shapes import articulates, default_variant, walks


@dataclass(frozen=True)
class AgentTrack:
    """One agent over the scene. `instance` is its 1-based instance id (0 is reserved for stuff).

    `size` is (length, width, height) in metres. Present for t in [appear, disappear] (seconds).
    `parked` marks map props of agent classes (stationary for the whole scene). `shape` is its shape variant
    (anyscene.classes.SHAPE_VARIANTS; the authored one or the class default for this instance).
    """

    id: str
    instance: int
    klass: AgentClass
    size: tuple[float, float, float]
    motion: WaypointMotion | LaneMotion
    appear: float
    disappear: float
    parked: bool = False
    shape: str = ""
    height: HeightTrack | None = None  # the box bottom's height above z = 0 (None: 0)

    @property
    def occ3d(self) -> int:
        return OCC3D_ID[self.klass.occ3d]


@dataclass(frozen=True)
class HeightTrack:
    """Height `z` m (and, for the ego, `pitch` and `roll` rad) of a waypoint trajectory at its waypoint times
    `t` (K,) s, linear in time between them and held beyond them. Empty (K = 0) means 0 everywhere."""

    t: np.ndarray
    z: np.ndarray
    pitch: np.ndarray
    roll: np.ndarray

    @classmethod
    def of(cls, trajectory: Trajectory, base_z: float = 0.0) -> "HeightTrack":
        wps = trajectory.waypoints or ()
        if not any(w.z is not None or w.pitch is not None or w.roll is not None for w in wps) and base_z == 0.0:
            return cls(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
        if not wps:
            return cls(np.zeros(1), np.full(1, base_z), np.zeros(1), np.zeros(1))
        col = [[w.t, base_z + (w.z or 0.0), w.pitch or 0.0, w.roll or 0.0] for w in wps]
        t, z, p, r = np.array(col, dtype=np.float64).T
        return cls(t, z, p, r)

    def at(self, t: float) -> tuple[float, float, float]:
        """(z, pitch, roll) at time t."""
        if self.t.size == 0:
            return 0.0, 0.0, 0.0
        return (float(np.interp(t, self.t, self.z)), float(np.interp(t, self.t, self.pitch)),
                float(np.interp(t, self.t, self.roll)))


@dataclass(frozen=True)
class AgentStates:
    """All agents at one time t (seconds), world frame, N = number of agents (in instance order).

    instance (N,) int32; occ3d (N,) uint8 class ids; center (N, 3) m (z at half height); size (N, 3) m as
    (length, width, height); yaw (N,) rad; velocity (N, 2) m/s; present (N,) bool; distance (N,) m walked
    along the trajectory since its start (the gait phase of walking classes follows it; 0 for the others);
    yaw_rate (N,) rad/s (articulated classes only, 0 for the others).
    """

    t: float
    instance: np.ndarray
    occ3d: np.ndarray
    center: np.ndarray
    size: np.ndarray
    yaw: np.ndarray
    velocity: np.ndarray
    present: np.ndarray
    distance: np.ndarray | None = None
    yaw_rate: np.ndarray | None = None


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
        height = HeightTrack.of(Trajectory(waypoints=()), base_z=a.z) if parked else HeightTrack.of(a.trajectory)
        height = height if height.t.size else None
        if parked:
            motion = build_motion(prop_track_spec(a), roads)
            appear, disappear = 0.0, np.inf
        else:
            motion = build_motion(a.trajectory, roads)
            appear = a.appear if a.appear is not None else motion.t_start
            disappear = a.disappear if a.disappear is not None else motion.t_end
            if a.trajectory.waypoints is not None and len(a.trajectory.waypoints) == 1:
                disappear = a.disappear if a.disappear is not None else np.inf
        shape = getattr(a, "shape", None) or default_variant(a.cls, n, parked=parked)
        tracks.append(AgentTrack(a.id, n, klass, size, motion, float(appear), float(disappear), parked, shape,
                                 height))
    return tracks


DISTANCE_STEP = 0.02  # s between samples of the distance-walked table (trapezoidal integration of the speed)
YAW_RATE_DT = 0.05  # s half-window of the central difference giving articulated agents' yaw rate


@lru_cache(maxsize=4096)
def _distance_table(motion) -> tuple[np.ndarray, np.ndarray]:
    """Times (K,) s and distance walked (K,) m of a motion over its own time span."""
    t0, t1 = float(getattr(motion, "t_start", 0.0)), float(getattr(motion, "t_end", 0.0))
    if not np.isfinite(t1) or t1 <= t0:
        return np.array([t0]), np.zeros(1)
    ts = np.linspace(t0, t1, int(np.ceil((t1 - t0) / DISTANCE_STEP)) + 1)
    speed = np.hypot(*motion.evaluate(ts).velocity.T)
    d = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]) * np.diff(ts))])
    return ts, d


def distance_walked(motion, t: float) -> float:
    """Metres travelled along a motion from its start to time t (lane motions: their arc length)."""
    if hasattr(motion, "arc_length"):
        return float(motion.arc_length(np.array([t]))[0] - motion.arc_length(np.array([motion.t_start]))[0])
    ts, d = _distance_table(motion)
    return float(np.interp(t, ts, d))


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
    for i, tr in enumerate(tracks):
        if tr.height is not None:
            center[i, 2] += tr.height.at(t)[0]
    distance, yaw_rate = np.zeros(n), np.zeros(n)
    for i, tr in enumerate(tracks):
        if walks(tr.klass.name) and not tr.parked:
            distance[i] = distance_walked(tr.motion, t)
        if articulates(tr.klass.name) and not tr.parked:
            a, b = tr.motion.at(t - YAW_RATE_DT)[4], tr.motion.at(t + YAW_RATE_DT)[4]
            yaw_rate[i] = float(np.angle(np.exp(1j * (b - a)))) / (2 * YAW_RATE_DT)
    return AgentStates(
        t=float(t),
        instance=np.array([tr.instance for tr in tracks], dtype=np.int32),
        occ3d=np.array([tr.occ3d for tr in tracks], dtype=np.uint8),
        center=center, size=size, yaw=yaw, velocity=vel, present=present, distance=distance, yaw_rate=yaw_rate,
    )


STAND_SPEED = 0.1  # m/s below which a walking class stands still (standing pose, mesh constant in time)
ARTICULATION_ARM = 5.0  # m from an articulated bus's joint to its rear axle
MAX_ARTICULATION = 0.35  # rad


def shape_at(track: AgentTrack, states: AgentStates, i: int):
    """The box-local ShapeMesh (anyscene.shapes) of `track` (agent index i of `states`) at states.t: walking
    classes in their gait phase (from the distance walked; the standing pose below STAND_SPEED), articulated
    buses bent by their turn rate (steady-state trailer angle ω·a/v for a joint a = ARTICULATION_ARM m ahead
    of the rear axle)."""
    from ..shapes import gait_phase, shape_mesh

    cls = track.klass.name
    speed = float(np.hypot(*states.velocity[i]))
    phase = art = None
    if walks(cls) and speed > STAND_SPEED and states.distance is not None:
        phase = gait_phase(float(states.distance[i]), track.size[2])
    if articulates(cls) and states.yaw_rate is not None and speed > 0.5:
        art = float(np.clip(-states.yaw_rate[i] * ARTICULATION_ARM / speed, -MAX_ARTICULATION, MAX_ARTICULATION))
    return shape_mesh(cls, track.size, track.shape, track.instance, phase=phase, articulation=art or 0.0)
