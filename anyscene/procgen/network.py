"""A template compiled into what traffic planning uses: road geometry, junction areas, crosswalks, and the
routes vehicles can take (lane following on priority roads, turns through junctions and the roundabout with a
yield line before the junction), sidewalk walking lines and crossing places for pedestrians."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon
from shapely.ops import unary_union

from ..layout.geometry import JUNCTION_FILLET, RoadGeometry, build_road_geometry, offset_polyline
from ..layout.schema import Crosswalk, Map
from .paths import Path, bezier, join
from .templates import Blueprint

JUNCTION_MARGIN = 1.0  # m added around the junction fillets: the area vehicles cross with care
CROSSWALK_WIDTH = (3.0, 5.0)  # m
CHECK_VEHICLE = (5.0, 2.0)  # m: length, width of the box whose swept footprint must stay on the road
STRAIGHT_ANGLE = np.radians(35)  # below this heading change a movement counts as going straight


@dataclass(frozen=True)
class Route:
    """A way through the map for a vehicle: `path`, the lane it starts on (`entry`), and `yield_s`, the path
    arc length of the yield line (where the front bumper stops), None on priority routes."""

    name: str
    path: Path
    entry: tuple[str, int]
    yield_s: float | None
    turn: str  # "lane", "straight", "left", "right" or "ring" (through the roundabout)


@dataclass(frozen=True)
class Crossing:
    """A place where pedestrians cross a road: the road's centre point `p` (2,), unit tangent `t` and left
    normal `n` there, the lateral offsets of the carriageway edges (`right` < 0 < `left`), the crossing's
    extent `half` m along the road and the sidewalk width each side (0 where there is none)."""

    road: str
    p: np.ndarray
    t: np.ndarray
    n: np.ndarray
    right: float
    left: float
    half: float
    sidewalk: float
    crosswalk: str | None  # crosswalk id, None for a jaywalking spot


@dataclass
class Network:
    """The compiled template: the map so far (no buildings or props yet), its geometry and the traffic routes."""

    blueprint: Blueprint
    map: Map
    roads: RoadGeometry
    junction_area: object  # shapely geometry, empty without junctions
    routes: dict[tuple[str, int], list[Route]]  # by entry lane
    lanes: dict[tuple[str, int], Path]
    sidewalk_lines: list[np.ndarray] = field(default_factory=list)  # polylines (N, 2) pedestrians walk on
    crossings: list[Crossing] = field(default_factory=list)
    ring_exits: dict[str, tuple[float, Path]] = field(default_factory=dict)  # arm -> (ring lane s, exit part)
    ring_lap: Path | None = None  # the ring lane twice around (circulating vehicles)
    ring_length: float = 0.0  # m, one lap of the ring lane

    @cached_property
    def walk_area(self):
        """Where a pedestrian's centre may stand on sidewalks (prepared shapely geometry)."""
        g = self.roads.sidewalks.buffer(-0.35)
        shapely.prepare(g)
        return g

    @cached_property
    def drivable(self):
        """The drivable surface (prepared shapely geometry)."""
        g = self.roads.drivable
        shapely.prepare(g)
        return g

    @property
    def traffic_lanes(self) -> list[tuple[str, int]]:
        return [k for k in self.lanes if k not in self.blueprint.parking]


def _first_last_inside(path: Path, region, step: float = 0.5) -> tuple[float, float] | None:
    if region.is_empty:
        return None
    ss = np.arange(0.0, path.length, step)
    xy = path.at(ss)[0]
    inside = shapely.contains_xy(region, xy[:, 0], xy[:, 1])
    if not inside.any():
        return None
    idx = np.flatnonzero(inside)
    return float(ss[idx[0]]), float(ss[idx[-1]])


def footprint_on(path: Path, region, length: float, width: float, s0: float = 0.0, s1: float | None = None,
                 step: float = 0.5) -> bool:
    """Whether a box of length × width m centred on the path keeps its corners and side midpoints inside
    `region` (a prepared shapely geometry) between arc lengths s0 and s1."""
    s1 = path.length if s1 is None else s1
    ss = np.arange(s0, s1 + 1e-9, step)
    xy, tg = path.at(ss)
    nrm = np.stack([-tg[:, 1], tg[:, 0]], axis=1)
    pts = []
    for u, v in ((1, 1), (1, -1), (-1, 1), (-1, -1), (0, 1), (0, -1), (1, 0), (-1, 0)):
        pts.append(xy + tg * (u * length / 2) + nrm * (v * width / 2))
    pts = np.concatenate(pts)
    return bool(shapely.contains_xy(region, pts[:, 0], pts[:, 1]).all())


def compile_network(bp: Blueprint, rng: np.random.Generator, crosswalk_share: float) -> Network:
    """Junction areas, crosswalks, geometry, routes and pedestrian lines of a blueprint."""
    base = Map(roads=tuple(bp.roads), areas=tuple(bp.areas))
    geo0 = build_road_geometry(base)
    junction = _junction_area(geo0)
    crosswalks = _place_crosswalks(bp, geo0, junction, rng, crosswalk_share)
    m = Map(roads=tuple(bp.roads), crosswalks=tuple(crosswalks), areas=tuple(bp.areas),
            ground="other_flat" if bp.urban else "terrain")
    geo = build_road_geometry(m)
    lanes = {k: Path.of_lane(v) for k, v in geo.lanes.items()}
    net = Network(bp, m, geo, junction, {}, lanes)
    drivable = geo.drivable.buffer(0.05)

    shapely.prepare(drivable)
    careful = unary_union([junction, *[p.buffer(1.0) for p in geo.crosswalks.values()]])
    _add_routes(net, drivable, careful)
    net.sidewalk_lines = _sidewalk_lines(m, geo)
    net.crossings = _crossings(m, geo, crosswalks)
    return net


def _junction_area(geo: RoadGeometry):
    """Where carriageways of different roads overlap, widened by the junction fillets."""
    ids = list(geo.carriageways)
    parts = []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            inter = geo.carriageways[ids[i]].intersection(geo.carriageways[ids[j]])
            if not inter.is_empty and inter.area > 0.5:
                parts.append(inter)
    if not parts:
        return Polygon()
    return unary_union(parts).buffer(JUNCTION_FILLET + JUNCTION_MARGIN)


def _place_crosswalks(bp: Blueprint, geo: RoadGeometry, junction, rng, share: float) -> list[Crosswalk]:
    """Zebra crossings next to junctions on each arm (with probability `share`), mid-block on lone roads."""
    out: list[Crosswalk] = []
    for road in bp.roads:
        if road.id not in bp.crosswalk_arms or road.sidewalk <= 0:
            continue
        c = geo.centerlines[road.id]
        line = Path.of(c)
        length = line.length
        width = round(float(rng.uniform(*CROSSWALK_WIDTH)), 2)
        inside = _first_last_inside(line, junction)
        spots: list[float] = []
        if inside is None:
            if rng.random() < share:
                spots.append(float(rng.uniform(0.35, 0.65)) * length)
            if bp.urban and rng.random() < share * 0.5:
                spots.append(float(rng.uniform(0.2, 0.3)) * length)
        else:
            lo, hi = inside
            if lo > 1.0 and rng.random() < share:
                spots.append(lo - 2.5 - width / 2)
            if hi < length - 1.0 and rng.random() < share:
                spots.append(hi + 2.5 + width / 2)
        for k, s in enumerate(spots):
            if width < s < length - width:
                out.append(Crosswalk(id=f"cw_{road.id}_{k + 1}", road=road.id, s=round(float(s), 2), width=width))
    return out


def _turn(d_in: np.ndarray, d_out: np.ndarray) -> str:
    ang = float(np.arctan2(d_in[0] * d_out[1] - d_in[1] * d_out[0], np.dot(d_in, d_out)))
    if abs(ang) < STRAIGHT_ANGLE:
        return "straight"
    return "left" if ang > 0 else "right"


def _connect(a: Path, s_a: float, b: Path, s_b: float, tail: bool = True) -> Path:
    """Path a up to s_a, a smooth connector, then path b from s_b on (or only its point at s_b)."""
    pa, ta = a.at([s_a])
    pb, tb = b.at([s_b])
    head = a.slice(0.0, s_a).points if s_a > 0.5 else a.at([0.0])[0]
    rest = b.slice(s_b, b.length).points if tail and s_b < b.length - 0.5 else pb
    return join(head, bezier(pa[0], ta[0], pb[0], tb[0]), rest)


def _yield_s(path: Path, careful) -> float | None:
    hit = _first_last_inside(path, careful, step=0.25)
    return None if hit is None else max(hit[0] - 0.5, 0.0)


def _add_routes(net: Network, drivable, careful) -> None:
    bp, geo = net.blueprint, net.roads
    routes: dict[tuple[str, int], list[Route]] = {}
    roads = {r.id: r for r in bp.roads}
    for key, path in net.lanes.items():
        road = roads[key[0]]
        if key in bp.parking or road.id == bp.ring:
            continue
        if road.id in bp.major or key[1] > 0:
            # Priority lanes and side-road lanes leaving the junction: plain lane following.
            routes.setdefault(key, []).append(Route(f"{key[0]}:{key[1]}", path, key, None, "lane"))
    if bp.ring is not None:
        _ring_routes(net, routes, drivable, careful)
    else:
        for key, path in net.lanes.items():
            road = roads[key[0]]
            if road.id in bp.major or key[1] > 0 or key in bp.parking:
                continue
            inside = _first_last_inside(path, net.junction_area)
            if inside is None:
                continue
            for ex_key, ex in net.lanes.items():
                if ex_key[0] == key[0] or ex_key in bp.parking or ex_key[0] != bp.ring and not (
                        ex_key[0] in bp.major or ex_key[1] > 0):
                    continue
                r = _junction_route(key, path, inside[0], ex_key, ex, net.junction_area, drivable, careful, roads)
                if r is not None:
                    routes.setdefault(key, []).append(r)
    net.routes = routes


def _junction_route(key, path, s_in, ex_key, ex, junction, drivable, careful, roads) -> Route | None:
    ex_inside = _first_last_inside(ex, junction)
    if ex_inside is None:
        return None
    s_out0 = ex_inside[1]
    d_in = path.at([s_in])[1][0]
    d_out = ex.at([s_out0])[1][0]
    turn = _turn(d_in, d_out)
    # Lane discipline: right turns from the outermost lane into the outermost, left turns from and into the
    # innermost, straight on lane by lane (clamped).
    n_in, n_out = _lane_count(roads, key), _lane_count(roads, ex_key)
    k_in, k_out = abs(key[1]), abs(ex_key[1])
    if turn == "right" and (k_in != n_in or k_out != n_out):
        return None
    if turn == "left" and (k_in != 1 or k_out != 1):
        return None
    if turn == "straight" and k_out != min(k_in, n_out):
        return None
    for extra in (0.0, 3.0, 6.0):
        a = max(s_in - extra, 1.0)
        b = min(s_out0 + extra, ex.length - 1.0)
        route = _connect(path, a, ex, b)
        if footprint_on(route, drivable, *CHECK_VEHICLE, s0=a - 1.0, s1=a + (b - s_out0) + 40.0):
            y = _yield_s(route, careful)
            return Route(f"{key[0]}:{key[1]}->{ex_key[0]}:{ex_key[1]}", route, key, y, turn)
    return None


def _lane_count(roads, key) -> int:
    r = roads[key[0]]
    return r.lanes.forward if key[1] > 0 else r.lanes.backward


def _ring_routes(net: Network, routes, drivable, careful) -> None:
    """Entries from every arm into the ring, exits from the ring into every arm, and the routes joining them."""
    bp = net.blueprint
    ring = net.lanes[(bp.ring, 1)]
    net.ring_length = ring.length
    net.ring_lap = join(ring.points, ring.points)
    arms = [r.id for r in bp.roads if r.id != bp.ring]
    entries: dict[str, tuple[Path, float, float]] = {}
    for arm in arms:
        inbound, outbound = net.lanes[(arm, -1)], net.lanes[(arm, 1)]
        axis = net.roads.centerlines[arm]
        theta = float(np.arctan2(axis[1, 1] - axis[0, 1], axis[1, 0] - axis[0, 0]))
        s_in = _first_last_inside(inbound, net.junction_area)
        s_out = _first_last_inside(outbound, net.junction_area)
        if s_in is None or s_out is None:
            continue
        # Entry: join the ring a little counter-clockwise of the arm; exit: leave it a little before the arm.
        for delta in (0.5, 0.65, 0.8, 0.95):
            s_ring = _ring_s(ring, theta + delta)
            head = _connect(inbound, s_in[0], ring_piece(net, s_ring, s_ring + 1.0), 0.0, tail=False)
            probe = join(head.points, ring_piece(net, s_ring, s_ring + 20.0).points)
            if footprint_on(probe, drivable, *CHECK_VEHICLE, s0=max(s_in[0] - 1.0, 0.0)):
                entries[arm] = (head, s_ring, s_in[0])
                break
        for delta in (0.5, 0.65, 0.8, 0.95):
            s_ring = _ring_s(ring, theta - delta)
            exit_part = _connect(ring_piece(net, s_ring - EXIT_RUN, s_ring), EXIT_RUN, outbound, s_out[1])
            if footprint_on(exit_part, drivable, *CHECK_VEHICLE, s1=EXIT_RUN + 60.0):
                net.ring_exits[arm] = (s_ring, exit_part)
                break
    for arm, (head, s_ring, _) in entries.items():
        for ex_arm in net.ring_exits:
            if ex_arm == arm:
                continue
            path = ring_route(net, s_ring, ex_arm, head=head)
            key = (arm, -1)
            routes.setdefault(key, []).append(
                Route(f"{arm}:-1->ring->{ex_arm}:1", path, key, _yield_s(path, careful), "ring"))


EXIT_RUN = 15.0  # m of ring lane before an exit connector


def _ring_s(ring: Path, angle: float) -> float:
    """Arc length along the ring lane of the vertex closest to the direction `angle` from the ring's centre."""
    centre = ring.points[:-1].mean(axis=0)
    d = ring.points - centre
    a = np.arctan2(d[:, 1], d[:, 0])
    k = int(np.argmin(np.abs(np.angle(np.exp(1j * (a - angle))))))
    return float(ring.s[k])


def ring_piece(net: Network, s0: float, s1: float) -> Path:
    """The ring lane from arc length s0 to s1 (s1 > s0, less than a lap more), wrapping past its seam."""
    a = s0 % net.ring_length
    return net.ring_lap.slice(a, min(a + max(s1 - s0, 0.5), net.ring_lap.length))


def ring_route(net: Network, s_start: float, exit_arm: str, head: Path | None = None) -> Path | None:
    """A path along the ring from lane arc length s_start to `exit_arm`'s exit, after `head` (an entry)."""
    if exit_arm not in net.ring_exits or net.ring_lap is None:
        return None
    s_exit, exit_part = net.ring_exits[exit_arm]
    travel = (s_exit - EXIT_RUN - s_start) % net.ring_length
    if travel < 5.0:
        travel += net.ring_length
    piece = ring_piece(net, s_start, s_start + travel)
    parts = ([head.points] if head is not None else []) + [piece.points, exit_part.points]
    return join(*parts)


def _sidewalk_lines(m: Map, geo: RoadGeometry) -> list[np.ndarray]:
    """Walking lines: sidewalk centre lines and two lines either side of them, clipped to the sidewalks."""
    out = []
    walk = geo.sidewalks.buffer(-0.45)
    if walk.is_empty:
        return out
    for r in m.roads:
        if r.sidewalk <= 0:
            continue
        c = geo.centerlines[r.id]
        right, left = -r.lanes.forward * r.lane_width, r.lanes.backward * r.lane_width
        band = max(r.sidewalk / 2 - 0.9, 0.0)
        for edge, sign in ((right, -1.0), (left, 1.0)):
            for frac in (-1.0, 0.0, 1.0) if band > 0.3 else (0.0,):
                off = edge + sign * (r.sidewalk / 2 + frac * band)
                pieces = LineString(offset_polyline(c, off)).intersection(walk)
                for g in getattr(pieces, "geoms", [pieces]):
                    if g.geom_type == "LineString" and g.length >= 8.0:
                        out.append(np.asarray(g.coords))
    return out


def _crossings(m: Map, geo: RoadGeometry, crosswalks: list[Crosswalk]) -> list[Crossing]:
    roads = {r.id: r for r in m.roads}
    out = []
    for cw in crosswalks:
        r = roads[cw.road]
        line = Path.of(geo.centerlines[r.id])
        (p,), (t,) = line.at([cw.s])
        n = np.array([-t[1], t[0]])
        out.append(Crossing(r.id, p, t, n, -r.lanes.forward * r.lane_width, r.lanes.backward * r.lane_width,
                            cw.width / 2, r.sidewalk, cw.id))
    return out


def jaywalk_spots(net: Network, rng: np.random.Generator, n: int) -> list[Crossing]:
    """`n` random places to cross a road away from junctions and crosswalks (both sides with sidewalks)."""
    out = []
    roads = [r for r in net.map.roads if r.sidewalk > 0 and r.id != net.blueprint.ring]
    if not roads:
        return out

    avoid = unary_union([net.junction_area, *[cw.buffer(10.0) for cw in net.roads.crosswalks.values()]])
    avoid = avoid.buffer(8.0) if not avoid.is_empty else avoid
    shapely.prepare(avoid)
    for _ in range(n * 6):
        if len(out) >= n:
            break
        r = roads[int(rng.integers(len(roads)))]
        line = Path.of(net.roads.centerlines[r.id])
        s = float(rng.uniform(0.2, 0.8)) * line.length
        (p,), (t,) = line.at([s])
        nrm = np.array([-t[1], t[0]])
        right, left = -r.lanes.forward * r.lane_width, r.lanes.backward * r.lane_width
        ends = np.array([p + nrm * (right - r.sidewalk / 2), p + nrm * (left + r.sidewalk / 2)])
        if not avoid.is_empty and shapely.intersects_xy(avoid, *np.vstack([ends, p[None]]).T).any():
            continue
        if not shapely.contains_xy(net.walk_area, ends[:, 0], ends[:, 1]).all():
            continue
        out.append(Crossing(r.id, p, t, nrm, right, left, 0.0, r.sidewalk, None))
    return out
