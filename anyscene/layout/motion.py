"""Trajectories evaluated at any time: exact positions, velocities and headings from the layout.

Timed waypoints are joined by cubic Hermite segments, so positions and given velocities are met exactly at
the waypoints; velocities not given are estimated from the neighbours (three-point finite difference).
Lane following moves along a lane centreline with a closed-form speed profile.
"""
from __future__ import annotations

from dataclasses import dataclass

import bisect
import math

import numpy as np

from .geometry import LaneLine, RoadGeometry
from .schema import LaneFollow, Trajectory, Waypoint

STOPPED_SPEED = 1e-3  # m/s: below this an agent is standing and keeps its last heading
_HEADING_STEP = 0.02  # s: resolution of the held-heading table


@dataclass(frozen=True)
class MotionState:
    """Kinematic state at N times, world frame. xy (N, 2) m; velocity (N, 2) m/s; yaw (N,) rad."""

    xy: np.ndarray
    velocity: np.ndarray
    yaw: np.ndarray


class WaypointMotion:
    """Cubic Hermite interpolation through timed waypoints."""

    def __init__(self, waypoints: tuple[Waypoint, ...]):
        self.t = np.array([w.t for w in waypoints], dtype=np.float64)
        self.p = np.array([w.xy for w in waypoints], dtype=np.float64)
        self.v = _waypoint_velocities(self.t, self.p, waypoints)
        self.given_yaw = [w.yaw for w in waypoints]
        self.t_start, self.t_end = float(self.t[0]), float(self.t[-1])
        self._build_heading_table()
        self._tl, self._pl, self._vl = self.t.tolist(), self.p.tolist(), self.v.tolist()
        self._table_tl = self._table_t.tolist()
        self._has_given_yaw = any(y is not None for y in self.given_yaw)
        self._still = None
        if len(self._tl) == 1:  # a standing agent: one state for all times
            st = self.evaluate(np.array([self.t_start]))
            self._still = (float(st.xy[0, 0]), float(st.xy[0, 1]), 0.0, 0.0, float(st.yaw[0]))

    def _raw(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(self.t) == 1:
            n = len(t)
            return np.repeat(self.p, n, axis=0), np.repeat(self.v * 0.0, n, axis=0)
        tc = np.clip(t, self.t_start, self.t_end)
        i = np.clip(np.searchsorted(self.t, tc, side="right") - 1, 0, len(self.t) - 2)
        t0, h = self.t[i], self.t[i + 1] - self.t[i]
        s = ((tc - t0) / h)[:, None]
        p0, p1, v0, v1 = self.p[i], self.p[i + 1], self.v[i], self.v[i + 1]
        hh = h[:, None]
        s2, s3 = s * s, s * s * s
        xy = (2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * hh * v0 + (-2 * s3 + 3 * s2) * p1 + (s3 - s2) * hh * v1
        vel = ((6 * s2 - 6 * s) * p0 + (3 * s2 - 4 * s + 1) * hh * v0 + (-6 * s2 + 6 * s) * p1
               + (3 * s2 - 2 * s) * hh * v1) / hh
        # Hold still outside the waypoints' time span.
        outside = (t < self.t_start) | (t > self.t_end)
        vel[outside] = 0.0
        return xy, vel

    def _build_heading_table(self) -> None:
        n = max(2, int(np.ceil((self.t_end - self.t_start) / _HEADING_STEP)) + 1)
        ts = np.linspace(self.t_start, self.t_end, n)
        _, vel = self._raw(ts)
        speed = np.hypot(vel[:, 0], vel[:, 1])
        yaw = np.arctan2(vel[:, 1], vel[:, 0])
        moving = speed > STOPPED_SPEED
        step = ts[1] - ts[0]
        for w_t, w_yaw in zip(self.t, self.given_yaw):
            if w_yaw is not None:
                k = int(round((w_t - self.t_start) / step)) if step > 0 else 0
                yaw[k], moving[k] = w_yaw, True
        if not moving.any():
            yaw[:] = 0.0
        else:
            idx = np.where(moving, np.arange(n), -1)
            idx = np.maximum.accumulate(idx)
            first = int(np.argmax(moving))
            idx[idx < 0] = first  # standing before any motion: face the first motion
            yaw = yaw[idx]
        self._table_t, self._table_yaw = ts, yaw

    def evaluate(self, t: np.ndarray) -> MotionState:
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        xy, vel = self._raw(t)
        yaw = np.arctan2(vel[:, 1], vel[:, 0])
        stopped = np.hypot(vel[:, 0], vel[:, 1]) <= STOPPED_SPEED
        if stopped.any():
            k = np.clip(np.searchsorted(self._table_t, t[stopped], side="right") - 1, 0, len(self._table_t) - 1)
            yaw[stopped] = self._table_yaw[k]
        self._apply_given_yaw(t, yaw)
        return MotionState(xy, vel, yaw)

    def at(self, t: float) -> tuple[float, float, float, float, float]:
        """(x, y, vx, vy, yaw) at one time: the same formulas as `evaluate`, in scalar arithmetic for speed."""
        if self._still is not None:
            return self._still
        if t < self.t_start or t > self.t_end or self._has_given_yaw:
            st = self.evaluate(np.array([t]))
            return (float(st.xy[0, 0]), float(st.xy[0, 1]), float(st.velocity[0, 0]), float(st.velocity[0, 1]),
                    float(st.yaw[0]))
        tl = self._tl
        i = min(max(bisect.bisect_right(tl, t) - 1, 0), len(tl) - 2)
        h = tl[i + 1] - tl[i]
        u = (t - tl[i]) / h
        u2, u3 = u * u, u * u * u
        (p0x, p0y), (p1x, p1y) = self._pl[i], self._pl[i + 1]
        (v0x, v0y), (v1x, v1y) = self._vl[i], self._vl[i + 1]
        a, b, c, d = 2 * u3 - 3 * u2 + 1, (u3 - 2 * u2 + u) * h, -2 * u3 + 3 * u2, (u3 - u2) * h
        x = a * p0x + b * v0x + c * p1x + d * v1x
        y = a * p0y + b * v0y + c * p1y + d * v1y
        da, db, dc, dd = 6 * u2 - 6 * u, (3 * u2 - 4 * u + 1) * h, -6 * u2 + 6 * u, (3 * u2 - 2 * u) * h
        vx = (da * p0x + db * v0x + dc * p1x + dd * v1x) / h
        vy = (da * p0y + db * v0y + dc * p1y + dd * v1y) / h
        if math.hypot(vx, vy) > STOPPED_SPEED:
            yaw = math.atan2(vy, vx)
        else:
            k = min(max(bisect.bisect_right(self._table_tl, t) - 1, 0), len(self._table_tl) - 1)
            yaw = float(self._table_yaw[k])
        return x, y, vx, vy, yaw

    def _apply_given_yaw(self, t: np.ndarray, yaw: np.ndarray) -> None:
        """Given headings: met exactly at their waypoints, interpolated (shortest way round) between two
        consecutive given ones, held before the first and after the last waypoint when those give one."""
        g = self.given_yaw
        if all(y is None for y in g):
            return
        gy = np.array([np.nan if y is None else y for y in g], dtype=np.float64)
        n = len(g)
        i = np.clip(np.searchsorted(self.t, t, side="right") - 1, 0, n - 1)
        if n > 1:
            j = np.minimum(i, n - 2)
            inside = (t > self.t[j]) & (t < self.t[j + 1]) & ~np.isnan(gy[j]) & ~np.isnan(gy[j + 1])
            if inside.any():
                jj = j[inside]
                d = (gy[jj + 1] - gy[jj] + np.pi) % (2 * np.pi) - np.pi
                f = (t[inside] - self.t[jj]) / (self.t[jj + 1] - self.t[jj])
                yaw[inside] = gy[jj] + f * d
        exact = (t == self.t[i]) & ~np.isnan(gy[i])
        yaw[exact] = gy[i[exact]]
        if g[0] is not None:
            yaw[t < self.t[0]] = g[0]
        if g[-1] is not None:
            yaw[t > self.t[-1]] = g[-1]


def _waypoint_velocities(t: np.ndarray, p: np.ndarray, waypoints: tuple[Waypoint, ...]) -> np.ndarray:
    n = len(t)
    est = np.zeros_like(p)
    if n >= 2:
        h = np.diff(t)
        d = np.diff(p, axis=0) / h[:, None]
        est[0], est[-1] = d[0], d[-1]
        if n > 2:
            h0, h1 = h[:-1, None], h[1:, None]
            est[1:-1] = (h1 * d[:-1] + h0 * d[1:]) / (h0 + h1)
    v = est.copy()
    for i, w in enumerate(waypoints):
        if w.velocity is not None:
            v[i] = w.velocity
        elif w.speed is not None:
            norm = float(np.hypot(*est[i]))
            if norm > 1e-9:
                v[i] = est[i] / norm * w.speed
            elif w.yaw is not None:
                v[i] = w.speed * np.array([np.cos(w.yaw), np.sin(w.yaw)])
            else:
                v[i] = 0.0 if w.speed == 0 else est[i]
    return v


class LaneMotion:
    """Along a lane: cruise, constant acceleration (stopping at rest), or braking to rest at `stop_s`."""

    def __init__(self, spec: LaneFollow, lane: LaneLine):
        self.spec, self.lane = spec, lane
        v0 = spec.speed
        self.t_start = spec.start
        if spec.stop_s is not None:
            d = spec.deceleration
            self.s_brake = spec.stop_s - v0 * v0 / (2 * d)
            self.t_brake = (self.s_brake - spec.s) / v0 if v0 > 0 else 0.0
            self.t_rest = self.t_brake + (v0 / d if v0 > 0 else 0.0)
        elif spec.acceleration < 0 and v0 > 0:
            self.t_rest = v0 / -spec.acceleration
        else:
            self.t_rest = np.inf
        s_last = lane.length
        self.t_end = self.t_start + self._time_at(s_last)

    def _profile(self, dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sp, v0 = self.spec, self.spec.speed
        dt = np.maximum(dt, 0.0)
        if sp.stop_s is not None:
            d = sp.deceleration
            cruise = dt <= self.t_brake
            tb = np.minimum(np.maximum(dt - self.t_brake, 0.0), self.t_rest - self.t_brake)
            s = np.where(cruise, sp.s + v0 * dt, self.s_brake + v0 * tb - 0.5 * d * tb * tb)
            v = np.where(cruise, v0, v0 - d * tb)
            return s, np.maximum(v, 0.0)
        tt = np.minimum(dt, self.t_rest)
        s = sp.s + v0 * tt + 0.5 * sp.acceleration * tt * tt
        v = v0 + sp.acceleration * tt
        return s, np.maximum(v, 0.0)

    def _time_at(self, s_target: float) -> float:
        """Seconds after start at which the lane's end is reached; inf if the agent stops before."""
        sp = self.spec
        lo, hi = 0.0, 1.0
        while self._profile(np.array([hi]))[0][0] < s_target:
            if hi > 1e5:
                return np.inf
            lo, hi = hi, hi * 2
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if self._profile(np.array([mid]))[0][0] < s_target:
                lo = mid
            else:
                hi = mid
        return hi if sp.s < s_target else 0.0

    def evaluate(self, t: np.ndarray) -> MotionState:
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        s, v = self._profile(t - self.t_start)
        xy, tangent = self.lane.at(s)
        return MotionState(xy, tangent * v[:, None], np.arctan2(tangent[:, 1], tangent[:, 0]))

    def _profile_scalar(self, dt: float) -> tuple[float, float]:
        sp, v0 = self.spec, self.spec.speed
        dt = max(dt, 0.0)
        if sp.stop_s is not None:
            if dt <= self.t_brake:
                return sp.s + v0 * dt, v0
            tb = min(dt - self.t_brake, self.t_rest - self.t_brake)
            return self.s_brake + v0 * tb - 0.5 * sp.deceleration * tb * tb, max(v0 - sp.deceleration * tb, 0.0)
        tt = min(dt, self.t_rest)
        return sp.s + v0 * tt + 0.5 * sp.acceleration * tt * tt, max(v0 + sp.acceleration * tt, 0.0)

    def at(self, t: float) -> tuple[float, float, float, float, float]:
        """(x, y, vx, vy, yaw) at one time: the same formulas as `evaluate`, in scalar arithmetic for speed."""
        s, v = self._profile_scalar(t - self.t_start)
        x, y, tx, ty = self.lane.at_scalar(s)
        return x, y, tx * v, ty * v, math.atan2(ty, tx)

    def arc_length(self, t: np.ndarray) -> np.ndarray:
        """Arc length along the lane at times t (m)."""
        return self._profile(np.atleast_1d(np.asarray(t, dtype=np.float64)) - self.t_start)[0]


def build_motion(traj: Trajectory, roads: RoadGeometry) -> WaypointMotion | LaneMotion:
    """The motion of a trajectory; lane references must already be valid (the validator checks them)."""
    if traj.lane is not None:
        return LaneMotion(traj.lane, roads.lane(traj.lane.road, traj.lane.lane))
    return WaypointMotion(traj.waypoints)
