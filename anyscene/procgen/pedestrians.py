"""Pedestrians of a procedural scene: walkers along sidewalks, crossers who use zebra crossings (waiting at
the kerb until the crossing is clear), and jaywalkers who cross a road mid-block in a gap in the traffic."""
from __future__ import annotations

import numpy as np
import shapely

from ..classes import AGENT_CLASSES
from .config import SamplerConfig
from .network import Crossing, Network
from .paths import Path, fillet
from .planner import Mover, Planner
from .vehicles import pick

CORNER_RADIUS = 2.0  # m: walking paths round their corners
KERB_CLEARANCE = 0.6  # m: where a waiting pedestrian's centre stands, back from the carriageway edge


def sidewalk_length(net: Network) -> float:
    """Total length of sidewalk (m): each side of each road counted once."""
    widths = [r.sidewalk for r in net.map.roads if r.sidewalk > 0]
    if not widths or net.roads.sidewalks.is_empty:
        return 0.0
    return float(net.roads.sidewalks.area / np.mean(widths))


def walker_speed(cls: str, v: float) -> float:
    return round(min(v, 0.9 * AGENT_CLASSES[cls].typical_speed), 2)


def plan_walkers(planner: Planner, net: Network, cfg: SamplerConfig, rng: np.random.Generator, n: int) -> int:
    """`n` pedestrians walking along sidewalk lines (a few standing); each stops where its line ends."""
    lines = net.sidewalk_lines
    if not lines or n <= 0:
        return 0
    lengths = np.array([Path.of(line).length for line in lines])
    placed = 0
    for _ in range(n):
        cls = pick(rng, cfg.pedestrian_classes)
        mover = Mover.of(cls)
        v = walker_speed(cls, float(rng.uniform(*cfg.speeds.pedestrian)))
        for _try in range(4):
            line = lines[int(rng.choice(len(lines), p=lengths / lengths.sum()))]
            path = Path.of(line if rng.random() < 0.5 else line[::-1])
            if path.length < 3.0:
                continue
            s0 = float(rng.uniform(0.0, path.length - 1.0))
            speed = 0.0 if rng.random() < 0.1 else v  # a few stand (chatting, waiting)
            got = planner.plan(path, mover, s0, 0.0, [speed], always=True, end_at_rest=True)
            if got is not None:
                planner.add_agent("pedestrian", cls, got[0])
                placed += 1
                break
    return placed


def crossing_path(net: Network, c: Crossing, rng: np.random.Generator, jaywalk: bool) -> tuple[Path, float] | None:
    """A walk along one sidewalk to the crossing, across the road and on along the other sidewalk; with the
    arc length of the kerb stop (the centre's position before stepping onto the carriageway)."""
    if c.sidewalk <= 0:
        return None
    near_right = rng.random() < 0.5
    e_near, e_far = (c.right, c.left) if near_right else (c.left, c.right)
    sgn_near, sgn_far = (-1.0, 1.0) if near_right else (1.0, -1.0)
    mid_near = e_near + sgn_near * c.sidewalk / 2
    mid_far = e_far + sgn_far * c.sidewalk / 2
    o = float(rng.uniform(-c.half + 0.6, c.half - 0.6)) if c.half > 0.6 else 0.0
    o2 = o + (float(rng.uniform(-3.0, 3.0)) if jaywalk else 0.0)
    walk = net.walk_area
    if walk.is_empty:
        return None
    p, t, n = c.p, c.t, c.n

    def on_walk(a: np.ndarray, b: np.ndarray) -> bool:
        pts = a + (b - a) * np.linspace(0.0, 1.0, 12)[:, None]
        return bool(shapely.contains_xy(walk, pts[:, 0], pts[:, 1]).all())

    B = p + t * o + n * mid_near
    C = p + t * o2 + n * mid_far
    if not (on_walk(B, B) and on_walk(C, C)):
        return None
    pts = []
    for a in (float(rng.uniform(4.0, 14.0)), 2.5):
        for sgn in ((1.0, -1.0) if rng.random() < 0.5 else (-1.0, 1.0)):
            A = B + t * sgn * a
            if on_walk(A, B):
                pts.append(A)
                break
        if pts:
            break
    pts += [B, C]
    for b in (float(rng.uniform(6.0, 40.0)), 10.0, 3.0):
        done = False
        for sgn in ((1.0, -1.0) if rng.random() < 0.5 else (-1.0, 1.0)):
            D = C + t * sgn * b
            if on_walk(C, D):
                pts.append(D)
                done = True
                break
        if done:
            break
    path = Path.of(fillet(np.asarray(pts), CORNER_RADIUS))
    # The kerb: the first point on the carriageway, less the pedestrian's clearance.
    ss = np.arange(0.0, path.length, 0.1)
    xy = path.at(ss)[0]
    on_road = shapely.contains_xy(net.drivable, xy[:, 0], xy[:, 1])
    if not on_road.any():
        return None
    kerb = float(ss[int(np.argmax(on_road))]) - KERB_CLEARANCE
    if kerb <= 0.5:
        return None
    return path, kerb


def plan_crossers(planner: Planner, net: Network, cfg: SamplerConfig, rng: np.random.Generator,
                  crossings: list[Crossing], n: int, jaywalk: bool) -> int:
    """`n` pedestrians crossing at the given places; each waits at the kerb until its way is clear (standing
    there for good when it never is)."""
    if not crossings or n <= 0:
        return 0
    placed = 0
    for _ in range(n):
        cls = pick(rng, cfg.pedestrian_classes)
        mover = Mover.of(cls)
        v = walker_speed(cls, float(rng.uniform(*cfg.speeds.pedestrian)))
        for _try in range(3):
            c = crossings[int(rng.integers(len(crossings)))]
            got = crossing_path(net, c, rng, jaywalk)
            if got is None:
                continue
            path, kerb = got
            s0 = float(rng.uniform(0.0, max(kerb - 1.0, 0.0)))
            plan = planner.plan(path, mover, s0, 0.0, [v], yield_s=kerb + mover.length / 2, can_wait=not jaywalk,
                                always=True, end_at_rest=True)
            if plan is not None:
                planner.add_agent("jaywalker" if jaywalk else "pedestrian", cls, plan[0])
                placed += 1
                break
    return placed
