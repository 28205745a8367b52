"""Road geometry compiled from the map: lane centrelines, the drivable surface, sidewalks, crosswalks and the
lane markings renderers draw. Polygons are shapely geometries in the world frame (metres)."""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, Polygon, box
from shapely.ops import unary_union

from .schema import Crosswalk, Map, Road

JUNCTION_FILLET = 4.0  # m: curb radius where roads meet (morphological closing of the carriageways)
DASH, GAP = 3.0, 6.0  # m: lane-divider dash pattern
LINE_WIDTH = 0.15  # m: painted line width
STOP_LINE_WIDTH = 0.4  # m
STRIPE, STRIPE_GAP = 0.5, 0.5  # m: zebra stripes


def prop_footprint(xy, yaw: float, length: float, width: float):
    """The rectangle of a prop (shapely Polygon), length along yaw."""
    c, s = np.cos(yaw), np.sin(yaw)
    hl, hw = length / 2, width / 2
    pts = [(xy[0] + c * u - s * v, xy[1] + s * u + c * v) for u, v in ((hl, hw), (-hl, hw), (-hl, -hw), (hl, -hw))]
    return Polygon(pts)


def boxes_overlap(c1, yaw1, h1, c2, yaw2, h2) -> np.ndarray:
    """Separating-axis test of K pairs of oriented rectangles: centres (K, 2), headings (K,) rad, half
    length/width (K, 2). True where the interiors overlap (touching is not overlapping)."""
    u1 = np.stack([np.cos(yaw1), np.sin(yaw1)], -1)
    u2 = np.stack([np.cos(yaw2), np.sin(yaw2)], -1)
    v1, v2 = np.stack([-u1[:, 1], u1[:, 0]], -1), np.stack([-u2[:, 1], u2[:, 0]], -1)
    d = c2 - c1
    separated = np.zeros(len(d), dtype=bool)
    for a in (u1, v1, u2, v2):
        r1 = h1[:, 0] * np.abs(np.sum(u1 * a, -1)) + h1[:, 1] * np.abs(np.sum(v1 * a, -1))
        r2 = h2[:, 0] * np.abs(np.sum(u2 * a, -1)) + h2[:, 1] * np.abs(np.sum(v2 * a, -1))
        separated |= np.abs(np.sum(d * a, -1)) >= r1 + r2
    return ~separated


def polyline_arclength(pts: np.ndarray) -> np.ndarray:
    """Cumulative arc length (N,) of points (N, 2)."""
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])


def catmull_rom(pts: np.ndarray, step: float = 0.5) -> np.ndarray:
    """A centripetal-free uniform Catmull-Rom spline through pts, sampled about every `step` metres."""
    if len(pts) < 3:
        return pts
    if _closed(pts):  # a ring: wrap the neighbours so the seam is as smooth as the rest
        ext = np.vstack([pts[-2], pts, pts[1]])
    else:
        ext = np.vstack([2 * pts[0] - pts[1], pts, 2 * pts[-1] - pts[-2]])
    out = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        n = max(2, int(np.ceil(np.hypot(*(p2 - p1)) / step)))
        s = np.linspace(0, 1, n, endpoint=False)[:, None]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * s + (2 * p0 - 5 * p1 + 4 * p2 - p3) * s ** 2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * s ** 3))
    out.append(pts[-1:])
    return np.vstack(out)


def _closed(pts: np.ndarray) -> bool:
    """Whether a polyline of more than two segments ends where it starts (a ring)."""
    return len(pts) > 3 and bool(np.hypot(*(pts[-1] - pts[0])) < 1e-6)


def _mitre(n0: np.ndarray, n1: np.ndarray) -> np.ndarray:
    m = n0 + n1
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    cos = np.sum(m * n1, axis=-1, keepdims=True)
    return m / np.maximum(cos, 0.3)


def offset_polyline(pts: np.ndarray, d: float) -> np.ndarray:
    """Points offset by d to the left (positive) of the direction of travel, mitred at vertices (also at the
    seam of a closed ring)."""
    seg = np.diff(pts, axis=0)
    seg /= np.linalg.norm(seg, axis=1, keepdims=True)
    normals = np.stack([-seg[:, 1], seg[:, 0]], axis=1)
    vn = np.empty_like(pts)
    vn[0], vn[-1] = normals[0], normals[-1]
    if len(pts) > 2:
        vn[1:-1] = _mitre(normals[:-1], normals[1:])
    if _closed(pts):
        vn[0] = vn[-1] = _mitre(normals[-1], normals[0])
    return pts + d * vn


@dataclass(frozen=True)
class LaneLine:
    """A lane centreline in its driving direction: points (N, 2) m and cumulative arc length s (N,) m."""

    road: str
    lane: int
    points: np.ndarray
    s: np.ndarray
    _sl: list | None = field(default=None, repr=False, compare=False)
    _pl: list | None = field(default=None, repr=False, compare=False)

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def at_scalar(self, s: float) -> tuple[float, float, float, float]:
        """(x, y, tangent x, tangent y) at one arc length, the same formulas as `at`."""
        if self._sl is None:
            object.__setattr__(self, "_sl", self.s.tolist())
            object.__setattr__(self, "_pl", self.points.tolist())
        sl, pl = self._sl, self._pl
        s = min(max(float(s), 0.0), sl[-1])
        i = min(max(bisect.bisect_right(sl, s) - 1, 0), len(sl) - 2)
        (x0, y0), (x1, y1) = pl[i], pl[i + 1]
        seglen = sl[i + 1] - sl[i]
        tx, ty = (x1 - x0) / seglen, (y1 - y0) / seglen
        d = s - sl[i]
        return x0 + tx * d, y0 + ty * d, tx, ty

    def at(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions (N, 2) and unit tangents (N, 2) at arc lengths s (clamped to the lane)."""
        s = np.clip(np.asarray(s, dtype=np.float64), 0.0, self.length)
        i = np.clip(np.searchsorted(self.s, s, side="right") - 1, 0, len(self.s) - 2)
        seg = self.points[i + 1] - self.points[i]
        seglen = self.s[i + 1] - self.s[i]
        tangent = seg / seglen[:, None]
        return self.points[i] + tangent * (s - self.s[i])[:, None], tangent


@dataclass(frozen=True)
class Marking:
    """A painted marking: kind (edge, divider, centre, stop_line, crosswalk), colour ('white'/'yellow')."""

    kind: str
    color: str
    polygon: object  # shapely Polygon or MultiPolygon


@dataclass(frozen=True)
class RoadGeometry:
    """Every road-derived shape of a map."""

    centerlines: dict  # road id -> (N, 2) densified centreline
    lanes: dict  # (road id, lane) -> LaneLine
    carriageways: dict  # road id -> Polygon
    drivable: object  # union of carriageways with junction fillets, plus crosswalks
    sidewalks: object  # sidewalk strips minus the drivable surface
    crosswalks: dict  # crosswalk id -> Polygon
    markings: tuple[Marking, ...]

    def lane(self, road: str, lane: int) -> LaneLine:
        return self.lanes[(road, lane)]


def _strip(center: np.ndarray, d0: float, d1: float):
    a, b = offset_polyline(center, d0), offset_polyline(center, d1)
    poly = Polygon(np.vstack([a, b[::-1]]))
    return poly if poly.is_valid else poly.buffer(0)


def road_centerline(road: Road) -> np.ndarray:
    pts = np.asarray(road.centerline, dtype=np.float64)
    pts = catmull_rom(pts) if road.smooth else pts
    keep = np.concatenate([[True], np.hypot(*np.diff(pts, axis=0).T) > 1e-6])
    return pts[keep]


def _lane_lines(road: Road, center: np.ndarray) -> dict:
    w = road.lane_width
    lanes = {}
    for i in range(1, road.lanes.forward + 1):
        pts = offset_polyline(center, -(i - 0.5) * w)
        lanes[(road.id, i)] = LaneLine(road.id, i, pts, polyline_arclength(pts))
    for i in range(1, road.lanes.backward + 1):
        pts = offset_polyline(center, (i - 0.5) * w)[::-1].copy()
        lanes[(road.id, -i)] = LaneLine(road.id, -i, pts, polyline_arclength(pts))
    return lanes


def _crosswalk_polygon(cw: Crosswalk, roads: dict, centers: dict):
    if cw.polygon is not None:
        return Polygon(cw.polygon)
    road, center = roads[cw.road], centers[cw.road]
    s = polyline_arclength(center)
    line = LaneLine(road.id, 0, center, s)
    (p,), (tng,) = line.at(np.array([cw.s]))
    nrm = np.array([-tng[1], tng[0]])
    right, left = -road.lanes.forward * road.lane_width, road.lanes.backward * road.lane_width
    h = cw.width / 2
    corners = [p + tng * -h + nrm * right, p + tng * h + nrm * right, p + tng * h + nrm * left,
               p + tng * -h + nrm * left]
    return Polygon(corners)


def _zebra(poly, direction: np.ndarray):
    """Stripes inside a crosswalk polygon, running along `direction` (the road's), spaced across it."""
    ang = np.degrees(np.arctan2(direction[1], direction[0]))
    c = poly.centroid
    local = affinity.rotate(poly, -ang, origin=c)
    x0, y0, x1, y1 = local.bounds
    bars = [box(x0, y, x1, y + STRIPE) for y in np.arange(y0 + STRIPE_GAP / 2, y1 - STRIPE / 2, STRIPE + STRIPE_GAP)]

    return affinity.rotate(unary_union(bars), ang, origin=c).intersection(poly.buffer(-0.2))


def _dashed(pts: np.ndarray, width: float):
    s = polyline_arclength(pts)
    parts = []
    for a in np.arange(0.0, s[-1], DASH + GAP):
        b = min(a + DASH, s[-1])
        if b - a <= 0.1:
            continue
        i0, i1 = np.searchsorted(s, [a, b], side="right")
        inner = pts[i0:i1][(s[i0:i1] > a) & (s[i0:i1] < b)]
        ends = np.stack([np.interp([a, b], s, pts[:, 0]), np.interp([a, b], s, pts[:, 1])], axis=1)
        parts.append(LineString(np.vstack([ends[:1], inner, ends[1:]])).buffer(width / 2, cap_style="flat"))
    return unary_union(parts)


def _solid(pts: np.ndarray, width: float):
    return LineString(pts).buffer(width / 2, cap_style="flat")


def build_road_geometry(m: Map) -> RoadGeometry:
    """Compile roads and crosswalks into lanes, surfaces and markings."""
    roads = {r.id: r for r in m.roads}
    centers = {r.id: road_centerline(r) for r in m.roads}
    lanes, carriage, strips = {}, {}, []
    for r in m.roads:
        c = centers[r.id]
        lanes.update(_lane_lines(r, c))
        right, left = -r.lanes.forward * r.lane_width, r.lanes.backward * r.lane_width
        carriage[r.id] = _strip(c, right, left)
        if r.sidewalk > 0:
            strips += [_strip(c, right - r.sidewalk, right), _strip(c, left, left + r.sidewalk)]
    crosswalks = {cw.id: _crosswalk_polygon(cw, roads, centers) for cw in m.crosswalks}
    union = unary_union(list(carriage.values()))
    if not union.is_empty:
        union = union.buffer(JUNCTION_FILLET).buffer(-JUNCTION_FILLET)
    drivable = unary_union([union, *crosswalks.values()]) if crosswalks else union
    sidewalks = unary_union(strips).difference(drivable) if strips else unary_union([])

    markings: list[Marking] = []
    for r in m.roads:
        c = centers[r.id]
        others = unary_union([p for k, p in carriage.items() if k != r.id] + list(crosswalks.values()))
        clip = others.buffer(0.5) if not others.is_empty else others

        def add(kind, color, geom):
            geom = geom.difference(clip) if not clip.is_empty else geom
            if not geom.is_empty:
                markings.append(Marking(kind, color, geom))

        right, left = -r.lanes.forward * r.lane_width, r.lanes.backward * r.lane_width
        add("edge", "white", _solid(offset_polyline(c, right + 0.3), LINE_WIDTH))
        add("edge", "white", _solid(offset_polyline(c, left - 0.3), LINE_WIDTH))
        if r.lanes.forward and r.lanes.backward:
            for d in (-0.12, 0.12):
                add("centre", "yellow", _solid(offset_polyline(c, d), LINE_WIDTH))
        for i in range(1, r.lanes.forward):
            add("divider", "white", _dashed(offset_polyline(c, -i * r.lane_width), LINE_WIDTH))
        for i in range(1, r.lanes.backward):
            add("divider", "white", _dashed(offset_polyline(c, i * r.lane_width), LINE_WIDTH))
        # Stop lines where traffic enters a junction or a crosswalk, a little before it.
        if not clip.is_empty:
            markings += _stop_lines(r, c, clip)
    for cw in m.crosswalks:
        poly = crosswalks[cw.id]
        if cw.road is not None:
            _, (tng,) = LaneLine(cw.road, 0, centers[cw.road], polyline_arclength(centers[cw.road])).at(
                np.array([cw.s]))
        else:
            ext = np.asarray(poly.exterior.coords)
            tng = (ext[1] - ext[0]) / max(np.hypot(*(ext[1] - ext[0])), 1e-9)
        markings.append(Marking("crosswalk", "white", _zebra(poly, tng)))
    return RoadGeometry(centers, lanes, carriage, drivable, sidewalks, crosswalks, tuple(markings))


def _stop_lines(r: Road, c: np.ndarray, clip) -> list[Marking]:
    s = polyline_arclength(c)
    line = LaneLine(r.id, 0, c, s)
    ss = np.arange(0.0, s[-1], 0.25)
    inside = shapely.contains_xy(clip, *line.at(ss)[0].T)
    edges = np.flatnonzero(np.diff(inside.astype(np.int8)))
    right, left = -r.lanes.forward * r.lane_width, r.lanes.backward * r.lane_width
    out = []
    for e in edges:
        entering = not inside[e]  # along +s the centreline enters the region: forward lanes stop here
        lo, hi = (0.0, right) if entering else (0.0, left)
        if hi == 0.0:
            continue
        pos = ss[e] - 1.0 if entering else ss[e + 1] + 1.0
        if not 0.0 <= pos <= s[-1]:
            continue
        (p,), (tng,) = line.at(np.array([pos]))
        nrm = np.array([-tng[1], tng[0]])
        out.append(Marking("stop_line", "white", _solid(np.array([p + nrm * lo, p + nrm * hi]), STOP_LINE_WIDTH)))
    return out
