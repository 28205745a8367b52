"""Road templates: the static part of a procedural scene (roads, crosswalks, islands) and what traffic
planning needs to know about it (priority roads, junction centres, parking lanes, the roundabout ring).

Every template is centred near the origin and turned by a random heading. Roads are long enough that the ego
and the through traffic stay on them for the whole scene.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..layout.schema import Area, Crosswalk, LaneCounts, Road
from .config import SamplerConfig

RING_POINTS = 128  # vertices of a roundabout's closed centreline
ISLAND_MARGIN = 0.3  # m between the ring's inner edge and the central island


@dataclass
class Blueprint:
    """A template drawn with concrete numbers, before geometry is compiled.

    `major` roads carry priority (through) traffic; `junctions` are centre points where roads meet;
    `parking` lists (road, lane) strips used for parked cars only; `ring` is the roundabout's ring road id.
    `crosswalk_arms` names the roads that get a crossing next to each junction (or mid-block without one).
    """

    template: str
    roads: list[Road]
    major: set[str]
    junctions: list[np.ndarray]
    parking: set[tuple[str, int]] = field(default_factory=set)
    ring: str | None = None
    areas: list[Area] = field(default_factory=list)
    crosswalk_arms: list[str] = field(default_factory=list)
    urban: bool = False
    crosswalks: list[Crosswalk] = field(default_factory=list)


def _u(rng: np.random.Generator, lo_hi) -> float:
    lo, hi = lo_hi
    return float(rng.uniform(lo, hi)) if hi > lo else float(lo)


def _i(rng: np.random.Generator, lo_hi) -> int:
    lo, hi = int(lo_hi[0]), int(lo_hi[1])
    return int(rng.integers(lo, hi + 1))


def arm_length(cfg: SamplerConfig, speed_limit: float) -> float:
    """m from a junction to a road's end: the fastest through traffic stays on the map for the scene."""
    return float(np.clip(0.55 * speed_limit * cfg.duration + 70.0, 100.0, 420.0))


def _rot(phi: float) -> np.ndarray:
    c, s = np.cos(phi), np.sin(phi)
    return np.array([[c, -s], [s, c]])


def _pts(points: np.ndarray) -> tuple[tuple[float, float], ...]:
    return tuple((round(float(x), 3), round(float(y), 3)) for x, y in points)


def _dir(a: float) -> np.ndarray:
    return np.array([np.cos(a), np.sin(a)])


class _Drawer:
    """Shared draws of one template: lane counts, widths, limits, heading."""

    def __init__(self, cfg: SamplerConfig, rng: np.random.Generator):
        self.cfg, self.rng = cfg, rng
        rc = cfg.roads
        self.lane_width = round(_u(rng, rc.lane_width), 2)
        self.sidewalk = round(_u(rng, rc.sidewalk), 2)
        self.speed_limit = round(_u(rng, rc.speed_limit), 2)
        self.heading = float(rng.uniform(-np.pi, np.pi))
        self.R = _rot(self.heading)

    def road(self, rid: str, pts, lanes: tuple[int, int], smooth: bool = False, sidewalk: float | None = None,
             speed_limit: float | None = None, lane_width: float | None = None) -> Road:
        pts = np.asarray(pts, dtype=np.float64) @ self.R.T
        return Road(id=rid, centerline=_pts(pts), smooth=smooth, lanes=LaneCounts(forward=lanes[0], backward=lanes[1]),
                    lane_width=lane_width or self.lane_width,
                    sidewalk=self.sidewalk if sidewalk is None else sidewalk,
                    speed_limit=speed_limit or self.speed_limit)

    def main_lanes(self) -> tuple[int, int]:
        n = _i(self.rng, self.cfg.roads.lanes)
        return n, n

    def side_lanes(self) -> tuple[int, int]:
        n = _i(self.rng, self.cfg.roads.side_lanes)
        return n, n

    def point(self, p) -> np.ndarray:
        return self.R @ np.asarray(p, dtype=np.float64)


def straight(cfg: SamplerConfig, rng: np.random.Generator) -> Blueprint:
    d = _Drawer(cfg, rng)
    a = arm_length(cfg, d.speed_limit)
    main = d.road("main", [(-a, 0.0), (a, 0.0)], d.main_lanes())
    return Blueprint("straight", [main], {"main"}, [], crosswalk_arms=["main"])


def curved(cfg: SamplerConfig, rng: np.random.Generator) -> Blueprint:
    d = _Drawer(cfg, rng)
    a = arm_length(cfg, d.speed_limit)
    radius = _u(rng, cfg.roads.curve_radius)
    # Lateral acceleration on the curve stays comfortable at the limit: v² / R ≤ 2 m/s².
    limit = round(min(d.speed_limit, float(np.sqrt(2.0 * radius))), 2)
    span = min(2 * a / radius, 1.4 * np.pi)
    s_curve = bool(rng.random() < 0.4)
    n = 60
    if s_curve:
        # Two opposite arcs joined at the origin (an S bend).
        half = np.linspace(0.0, span / 2, n // 2 + 1)
        arc1 = np.stack([radius * np.sin(half), radius * (1 - np.cos(half))], axis=1)
        arc2 = -arc1[::-1]
        pts = np.vstack([arc2[:-1], arc1])
    else:
        ang = np.linspace(-span / 2, span / 2, n + 1)
        pts = np.stack([radius * np.sin(ang), radius * (1 - np.cos(ang))], axis=1)
    main = d.road("main", pts, d.main_lanes(), smooth=True, speed_limit=limit)
    return Blueprint("curved", [main], {"main"}, [], crosswalk_arms=["main"])


def _junction(cfg, rng, name: str, arm_angles: list[float], bend: float = 0.0) -> Blueprint:
    """A main road through the origin (bent by `bend` rad there) and side arms starting at the origin."""
    d = _Drawer(cfg, rng)
    a = arm_length(cfg, d.speed_limit)
    if abs(bend) > 1e-6:
        far = [(-a, 0.0), (-25.0, 0.0), (0.0, 0.0), tuple(25.0 * _dir(bend)), tuple(a * _dir(bend))]
        main = d.road("main", far, d.main_lanes(), smooth=True)
    else:
        main = d.road("main", [(-a, 0.0), (a, 0.0)], d.main_lanes())
    roads = [main]
    side_limit = round(min(d.speed_limit, 11.1), 2)
    for k, ang in enumerate(arm_angles):
        roads.append(d.road(f"arm{k + 1}", [(0.0, 0.0), tuple(a * _dir(ang))], d.side_lanes(),
                            speed_limit=side_limit))
    return Blueprint(name, roads, {"main"}, [d.point((0.0, 0.0))],
                     crosswalk_arms=[r.id for r in roads])


def t_junction(cfg: SamplerConfig, rng: np.random.Generator) -> Blueprint:
    side = 1 if rng.random() < 0.5 else -1
    return _junction(cfg, rng, "t_junction", [side * np.pi / 2 + rng.uniform(-0.15, 0.15)])


def junction3(cfg: SamplerConfig, rng: np.random.Generator) -> Blueprint:
    """A fork: the main road bends gently at the junction and a side road leaves at an acute angle."""
    bend = float(rng.uniform(-0.35, 0.35))
    side = 1 if rng.random() < 0.5 else -1
    return _junction(cfg, rng, "junction3", [bend + side * rng.uniform(0.75, 1.0)], bend=bend)


def junction4(cfg: SamplerConfig, rng: np.random.Generator) -> Blueprint:
    a1 = np.pi / 2 + rng.uniform(-0.25, 0.25)
    a2 = -np.pi / 2 + rng.uniform(-0.25, 0.25)
    return _junction(cfg, rng, "junction4", [a1, a2])


def junction5(cfg: SamplerConfig, rng: np.random.Generator) -> Blueprint:
    side = 1 if rng.random() < 0.5 else -1
    angles = [side * (np.pi / 2 - rng.uniform(0.45, 0.6)), side * (np.pi / 2 + rng.uniform(0.45, 0.6)),
              -side * np.pi / 2 + rng.uniform(-0.2, 0.2)]
    return _junction(cfg, rng, "junction5", angles)


def roundabout(cfg: SamplerConfig, rng: np.random.Generator) -> Blueprint:
    """A one-lane ring driven counter-clockwise (its lane lies outside the closed centreline) with 3 or 4 arms."""
    d = _Drawer(cfg, rng)
    radius = _u(rng, cfg.roads.roundabout_radius)
    ring_width = round(float(rng.uniform(4.5, 5.5)), 2)
    ring_limit = round(min(d.speed_limit, float(np.sqrt(1.6 * (radius + ring_width / 2)))), 2)
    ang = np.linspace(0.0, 2 * np.pi, RING_POINTS + 1)[:-1]
    circle = np.stack([radius * np.cos(ang), radius * np.sin(ang)], axis=1)
    circle = np.vstack([circle, circle[:1]])  # closed: the last point repeats the first
    ring = d.road("ring", circle, (1, 0), sidewalk=0.0, speed_limit=ring_limit, lane_width=ring_width)
    n_arms = 3 if rng.random() < 0.4 else 4
    base = np.linspace(0.0, 2 * np.pi, n_arms + 1)[:-1] + rng.uniform(-0.2, 0.2, n_arms)
    a = arm_length(cfg, min(d.speed_limit, 11.1))
    r0 = radius + ring_width - 1.0
    arm_limit = round(min(d.speed_limit, 11.1), 2)
    roads = [ring]
    for k, th in enumerate(base):
        roads.append(d.road(f"arm{k + 1}", [tuple(r0 * _dir(th)), tuple((r0 + a) * _dir(th))], (1, 1),
                            speed_limit=arm_limit))
    island = circle[:-1] * (radius - ISLAND_MARGIN) / radius @ d.R.T
    areas = [Area(cls="terrain", polygon=_pts(island))]
    return Blueprint("roundabout", roads, {"ring"}, [d.point((0.0, 0.0))], ring="ring", areas=areas,
                     crosswalk_arms=[r.id for r in roads[1:]])


def urban_parking(cfg: SamplerConfig, rng: np.random.Generator) -> Blueprint:
    """A city street: one traffic lane each way plus an outer parking lane on both sides, dense buildings."""
    d = _Drawer(cfg, rng)
    limit = round(min(d.speed_limit, 11.1), 2)
    a = arm_length(cfg, limit)
    main = d.road("main", [(-a, 0.0), (a, 0.0)], (2, 2), speed_limit=limit,
                  sidewalk=round(max(d.sidewalk, 3.0), 2))
    w = main.lane_width
    areas = []
    for side in (-1, 1):
        strip = np.array([(-a, side * w), (a, side * w), (a, side * 2 * w), (-a, side * 2 * w)]) @ d.R.T
        areas.append(Area(cls="parking", polygon=_pts(strip if side > 0 else strip[::-1])))
    return Blueprint("urban_parking", [main], {"main"}, [], parking={("main", 2), ("main", -2)}, areas=areas,
                     crosswalk_arms=["main"], urban=True)


def car_park(cfg: SamplerConfig, rng: np.random.Generator) -> Blueprint:
    """A car park: a slow two-way aisle between two rows of parking strips on each side (vehicles parked
    along them, head to tail), a zebra crossing, buildings around."""
    d = _Drawer(cfg, rng)
    limit = round(min(d.speed_limit, 5.6), 2)  # walking-pace driving in a car park
    a = arm_length(cfg, limit)
    main = d.road("main", [(-a, 0.0), (a, 0.0)], (3, 3), speed_limit=limit, sidewalk=round(max(d.sidewalk, 3.0), 2))
    w = main.lane_width
    areas = []
    for side in (-1, 1):
        strip = np.array([(-a, side * w), (a, side * w), (a, side * 3 * w), (-a, side * 3 * w)]) @ d.R.T
        areas.append(Area(cls="parking", polygon=_pts(strip if side > 0 else strip[::-1])))
    return Blueprint("car_park", [main], {"main"}, [], parking={("main", 2), ("main", 3), ("main", -2), ("main", -3)},
                     areas=areas, crosswalk_arms=["main"], urban=True)


TEMPLATE_BUILDERS = {
    "junction3": junction3, "junction4": junction4, "junction5": junction5, "straight": straight,
    "curved": curved, "roundabout": roundabout, "t_junction": t_junction, "urban_parking": urban_parking,
    "car_park": car_park,
}
