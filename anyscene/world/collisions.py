"""Where bodies may be and what they may not touch: the drivable surface and pairwise overlaps of boxes,
vectorised over bodies and sample times. Bodies are `Body`; centres (B, M, 2) m, headings (B, M) rad and
presence (B, M) bool at M sample times (s)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Polygon, box
from shapely.ops import unary_union

from ..classes import STATIC_CLASSES, STATIC_PROPS, AgentClass
from ..layout.checks import Findings, Usable
from ..layout.geometry import RoadGeometry, boxes_overlap, prop_footprint
from ..layout.schema import Map

OVERLAP_TOLERANCE = 0.05  # m: boxes are shrunk by this on every side, so touching is allowed
SURFACE_TOLERANCE = 0.5  # m: vehicles may overhang the drivable surface by this much
ROAD_END_CAP = 10.0  # m: beyond a road's end, where vehicles enter and leave the scene
MAX_PAIRS_LISTED = 50  # overlapping pairs reported one by one; the rest are counted in one line
MAX_PAIRS_FOUND = 10_000  # overlapping pairs after which the search stops


@dataclass(frozen=True)
class Body:
    """A box that moves (or stands) through the scene: an agent, a prop of an agent class, or the ego.

    `noun` is "agent", "prop" or "ego"; `index` its position in `agents` or `map.props` (-1 for the ego).
    `motion` gives the reference point: the box centre, or for the ego the rear axle, `rear_offset` m behind
    the centre along the heading. `length`/`width` in metres. Present for appear ≤ t ≤ disappear (s).
    """

    noun: str
    ident: str
    index: int
    klass: AgentClass
    length: float
    width: float
    motion: object
    appear: float
    disappear: float
    waypoint_times: np.ndarray | None = None
    lane: object = None
    rear_offset: float = 0.0
    explicit: bool = True  # False for the default ego standing at the origin

    @property
    def path(self) -> str:
        return {"agent": f"agents[{self.index}]", "prop": f"map.props[{self.index}]", "ego": "ego"}[self.noun]

    @property
    def label(self) -> str:
        return "the ego" if self.noun == "ego" else f"{self.noun} '{self.ident}'"

    @property
    def parked(self) -> bool:
        return self.noun == "prop"

    @property
    def rank(self) -> int:
        """Which of a pair is named first and carries the issue: agents, then props, then the ego."""
        return {"agent": 2, "prop": 1, "ego": 0}[self.noun]

    def where(self, t: float) -> str:
        """The field path an issue at time t points at: the nearest waypoint, the lane, or the prop."""
        if not self.explicit:
            return self.path  # the default ego is not in the file
        if self.parked:
            return f"{self.path}.xy"
        if self.lane is not None:
            return f"{self.path}.trajectory.lane"
        if self.waypoint_times is not None:
            k = int(np.argmin(np.abs(self.waypoint_times - t)))
            return f"{self.path}.trajectory.waypoints[{k}]"
        return self.path


def drivable_region(m: Map, use: Usable, roads: RoadGeometry):
    """Where vehicles may be (shapely geometry): the map's driveable surface and parking areas as the static
    map paints them (ground, sidewalks, roads, flat areas in order, crosswalks), minus raised areas."""
    if m.ground == "driveable_surface":
        region = box(-1e6, -1e6, 1e6, 1e6).difference(roads.sidewalks)
    else:
        region = Polygon()
    region = region.union(roads.drivable)
    raised = []
    for i in sorted(use.areas):
        a = m.areas[i]
        poly = Polygon(a.polygon)
        if a.height > 0:
            raised.append(poly)
        elif STATIC_CLASSES[a.cls] == "driveable_surface":
            region = region.union(poly)
        else:
            region = region.difference(poly)
    region = region.union(unary_union(list(roads.crosswalks.values())))
    return region.difference(unary_union(raised)) if raised else region


def _road_end_caps(m: Map, use: Usable, roads: RoadGeometry):
    """Rectangles continuing each road's carriageway ROAD_END_CAP m beyond both ends."""
    caps = []
    for i in sorted(use.roads):
        r = m.roads[i]
        c = roads.centerlines[r.id]
        right = -r.lanes.forward * r.lane_width - SURFACE_TOLERANCE
        left = r.lanes.backward * r.lane_width + SURFACE_TOLERANCE
        for p, q in ((c[-1], c[-2]), (c[0], c[1])):
            d = (p - q) / np.linalg.norm(p - q)
            n = np.array([-d[1], d[0]])
            caps.append(Polygon([p + n * right, p + d * ROAD_END_CAP + n * right,
                                 p + d * ROAD_END_CAP + n * left, p + n * left]))
    return caps


def _perimeter(length: float, width: float, step: float = 1.0) -> np.ndarray:
    """Points (P, 2) around a box's outline in its own frame, at most `step` m apart, corners included."""
    nl, nw = max(2, int(np.ceil(length / step)) + 1), max(2, int(np.ceil(width / step)) + 1)
    xs, ys = np.linspace(-length / 2, length / 2, nl), np.linspace(-width / 2, width / 2, nw)
    sides = [np.stack([xs, np.full(nl, -width / 2)], 1), np.stack([xs, np.full(nl, width / 2)], 1),
             np.stack([np.full(nw, -length / 2), ys], 1), np.stack([np.full(nw, length / 2), ys], 1)]
    return np.unique(np.vstack(sides), axis=0)


def _to_world(local: np.ndarray, center: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Box-frame points (P, 2) at K poses -> world points (K, P, 2)."""
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = c * local[None, :, 0] - s * local[None, :, 1] + center[:, None, 0]
    y = s * local[None, :, 0] + c * local[None, :, 1] + center[:, None, 1]
    return np.stack([x, y], axis=-1)


def check_surface(layout, use, roads, bodies, times, center, yaw, present, f) -> None:
    """Vehicles (and parked vehicle props) keep their footprint on the drivable surface, within tolerance."""
    vehicles = [k for k, b in enumerate(bodies) if b.klass.kind == "vehicle" and b.explicit]
    if not vehicles:
        return
    region = drivable_region(layout.map, use, roads).buffer(SURFACE_TOLERANCE)
    footprint_ok = unary_union([region, *_road_end_caps(layout.map, use, roads)])
    shapely.prepare(region)
    shapely.prepare(footprint_ok)
    for k in vehicles:
        b = bodies[k]
        idx = np.flatnonzero(present[k])
        if not idx.size:
            continue
        pts = _to_world(_perimeter(b.length, b.width), center[k, idx], yaw[k, idx])
        inside = shapely.contains_xy(footprint_ok, pts[..., 0], pts[..., 1]).all(axis=1)
        inside &= shapely.contains_xy(region, center[k, idx, 0], center[k, idx, 1])
        if inside.all():
            continue
        m = idx[int(np.argmin(inside))]
        x, y = center[k, m]
        if b.parked:
            f.real_data_error(b.where(0.0), f"{b.label} ({b.klass.name}) stands off the drivable surface at ({x:.1f}, {y:.1f}); "
                                  "park vehicles on a road, a driveable_surface or a parking area")
        else:
            f.real_data_error(b.where(times[m]), f"{b.label} ({b.klass.name}) leaves the drivable surface at "
                                       f"t={times[m]:.2f} s near ({x:.1f}, {y:.1f}); vehicles stay on roads, "
                                       "driveable_surface or parking areas")

def _half_extents(bodies: list[Body]) -> np.ndarray:
    h = np.array([[b.length / 2, b.width / 2] for b in bodies]).reshape(-1, 2)
    return np.maximum(h - OVERLAP_TOLERANCE, 0.01)


def _pair_message(a: Body, b: Body, t: float) -> str:
    names = (f"{a.noun}s '{a.ident}' and '{b.ident}'" if a.noun == b.noun else f"{a.label} and {b.label}")
    return f"{names} overlap at t={t:.2f} s; change a trajectory, a position or the appear/disappear times"


def _first_hits(pair: np.ndarray, m: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For hits given as (pair id, sample index) arrays: each pair hit once, with its earliest sample."""
    order = np.lexsort((m, pair))
    pair, m = pair[order], m[order]
    keep = np.concatenate([[True], pair[1:] != pair[:-1]]) if len(pair) else np.zeros(0, dtype=bool)
    return pair[keep][:n] if n >= 0 else pair[keep], m[keep][:n] if n >= 0 else m[keep]


def _report_more(f: Findings, path: str, shown: int, total: int, complete: bool, what: str) -> None:
    if total > shown or not complete:
        count = f"{total - shown:,}" if complete else f"at least {total - shown:,}"
        f.real_data_error(path, f"... and {count} more {what} (only the first {shown} are listed)")


def check_overlaps(bodies, times, center, yaw, present, f, chunk_elems: int = 1 << 21) -> None:
    """No two bodies overlap at any sample time; one issue per pair at the first time, at most
    MAX_PAIRS_LISTED of them (the search stops after MAX_PAIRS_FOUND overlapping pairs).

    Vectorised over pairs and times; a pair of two parked bodies is tested at one time only."""
    nb = len(bodies)
    if nb < 2:
        return
    half = _half_extents(bodies)
    radius = np.hypot(half[:, 0], half[:, 1])
    parked = np.array([b.parked for b in bodies])
    # Swept bounding boxes prune pairs that are never near each other (never present: lo = inf, hi = -inf).
    lo = np.where(present[..., None], center, np.inf).min(axis=1) - radius[:, None]
    hi = np.where(present[..., None], center, -np.inf).max(axis=1) + radius[:, None]
    found_a, found_b, found_m = [], [], []
    n_found, complete = 0, True
    m_all = center.shape[1]
    rows = max(1, chunk_elems // max(m_all, 1))
    for a0 in range(nb - 1):
        ib = np.arange(a0 + 1, nb)
        near = np.all((lo[a0] <= hi[ib]) & (lo[ib] <= hi[a0]), axis=1)
        ib = ib[near]
        if not ib.size:
            continue
        for still, cols in ((parked[ib] & parked[a0], slice(0, 1)), (~(parked[ib] & parked[a0]), slice(None))):
            for s0 in range(0, int(still.sum()), rows):
                b = ib[still][s0:s0 + rows]
                a = np.full(len(b), a0)
                pa = present[a][:, cols] & present[b][:, cols]
                ca, cb = center[a][:, cols], center[b][:, cols]
                dist = np.hypot(ca[..., 0] - cb[..., 0], ca[..., 1] - cb[..., 1])
                p, m = np.nonzero(pa & (dist < (radius[a] + radius[b])[:, None]))
                if not p.size:
                    continue
                if cols.stop == 1:
                    m = m * 0  # the first sample: parked bodies stand still all scene long
                pa_, pb_ = a[p], b[p]
                hit = boxes_overlap(center[pa_, m], yaw[pa_, m], half[pa_], center[pb_, m], yaw[pb_, m], half[pb_])
                if not hit.any():
                    continue
                pair, mm = _first_hits(p[hit], m[hit], -1)
                found_a.append(a[pair]), found_b.append(b[pair]), found_m.append(mm)
                n_found += len(pair)
        if n_found >= MAX_PAIRS_FOUND:
            complete = a0 == nb - 2
            break
    if not n_found:
        return
    fa, fb, fm = (np.concatenate(x) for x in (found_a, found_b, found_m))
    listed = 0
    for i, j, m in zip(fa.tolist(), fb.tolist(), fm.tolist()):
        if listed == MAX_PAIRS_LISTED:
            break
        # Named in file order, agents before props before the ego; the issue points at the later of two
        # agents (or props), otherwise at the agent (or prop).
        x, y = sorted((bodies[i], bodies[j]), key=lambda z: (-z.rank, z.index))
        target = y if x.noun == y.noun else x
        f.real_data_error(target.where(times[m]), _pair_message(x, y, times[m]))
        listed += 1
    _report_more(f, "agents", listed, len(fa), complete, "overlapping pairs")


def check_static_overlaps(layout, use, bodies, times, center, yaw, present, f, chunk: int = 100_000) -> None:
    """No body overlaps a building or a static prop (pole, sign, bench, hydrant, tree); one issue per pair at
    the first time, at most MAX_PAIRS_LISTED of them."""
    m = layout.map
    obstacles, names = [], []
    for i in sorted(use.buildings):
        obstacles.append(Polygon(m.buildings[i].footprint))
        names.append(f"building '{m.buildings[i].id}'")
    for i in sorted(use.props):
        p = m.props[i]
        if p.cls in STATIC_PROPS:
            length, width, _ = p.size or STATIC_PROPS[p.cls][1]
            obstacles.append(prop_footprint(p.xy, p.yaw, length, width))
            names.append(f"prop '{p.id}'")
    if not obstacles or not bodies:
        return
    half = _half_extents(bodies)
    tree = shapely.STRtree(obstacles)
    radius = np.hypot(half[:, 0], half[:, 1])
    # Only bodies whose swept box meets an obstacle's box are tested pose by pose; parked ones at one time.
    lo = np.where(present[..., None], center, np.inf).min(axis=1) - radius[:, None]
    hi = np.where(present[..., None], center, -np.inf).max(axis=1) + radius[:, None]
    ok = np.all(np.isfinite(lo), axis=1)
    swept = shapely.box(np.where(ok, lo[:, 0], 0), np.where(ok, lo[:, 1], 0), np.where(ok, hi[:, 0], 0),
                        np.where(ok, hi[:, 1], 0))
    candidates = np.unique(tree.query(swept[ok], predicate="intersects")[0])
    candidates = np.flatnonzero(ok)[candidates]
    keep = present.copy()
    keep[~np.isin(np.arange(len(bodies)), candidates)] = False
    for k in np.flatnonzero(keep.any(axis=1)):
        if bodies[k].parked:
            first = int(np.argmax(keep[k]))
            keep[k] = False
            keep[k, first] = True
    k_idx, m_idx = np.nonzero(keep)
    if not k_idx.size:
        return
    local = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=np.float64)
    hits_k, hits_o, hits_m = [], [], []
    for s0 in range(0, len(k_idx), chunk):
        kk, mm = k_idx[s0:s0 + chunk], m_idx[s0:s0 + chunk]
        corners = np.einsum("kj,pj->kpj", half[kk], local)
        boxes = shapely.polygons(_to_world_each(corners, center[kk, mm], yaw[kk, mm]))
        q, o = tree.query(boxes, predicate="intersects")
        hits_k.append(kk[q]), hits_o.append(o), hits_m.append(mm[q])
    hk, ho, hm = (np.concatenate(x) for x in (hits_k, hits_o, hits_m))
    if not hk.size:
        return
    pair, first_m = _first_hits(hk * len(obstacles) + ho, hm, -1)
    listed = 0
    for key, mm in zip(pair.tolist(), first_m.tolist()):
        if listed == MAX_PAIRS_LISTED:
            break
        k, o = divmod(key, len(obstacles))
        b = bodies[k]
        f.real_data_error(b.where(times[mm]), f"{b.label} and {names[o]} overlap at t={times[mm]:.2f} s; move the "
                                    f"{b.noun} or the {names[o].split()[0]}")
        listed += 1
    _report_more(f, "map", listed, len(pair), True, "overlaps with buildings or static props")


def _to_world_each(local: np.ndarray, center: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Per-pose box-frame points (K, P, 2) -> world points (K, P, 2)."""
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = c * local[..., 0] - s * local[..., 1] + center[:, None, 0]
    y = s * local[..., 0] + c * local[..., 1] + center[:, None, 1]
    return np.stack([x, y], axis=-1)
