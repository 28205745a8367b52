"""Space-time reservations: every accepted agent's oriented box at fixed check times, with safety margins,
and a test of whether a new agent's boxes stay clear of all of them.

Agents are planned one after the other; each new one must fit around everything accepted before it, so the
result is collision-free by construction. The margins make the traffic plausible (stopping distance ahead of
moving vehicles, room between neighbours) and keep the layout validator's overlap check well satisfied.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..layout.geometry import RoadGeometry
from ..layout.motion import build_motion
from ..layout.schema import Trajectory
from ..layout.geometry import boxes_overlap

CHECK_RATE = 20.0  # Hz: twice the validator's rate


@dataclass(frozen=True)
class Margin:
    """Inflation of an agent's box: `side` m on each side, `rear` m behind, and ahead `front` m plus the
    distance it needs to stop from its current speed at `brake` m/s² (0: no stopping distance)."""

    side: float
    rear: float
    front: float
    brake: float


VEHICLE_MARGIN = Margin(side=0.2, rear=0.4, front=1.0, brake=4.0)
CYCLE_MARGIN = Margin(side=0.35, rear=0.4, front=1.0, brake=3.0)
PEDESTRIAN_MARGIN = Margin(side=0.25, rear=0.25, front=0.3, brake=2.0)
STATIC_MARGIN = Margin(side=0.2, rear=0.2, front=0.2, brake=0.0)


@dataclass(frozen=True)
class Footprint:
    """An agent's inflated box at the check times: centre (T, 2) m, heading (T,) rad, half length and width
    (T, 2) m, presence (T,) bool."""

    center: np.ndarray
    yaw: np.ndarray
    half: np.ndarray
    present: np.ndarray


def check_times(duration: float) -> np.ndarray:
    """Check instants over [0, duration] at CHECK_RATE, the end included (s)."""
    n = int(np.floor(duration * CHECK_RATE + 1e-9)) + 1
    t = np.arange(n) / CHECK_RATE
    return t if duration - t[-1] < 1e-9 else np.append(t, duration)


def footprint(times: np.ndarray, xy: np.ndarray, velocity: np.ndarray, yaw: np.ndarray, present: np.ndarray,
              length: float, width: float, margin: Margin) -> Footprint:
    """Inflate a box of `length` × `width` m centred at xy (T, 2) with heading yaw (T,) by `margin`."""
    speed = np.hypot(velocity[:, 0], velocity[:, 1])
    ahead = margin.front + (speed * speed / (2 * margin.brake) if margin.brake > 0 else 0.0 * speed)
    half_l = (length + margin.rear + ahead) / 2
    shift = (ahead - margin.rear) / 2
    c = xy + shift[:, None] * np.stack([np.cos(yaw), np.sin(yaw)], axis=1)
    half = np.stack([half_l, np.full_like(half_l, width / 2 + margin.side)], axis=1)
    return Footprint(c, yaw, half, present)


def trajectory_footprint(traj: Trajectory, roads: RoadGeometry, times: np.ndarray, length: float, width: float,
                         margin: Margin, appear: float | None = None, disappear: float | None = None,
                         rear_offset: float = 0.0, always: bool = False) -> Footprint:
    """The footprint of a layout trajectory as the world compiles it (same presence rules); `rear_offset` m
    moves the box centre ahead of the trajectory's point (the ego's rear axle)."""
    motion = build_motion(traj, roads)
    st = motion.evaluate(times)
    t0 = motion.t_start if appear is None else appear
    t1 = motion.t_end if disappear is None else disappear
    if always or (traj.waypoints is not None and len(traj.waypoints) == 1 and disappear is None):
        t1 = np.inf
    present = (times >= t0 - 1e-9) & (times <= t1 + 1e-9)
    xy = st.xy + rear_offset * np.stack([np.cos(st.yaw), np.sin(st.yaw)], axis=1)
    return footprint(times, xy, st.velocity, st.yaw, present, length, width, margin)


def static_footprint(times: np.ndarray, xy, yaw: float, length: float, width: float,
                     margin: Margin = STATIC_MARGIN) -> Footprint:
    n = len(times)
    return footprint(times, np.tile(np.asarray(xy, dtype=np.float64), (n, 1)), np.zeros((n, 2)),
                     np.full(n, float(yaw)), np.ones(n, dtype=bool), length, width, margin)


class Reservations:
    """Footprints of the accepted agents; `fits` tests a candidate against all of them."""

    def __init__(self, times: np.ndarray):
        self.times = times
        self.n = 0
        t = len(times)
        cap = 64
        self._center = np.zeros((cap, t, 2))
        self._yaw = np.zeros((cap, t))
        self._half = np.zeros((cap, t, 2))
        self._present = np.zeros((cap, t), dtype=bool)
        self._radius = np.zeros((cap, t))
        self._bounds = np.zeros((cap, 4))

    def __len__(self) -> int:
        return self.n

    def add(self, fp: Footprint) -> None:
        if self.n == len(self._yaw):
            for name in ("_center", "_yaw", "_half", "_present", "_radius", "_bounds"):
                arr = getattr(self, name)
                setattr(self, name, np.concatenate([arr, np.zeros_like(arr)]))
        k = self.n
        self._center[k], self._yaw[k], self._half[k], self._present[k] = fp.center, fp.yaw, fp.half, fp.present
        self._radius[k] = np.hypot(fp.half[:, 0], fp.half[:, 1])
        self._bounds[k] = _swept_bounds(fp)
        self.n += 1

    def fits(self, fp: Footprint) -> bool:
        """Whether the candidate's boxes overlap no accepted box at any check time where both are present."""
        if not self.n or not fp.present.any():
            return True
        bounds = self._bounds[:self.n]
        b = _swept_bounds(fp)
        near = np.flatnonzero((bounds[:, 0] <= b[2]) & (bounds[:, 2] >= b[0]) & (bounds[:, 1] <= b[3])
                              & (bounds[:, 3] >= b[1]))
        if not near.size:
            return True
        c = self._center[near]
        both = self._present[near] & fp.present[None, :]
        r_new = np.hypot(fp.half[:, 0], fp.half[:, 1])
        d = np.hypot(c[..., 0] - fp.center[None, :, 0], c[..., 1] - fp.center[None, :, 1])
        a, m = np.nonzero(both & (d < self._radius[near] + r_new[None, :]))
        if not a.size:
            return True
        a = near[a]
        hit = boxes_overlap(self._center[a, m], self._yaw[a, m], self._half[a, m], fp.center[m], fp.yaw[m],
                            fp.half[m])
        return not bool(hit.any())


def _swept_bounds(fp: Footprint) -> np.ndarray:
    """Axis-aligned bounds of every box of a footprint while present: [xmin, ymin, xmax, ymax] (inf when never
    present, so it is near nothing)."""
    if not fp.present.any():
        return np.array([np.inf, np.inf, -np.inf, -np.inf])
    r = np.hypot(fp.half[fp.present, 0], fp.half[fp.present, 1])
    c = fp.center[fp.present]
    return np.array([(c[:, 0] - r).min(), (c[:, 1] - r).min(), (c[:, 0] + r).max(), (c[:, 1] + r).max()])
