"""Where and when procedural agents move: a route on the ground (`Path`), the arc length along it over time
(`Profile`, planned under speed, acceleration and curvature limits with an optional stop), and their
conversion into layout trajectories (lane following where it is exact, timed waypoints otherwise)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..layout.geometry import LaneLine, polyline_arclength
from ..layout.schema import LaneFollow, Trajectory, Waypoint

GRID_STEP = 0.5  # m: arc-length resolution of speed planning
MAX_WAYPOINT_DT = 2.0  # s between emitted waypoints
MAX_TURN = 0.12  # rad of heading change between emitted waypoints (curves)
MIN_WAYPOINT_DT = 0.02  # s: closer emitted waypoints are merged
ROUND = 3  # decimals of emitted times, positions and velocities


@dataclass(frozen=True)
class Path:
    """A route on the ground: points (N, 2) m in the world frame and their cumulative arc length s (N,) m.

    `lane` is (road id, lane) when the path is exactly that lane's whole centreline, so motion along it can be
    written as lane following (path arc length = lane arc length).
    """

    points: np.ndarray
    s: np.ndarray
    lane: tuple[str, int] | None = None

    @classmethod
    def of(cls, points: np.ndarray, lane: tuple[str, int] | None = None) -> "Path":
        pts = np.asarray(points, dtype=np.float64)
        keep = np.concatenate([[True], np.hypot(*np.diff(pts, axis=0).T) > 1e-6])
        pts = pts[keep]
        return cls(pts, polyline_arclength(pts), lane)

    @classmethod
    def of_lane(cls, lane: LaneLine) -> "Path":
        return cls(lane.points, lane.s, (lane.road, lane.lane))

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def at(self, s) -> tuple[np.ndarray, np.ndarray]:
        """Positions (N, 2) and unit tangents (N, 2) at arc lengths s (clamped to the path)."""
        return LaneLine("", 0, self.points, self.s).at(s)

    def heading(self, s) -> np.ndarray:
        """Unit tangents (N, 2) at arc lengths s that turn continuously: vertex tangents (the mean of the two
        adjacent segment directions) interpolated along each segment. Velocities written along a polyline use
        these, so interpolated motion does not jerk at its vertices."""
        seg = np.diff(self.points, axis=0)
        seg /= np.linalg.norm(seg, axis=1, keepdims=True)
        vt = np.vstack([seg[:1], seg[:-1] + seg[1:], seg[-1:]])
        vt /= np.maximum(np.linalg.norm(vt, axis=1, keepdims=True), 1e-12)
        s = np.clip(np.asarray(s, dtype=np.float64), 0.0, self.length)
        i = np.clip(np.searchsorted(self.s, s, side="right") - 1, 0, len(self.s) - 2)
        f = ((s - self.s[i]) / (self.s[i + 1] - self.s[i]))[:, None]
        t = (1 - f) * vt[i] + f * vt[i + 1]
        return t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)

    def curvature(self, s: np.ndarray, reach: float = 0.6) -> np.ndarray:
        """Absolute curvature (N,) 1/m at arc lengths s, conservatively the largest within ±reach m (so
        speeds planned on a coarser grid never enter a bend too fast)."""
        fine = self._fine_curvature(reach)
        idx = np.clip(np.round(np.asarray(s) / 0.1).astype(int), 0, len(fine) - 1)
        return fine[idx]

    @cached_property
    def _curvature_cache(self) -> dict:
        return {}

    def _fine_curvature(self, reach: float) -> np.ndarray:
        if reach in self._curvature_cache:
            return self._curvature_cache[reach]
        fine = np.arange(0.0, self.length + 0.1, 0.1)
        _, t0 = self.at(fine - 0.2)
        _, t1 = self.at(fine + 0.2)
        ang = np.abs(np.arctan2(t0[:, 0] * t1[:, 1] - t0[:, 1] * t1[:, 0], np.sum(t0 * t1, axis=1)))
        span = np.minimum(fine + 0.2, self.length) - np.maximum(fine - 0.2, 0.0)
        kappa = ang / np.maximum(span, 1e-6)
        k = max(1, int(round(reach / 0.1)))
        padded = np.pad(kappa, k, mode="edge")
        out = np.lib.stride_tricks.sliding_window_view(padded, 2 * k + 1).max(axis=1)
        self._curvature_cache[reach] = out
        return out

    def slice(self, s0: float, s1: float) -> "Path":
        """The part between arc lengths s0 < s1 (no lane reference)."""
        inner = (self.s > s0) & (self.s < s1)
        pts = np.vstack([self.at([s0])[0], self.points[inner], self.at([s1])[0]])
        return Path.of(pts)


def join(*parts: np.ndarray, smooth: float = 2.0) -> Path:
    """A smooth path through consecutive point sequences (each (N_i, 2)): resampled every 0.25 m and averaged
    over `smooth` m, so joints and polygon corners become gentle curves (ends stay put)."""
    pts = Path.of(np.vstack([np.asarray(p, dtype=np.float64) for p in parts]))
    return Path.of(smooth_polyline(pts, smooth))


def smooth_polyline(path: Path, window: float, step: float = 0.25) -> np.ndarray:
    """Points every `step` m along the path, averaged over `window` m (reflected at the ends)."""
    ss = np.linspace(0.0, path.length, max(2, int(np.ceil(path.length / step)) + 1))
    xy = path.at(ss)[0]
    k = int(round(window / step / 2))
    if k < 1 or len(xy) < 2 * k + 2:
        return xy
    ext = np.vstack([2 * xy[0] - xy[k:0:-1], xy, 2 * xy[-1] - xy[-2:-k - 2:-1]])
    kernel = np.ones(2 * k + 1) / (2 * k + 1)
    out = np.stack([np.convolve(ext[:, d], kernel, mode="valid") for d in range(2)], axis=1)
    out[0], out[-1] = xy[0], xy[-1]
    return out


def bezier(p0, d0, p3, d3, step: float = 0.25, pull: float = 0.42) -> np.ndarray:
    """A cubic Bezier from p0 leaving along unit d0 to p3 arriving along unit d3, sampled about every `step` m
    (without its end points). `pull` sets the control arm length as a share of the chord."""
    p0, p3, d0, d3 = (np.asarray(v, dtype=np.float64) for v in (p0, p3, d0, d3))
    chord = float(np.hypot(*(p3 - p0)))
    p1, p2 = p0 + d0 * chord * pull, p3 - d3 * chord * pull
    n = max(3, int(np.ceil(chord * 1.3 / step)))
    u = np.linspace(0.0, 1.0, n + 1)[1:-1, None]
    return ((1 - u) ** 3) * p0 + 3 * ((1 - u) ** 2) * u * p1 + 3 * (1 - u) * u * u * p2 + (u ** 3) * p3


def fillet(points: np.ndarray, radius: float, step: float = 0.2) -> np.ndarray:
    """A polyline with each interior corner replaced by a circular arc of `radius` m (smaller where the
    adjacent segments are short: the arc's tangent points stay within 45 % of each)."""
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) < 3:
        return pts
    out = [pts[0]]
    for i in range(1, len(pts) - 1):
        a, b, c = pts[i - 1], pts[i], pts[i + 1]
        la, lc = np.hypot(*(b - a)), np.hypot(*(c - b))
        ua, uc = (b - a) / la, (c - b) / lc
        turn = float(np.arctan2(ua[0] * uc[1] - ua[1] * uc[0], np.dot(ua, uc)))
        if abs(turn) < 1e-3:
            out.append(b)
            continue
        tangent = min(radius * np.tan(abs(turn) / 2), 0.45 * la, 0.45 * lc)
        r = tangent / np.tan(abs(turn) / 2)
        p = b - ua * tangent
        normal = np.array([-ua[1], ua[0]]) * np.sign(turn)
        centre = p + normal * r
        a0 = np.arctan2(*(p - centre)[::-1])
        n = max(2, int(np.ceil(r * abs(turn) / step)))
        ang = a0 + np.sign(turn) * np.linspace(0.0, abs(turn), n + 1)
        out.extend(centre + r * np.stack([np.cos(ang), np.sin(ang)], axis=1))
    out.append(pts[-1])
    return np.asarray(out)


@dataclass(frozen=True)
class Limits:
    """Comfort limits of a planned motion: along-path acceleration and deceleration (m/s²), lateral
    acceleration in curves (m/s²)."""

    accel: float
    decel: float
    lateral: float


@dataclass(frozen=True)
class Profile:
    """Arc length along a path over time with piecewise constant acceleration between knots: at times t (K,) s
    the agent is at s (K,) m with speed v (K,) m/s. `rest_forever` marks a profile that ends at rest and stays."""

    t: np.ndarray
    s: np.ndarray
    v: np.ndarray
    rest_forever: bool = False

    @property
    def t_start(self) -> float:
        return float(self.t[0])

    @property
    def t_end(self) -> float:
        return float(self.t[-1])

    def at(self, times) -> tuple[np.ndarray, np.ndarray]:
        """Arc length and speed at times (clamped to the knots)."""
        tt = np.clip(np.asarray(times, dtype=np.float64), self.t[0], self.t[-1])
        i = np.clip(np.searchsorted(self.t, tt, side="right") - 1, 0, max(len(self.t) - 2, 0))
        if len(self.t) == 1:
            return np.full_like(tt, self.s[0]), np.zeros_like(tt)
        h = self.t[i + 1] - self.t[i]
        a = np.where(h > 0, (self.v[i + 1] - self.v[i]) / np.where(h > 0, h, 1.0), 0.0)
        dt = tt - self.t[i]
        return self.s[i] + self.v[i] * dt + 0.5 * a * dt * dt, self.v[i] + a * dt

    @property
    def is_cruise(self) -> bool:
        return bool(np.all(np.abs(self.v - self.v[0]) < 1e-9)) and self.v[0] > 0


def plan_profile(path: Path, s0: float, v0: float, t0: float, v_des: float, limits: Limits, t_max: float,
                 stop_s: float | None = None, depart: float | None = None, s_end: float | None = None,
                 end_at_rest: bool = False, cap: tuple[float, float] | None = None) -> Profile | None:
    """The fastest motion from (s0, v0) at time t0 that keeps speed ≤ v_des, ≤ sqrt(lateral / curvature) and
    within the acceleration limits, up to `s_end` (default: the path's end) or t_max.

    With `stop_s`, the agent comes to rest there; with `depart` it waits until that time and drives on,
    without, it stays at rest. With `end_at_rest` it also comes to rest at the end and stays there.
    `cap` = (s, v) limits the speed to v at arc length s (rolling through a yield line).
    None when a stop cannot be reached within the deceleration limit.
    """
    end = path.length if s_end is None else min(s_end, path.length)
    target = end if stop_s is None or depart is not None else stop_s
    if stop_s is not None and not s0 <= stop_s <= end:
        return None
    if target - s0 < 1e-6 or v_des <= 0.0:
        return _truncate(Profile(np.array([t0, max(t_max, t0)]), np.array([s0, s0]), np.zeros(2), True), t_max)
    if depart is None and stop_s is None:
        # Only the part reachable within the scene matters (speed never exceeds max(v0, v_des)).
        target = min(target, s0 + max(v0, v_des) * max(t_max - t0, 0.0) + 30.0)
    n = max(1, int(np.ceil((target - s0) / GRID_STEP)))
    grid = np.linspace(s0, target, n + 1)
    if cap is not None and s0 < cap[0] < target:
        grid = np.unique(np.append(grid, cap[0]))
    if stop_s is not None:
        # The exact stop and braking point make a cruise-brake profile exact (two constant segments).
        s_brake = stop_s - v_des * v_des / (2 * limits.decel)
        extra = [x for x in (stop_s, s_brake) if s0 < x < target or x == stop_s]
        grid = np.unique(np.append(grid, extra))
        grid = grid[(grid >= s0) & (grid <= target)]
    if np.isfinite(limits.lateral):
        kappa = path.curvature(grid)
        vmax = np.minimum(v_des, np.sqrt(limits.lateral / np.maximum(kappa, 1e-9)))
    else:
        vmax = np.full(len(grid), float(v_des))
    vmax[0] = max(vmax[0], v0)
    if cap is not None and s0 < cap[0] < target:
        k = int(np.argmin(np.abs(grid - cap[0])))
        vmax[k] = min(vmax[k], cap[1])
    reaches_end = target >= end - 1e-9
    if end_at_rest and reaches_end:
        vmax[-1] = 0.0
    j = None
    if stop_s is not None:
        j = int(np.argmin(np.abs(grid - stop_s)))
        vmax[j] = 0.0
    ds = np.diff(grid)
    # Forward (acceleration) and backward (braking) limits on the squared speed w = v², as running minima:
    # w[k] = min_j (W[j] + 2a |S[k] - S[j]|) over the nodes j behind (forward) or ahead (backward).
    cum = np.concatenate([[0.0], np.cumsum(ds)])
    w_cap = vmax * vmax
    w_cap[0] = v0 * v0
    w = 2 * limits.accel * cum + np.minimum.accumulate(w_cap - 2 * limits.accel * cum)
    w = np.minimum(w, w_cap)
    back = -2 * limits.decel * cum + np.minimum.accumulate((w + 2 * limits.decel * cum)[::-1])[::-1]
    w = np.minimum(w, back)
    v = np.sqrt(np.maximum(w, 0.0))
    if v[0] < v0 - 1e-6:
        return None  # cannot slow down in time
    vs = v[:-1] + v[1:]
    if np.any(vs <= 0):
        return None
    t = np.concatenate([[t0], t0 + np.cumsum(2 * ds / vs)])
    s, vv = grid, v
    rest = (stop_s is not None and depart is None) or (end_at_rest and reaches_end)
    if j is not None and depart is not None:
        wait = max(depart - t[j], 0.0)
        t = np.concatenate([t[:j + 1], t[j:] + wait])
        s = np.concatenate([s[:j + 1], s[j:]])
        vv = np.concatenate([vv[:j + 1], vv[j:]])
    if rest and t[-1] < t_max:
        t, s, vv = np.append(t, t_max), np.append(s, s[-1]), np.append(vv, 0.0)
    prof = Profile(t, s, vv, rest_forever=rest)
    return _truncate(_merge(prof), t_max)


def _merge(p: Profile) -> Profile:
    """Drop knots between segments of equal acceleration (fewer, exact knots)."""
    if len(p.t) < 3:
        return p
    h = np.diff(p.t)
    a = np.where(h > 1e-12, np.diff(p.v) / np.where(h > 1e-12, h, 1.0), 0.0)
    keep = np.ones(len(p.t), dtype=bool)
    keep[1:-1] = (np.abs(np.diff(a)) > 1e-6) | (h[:-1] < 1e-12) | (h[1:] < 1e-12)
    return Profile(p.t[keep], p.s[keep], p.v[keep], p.rest_forever)


def _truncate(p: Profile, t_max: float) -> Profile:
    if p.t[-1] <= t_max:
        return p
    k = int(np.searchsorted(p.t, t_max, side="right"))
    s_end, v_end = p.at([t_max])
    return Profile(np.append(p.t[:k], t_max), np.append(p.s[:k], s_end[0]), np.append(p.v[:k], v_end[0]), False)


def waypoint_times(path: Path, p: Profile) -> np.ndarray:
    """Emission times: every knot, with constant-acceleration segments subdivided (≤ MAX_WAYPOINT_DT s apart,
    ≤ MAX_TURN rad of heading change apart)."""
    out = [p.t[:1]]
    for i in range(len(p.t) - 1):
        h = p.t[i + 1] - p.t[i]
        if h <= 1e-9:
            continue
        dist = p.s[i + 1] - p.s[i]
        if dist <= 1e-9:
            n = 1  # standing: the two ends say it all
        else:
            # Cubic Hermite segments reproduce constant acceleration along a straight line exactly; curves
            # need a waypoint every MAX_TURN radians of heading change.
            n = max(1, int(np.ceil(h / MAX_WAYPOINT_DT)), int(np.ceil(_turning(path, p.s[i], p.s[i + 1]) / MAX_TURN)))
        out.append(p.t[i] + h * np.arange(1, n + 1) / n)
    return np.concatenate(out)


def _turning(path: Path, s0: float, s1: float) -> float:
    """Total absolute heading change (rad) of the path between arc lengths s0 and s1."""
    inner = path.s[(path.s > s0) & (path.s < s1)]
    _, tg = path.at(np.concatenate([[s0], inner, [s1]]))
    ang = np.arctan2(tg[:, 1], tg[:, 0])
    return float(np.abs(np.angle(np.exp(1j * np.diff(ang)))).sum())


def to_trajectory(path: Path, p: Profile, decel: float) -> Trajectory:
    """The layout trajectory of a profile along a path: lane following when the path is a whole lane and the
    profile is a cruise (or a cruise braking at `decel` to rest for good), timed waypoints otherwise."""
    if path.lane is not None and p.is_cruise:
        return Trajectory(lane=LaneFollow(road=path.lane[0], lane=path.lane[1], s=_r(p.s[0]), speed=_r(p.v[0]),
                                          start=_r(p.t[0])))
    if path.lane is not None and p.rest_forever and _is_cruise_then_brake(_moving_part(p), decel):
        s0, v0 = _r(p.s[0]), _r(p.v[0])
        # Rounded numbers must still leave room to brake (the validator checks speed²/2·decel ≤ stop_s - s).
        stop = float(np.ceil(max(p.s[-1], s0 + v0 * v0 / (2 * decel)) * 10 ** ROUND + 1) / 10 ** ROUND)
        return Trajectory(lane=LaneFollow(road=path.lane[0], lane=path.lane[1], s=s0, speed=v0,
                                          start=_r(p.t[0]), stop_s=stop, deceleration=decel))
    times = np.round(waypoint_times(path, p), ROUND)
    keep = [0]
    for k in range(1, len(times)):
        if times[k] - times[keep[-1]] >= MIN_WAYPOINT_DT:
            keep.append(k)
        elif k == len(times) - 1 and len(keep) > 1:
            keep[-1] = k  # the last knot (end of the motion) wins over a close neighbour
    times = times[keep]
    s, v = p.at(times)
    xy = path.at(s)[0]
    tangent = path.heading(s)
    vel = tangent * v[:, None]
    wps = [Waypoint(t=float(times[k]), xy=(_r(xy[k, 0]), _r(xy[k, 1])), velocity=(_r(vel[k, 0]), _r(vel[k, 1])))
           for k in range(len(times))]
    if v[0] == 0.0:
        # Standing at the start: face the way it is going to move (a velocity of zero has no heading).
        wps[0] = Waypoint(t=wps[0].t, xy=wps[0].xy, velocity=(0.0, 0.0),
                          yaw=_r(np.arctan2(tangent[0, 1], tangent[0, 0])))
    return Trajectory(waypoints=tuple(wps))


def _moving_part(p: Profile) -> Profile:
    """The profile without trailing knots at rest."""
    k = len(p.t)
    while k > 1 and p.v[k - 1] == 0.0 and p.v[k - 2] == 0.0:
        k -= 1
    return Profile(p.t[:k], p.s[:k], p.v[:k], p.rest_forever)


def _is_cruise_then_brake(p: Profile, decel: float) -> bool:
    if len(p.t) == 3:
        h = np.diff(p.t)
        return (abs(p.v[1] - p.v[0]) < 1e-9 and p.v[2] == 0.0
                and abs((p.v[1] - p.v[2]) / h[1] - decel) < 1e-3 * decel)
    if len(p.t) == 2:  # braking from the start
        return p.v[1] == 0.0 and abs(p.v[0] / (p.t[1] - p.t[0]) - decel) < 1e-3 * decel
    return False


def _r(x: float) -> float:
    return float(round(float(x), ROUND))
