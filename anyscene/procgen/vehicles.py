"""Vehicle traffic of a procedural scene: the ego, lane streams on every road (a population at the start and
arrivals at the lane entries during the scene), cyclists on outer lanes, and cut-ins between adjacent lanes.

Priority lanes are planned first and keep their speed (slower options only when the lane ahead is blocked);
vehicles on side roads and roundabout entries follow in order of arrival at their yield line and give way:
they stop there (or queue behind it) and go when their way through the junction is clear.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import shapely

from ..classes import AGENT_CLASSES
from ..layout.geometry import offset_polyline, polyline_arclength
from ..layout.schema import Ego
from .config import SamplerConfig
from .network import Network, Route, ring_route
from .paths import Path
from .planner import Mover, Planner

EGO_DEFAULTS = {f.name: f.default for f in fields(Ego)}  # the schema's ego size and rear overhang
SPAWN_S = 0.5  # m from a lane's start where arriving vehicles appear
SLOWER = (1.0, 0.8, 0.6, 0.45)  # speed factors tried when a lane ahead is slower or blocked
ROUNDABOUT_ENTRY_SPEED = 3.5  # m/s at a roundabout's yield line when the ring is clear


def pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = sorted(k for k, v in weights.items() if v > 0)
    w = np.array([weights[k] for k in names], dtype=np.float64)
    return names[int(rng.choice(len(names), p=w / w.sum()))]


@dataclass
class Candidate:
    """A vehicle waiting to be planned: its route, class, start arc length and time, desired speed."""

    route: Route
    cls: str
    s0: float
    t0: float
    speed: float
    kind: str = "vehicle"  # "vehicle" or "cyclist"

    def eta(self) -> float:
        """Estimated time at the yield line (the planning order of yielding vehicles)."""
        y = self.route.yield_s if self.route.yield_s is not None else self.route.path.length
        return self.t0 + max(y - self.s0, 0.0) / max(self.speed, 0.1)


def lane_speeds(net: Network, cfg: SamplerConfig, rng: np.random.Generator) -> dict[tuple[str, int], float]:
    """A desired speed per lane, capped by its road's limit."""
    roads = {r.id: r for r in net.map.roads}
    out = {}
    for key in net.lanes:
        v = float(rng.uniform(*cfg.speeds.vehicle))
        out[key] = round(min(v, roads[key[0]].speed_limit), 2)
    return out


def choose_ego(net: Network, cfg: SamplerConfig, rng: np.random.Generator) -> tuple[Route, float, float]:
    """The ego's route, start arc length and speed: a priority lane through the scene, or (ego_turn_share)
    a turn from a side road or through the roundabout."""
    roads = {r.id: r for r in net.map.roads}
    T = cfg.duration
    turning = [r for rs in net.routes.values() for r in rs if r.yield_s is not None]
    if turning and (net.blueprint.ring is not None or rng.random() < cfg.behaviour.ego_turn_share):
        route = turning[int(rng.integers(len(turning)))]
        limit = roads[route.entry[0]].speed_limit
        v = min(float(rng.uniform(*cfg.speeds.ego)), limit)
        # Reach the yield line a third of the way into the scene (with room to stop), never run out of road.
        s0 = max(route.yield_s - max(v * T * rng.uniform(0.2, 0.4), v * v / (2 * 2.0) + 15.0), 5.0)
        s0 = min(s0, max(route.path.length - v * T - 10.0, 1.0))
        return route, s0, v
    lanes = [r for k, rs in net.routes.items() for r in rs if r.turn == "lane" and k[0] in net.blueprint.major]
    route = lanes[int(rng.integers(len(lanes)))]
    limit = roads[route.entry[0]].speed_limit
    length = route.path.length
    v = min(float(rng.uniform(*cfg.speeds.ego)), limit, (length - 20.0) / T)
    mid = length / 2
    s0 = float(np.clip(mid - v * T * rng.uniform(0.3, 0.6), 5.0, length - v * T - 10.0))
    return route, s0, v


def plan_ego(planner: Planner, route: Route, s0: float, v: float) -> Ego:
    """Reserve the ego's motion (it must exist: it may wait at its yield line for the whole scene)."""
    length, width, _ = EGO_DEFAULTS["size"]
    mover = Mover(AGENT_CLASSES["car"], length, width, rear_offset=length / 2 - EGO_DEFAULTS["rear_overhang"])
    got = planner.plan(route.path, mover, s0, 0.0, [v], yield_s=route.yield_s, always=True,
                       rolling=rolling_speed(route))
    if got is None:
        raise Unplaceable(f"no collision-free motion for the ego on route {route.name}")
    return Ego(trajectory=got[0])


class Unplaceable(Exception):
    """A draw that cannot be completed (the sampler draws the scene again with the next attempt number)."""


def stream(net: Network, cfg: SamplerConfig, rng: np.random.Generator, speeds: dict) -> list[Candidate]:
    """Initial vehicles along every entry lane and arrivals at the lane entries over the scene."""
    T = cfg.duration
    density = cfg.density.vehicles
    gap_lo, gap_hi = cfg.behaviour.time_gap
    out: list[Candidate] = []
    if density <= 0:
        return out
    for key, routes in sorted(net.routes.items()):
        v = speeds[key]
        yield_routes = [r for r in routes if r.yield_s is not None]
        lane = net.lanes[key]
        if yield_routes:
            brake = v * v / (2 * 2.0) + 8.0
            hi = min(r.yield_s for r in yield_routes) - brake
        else:
            hi = lane.length - 5.0
        lo = SPAWN_S
        if key[1] > 0 and key[0] not in net.blueprint.major:
            inside = _leave_s(net, lane)
            lo = max(lo, inside + 6.0)  # side-road lanes leaving the junction: only beyond it
        mean = 100.0 / density
        s = hi - rng.uniform(0.0, mean)
        while s > lo:
            cls = pick(rng, cfg.vehicle_classes)
            out.append(Candidate(routes[int(rng.integers(len(routes)))], cls, float(s), 0.0, v))
            s -= _spacing(rng, v, mean, gap_lo, gap_hi)
        # Arrivals keep the flow: a vehicle crosses the lane entry every spacing / v seconds.
        if key[1] < 0 or key[0] in net.blueprint.major:
            t = max((SPAWN_S - s) / v, 0.0) + 0.1
            while t < T - 2.0:
                cls = pick(rng, cfg.vehicle_classes)
                out.append(Candidate(routes[int(rng.integers(len(routes)))], cls, SPAWN_S, round(t, 2), v))
                t += _spacing(rng, v, mean, gap_lo, gap_hi) / v
    if net.blueprint.ring is not None:
        out += _ring_population(net, cfg, rng)
    return out


def _ring_population(net: Network, cfg: SamplerConfig, rng) -> list[Candidate]:
    """Vehicles circulating at the start, each heading for a random exit."""
    out = []
    exits = sorted(net.ring_exits)
    if not exits:
        return out
    limit = next(r.speed_limit for r in net.map.roads if r.id == net.blueprint.ring)
    n = int(rng.poisson(cfg.density.vehicles * net.ring_length / 100.0))
    starts = np.sort(rng.uniform(0.0, net.ring_length, n))
    for s in starts:
        ex = exits[int(rng.integers(len(exits)))]
        path = ring_route(net, float(s), ex)
        v = min(float(rng.uniform(*cfg.speeds.vehicle)), limit)
        route = Route(f"ring->{ex}:1", path, (net.blueprint.ring, 1), None, "ring")
        out.append(Candidate(route, pick(rng, cfg.vehicle_classes), 0.0, 0.0, v))
    return out


def _leave_s(net: Network, lane: Path) -> float:
    if net.junction_area.is_empty:
        return 0.0
    ss = np.arange(0.0, lane.length, 0.5)
    xy = lane.at(ss)[0]
    inside = shapely.contains_xy(net.junction_area, xy[:, 0], xy[:, 1])
    return float(ss[np.flatnonzero(inside)[-1]]) if inside.any() else 0.0


def _spacing(rng, v: float, mean: float, gap_lo: float, gap_hi: float) -> float:
    """Centre-to-centre spacing (m): at least the minimum time gap plus a car length, on average `mean`."""
    least = v * gap_lo + 6.0
    most = max(v * gap_hi + 6.0, least)
    extra = rng.exponential(max(mean - least, 0.0)) if mean > least else 0.0
    return float(min(least + extra, max(most, mean * 3)))


def cyclists(net: Network, cfg: SamplerConfig, rng: np.random.Generator) -> list[Candidate]:
    """Cyclists at the start on the outer lane of each direction (not on the ring or parking strips)."""
    out: list[Candidate] = []
    if cfg.density.cyclists <= 0 or not any(v > 0 for v in cfg.cyclist_classes.values()):
        return out
    roads = {r.id: r for r in net.map.roads}
    for key, routes in sorted(net.routes.items()):
        r = roads[key[0]]
        n_lanes = r.lanes.forward if key[1] > 0 else r.lanes.backward
        outer = abs(key[1]) == n_lanes or (key[0], (n_lanes + 1) * np.sign(key[1])) in net.blueprint.parking
        if not outer or key in net.blueprint.parking:
            continue
        lane = net.lanes[key]
        n = int(rng.poisson(cfg.density.cyclists * lane.length / 100.0))
        hi = min([r.yield_s - 12.0 for r in routes if r.yield_s is not None] or [lane.length - 5.0])
        for _ in range(n):
            if hi <= 5.0:
                break
            s = float(rng.uniform(5.0, hi))
            v = float(rng.uniform(*cfg.speeds.cyclist))
            out.append(Candidate(routes[int(rng.integers(len(routes)))], pick(rng, cfg.cyclist_classes), s, 0.0, v,
                                 kind="cyclist"))
    return out


def plan_vehicles(planner: Planner, cands: list[Candidate], yielding: bool) -> int:
    """Plan candidates (priority ones lane by lane from the front, yielding ones by arrival at the yield line);
    return how many were placed."""
    if yielding:
        order = sorted(cands, key=lambda c: (c.eta(), c.route.entry, -c.s0))
    else:
        order = sorted(cands, key=lambda c: (c.route.entry, c.t0, -c.s0))
    placed = 0
    for c in order:
        mover = Mover.of(c.cls)
        speeds = class_speeds(c.cls, [c.speed * f for f in SLOWER])
        got = planner.plan(c.route.path, mover, c.s0, c.t0, speeds, yield_s=c.route.yield_s,
                           rolling=rolling_speed(c.route))
        if got is not None:
            planner.add_agent(c.kind if c.kind == "cyclist" else _kind_name(c.cls), c.cls, got[0])
            placed += 1
    return placed


def class_speeds(cls: str, speeds: list[float]) -> list[float]:
    """Speeds to try, each within the class's typical speed (slow classes hold up their lane), no repeats."""
    top = 0.95 * AGENT_CLASSES[cls].typical_speed
    out: list[float] = []
    for v in speeds:
        v = round(min(v, top), 2)
        if v > 0 and v not in out:
            out.append(v)
    return out


def rolling_speed(route: Route) -> float:
    """Speed (m/s) at the yield line: roundabout entries give way rolling, side roads stop at the line."""
    return ROUNDABOUT_ENTRY_SPEED if route.turn == "ring" else 0.0


def _kind_name(cls: str) -> str:
    return {"emergency_vehicle": "emergency", "construction_vehicle": "construction"}.get(cls, cls)


def cut_ins(planner: Planner, net: Network, cfg: SamplerConfig, rng: np.random.Generator, speeds: dict,
            ego_route: Route, ego_s0: float, ego_v: float, n: int) -> int:
    """Up to `n` vehicles changing into an adjacent lane of their direction into a gap; the first one tries to
    cut in ahead of the ego when it drives on a multi-lane road."""
    roads = {r.id: r for r in net.map.roads}
    pairs = []
    for (rid, lane) in net.traffic_lanes:
        if rid not in net.blueprint.major or rid == net.blueprint.ring:
            continue
        for nb in (lane - 1, lane + 1) if lane > 0 else (lane + 1, lane - 1):
            if nb != 0 and np.sign(nb) == np.sign(lane) and (rid, nb) in net.lanes and \
                    (rid, nb) not in net.blueprint.parking:
                pairs.append(((rid, lane), (rid, nb)))
    if not pairs or n <= 0:
        return 0
    placed = 0
    T = cfg.duration
    for attempt in range(n * 4):
        if placed >= n:
            break
        targeted = attempt == 0 and ego_route.turn == "lane" and any(p[1] == ego_route.entry for p in pairs)
        if targeted:
            options = [p for p in pairs if p[1] == ego_route.entry]
            src, dst = options[int(rng.integers(len(options)))]
            v = round(min(ego_v * rng.uniform(1.0, 1.15), roads[src[0]].speed_limit), 2)
            s0 = ego_s0 + rng.uniform(5.0, 20.0)
            t_change = float(rng.uniform(1.0, max(1.5, T * 0.4)))
        else:
            src, dst = pairs[int(rng.integers(len(pairs)))]
            v = speeds[src]
            s0 = float(rng.uniform(10.0, net.lanes[src].length * 0.6))
            t_change = float(rng.uniform(0.5, max(1.0, T - 5.0)))
        cls = pick(rng, {k: w for k, w in cfg.vehicle_classes.items() if AGENT_CLASSES[k].kind == "vehicle"}
                   or {"car": 1.0})
        path = lane_change_path(net, roads[src[0]], src[1], dst[1], s0 + v * t_change, v * rng.uniform(3.5, 5.0))
        if path is None:
            continue
        got = planner.plan(path, Mover.of(cls), s0, 0.0, class_speeds(cls, [v]), yield_s=None)
        if got is not None:
            planner.add_agent("cut_in", cls, got[0])
            placed += 1
    return placed


def lane_change_path(net: Network, road, lane: int, target: int, s_start: float, run: float) -> Path | None:
    """A path along `lane` that moves over to `target` (same direction) between arc lengths s_start and
    s_start + run (a quintic smoothstep of the lateral offset), then follows it."""
    c = net.roads.centerlines[road.id]
    base = c if lane > 0 else c[::-1].copy()
    w = road.lane_width
    d0, d1 = -(abs(lane) - 0.5) * w, -(abs(target) - 0.5) * w

    u = polyline_arclength(base)
    if s_start + run > u[-1] - 20.0:
        return None
    fine = np.arange(0.0, u[-1], 0.5)
    pts = Path.of(base).at(fine)[0]
    normal = offset_polyline(pts, 1.0) - pts
    x = np.clip((fine - s_start) / run, 0.0, 1.0)
    blend = x ** 3 * (10 - 15 * x + 6 * x * x)
    d = d0 + (d1 - d0) * blend
    return Path.of(pts + normal * d[:, None])
