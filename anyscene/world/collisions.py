"""Where bodies may be and what they may not touch: the drivable surface and pairwise overlaps of boxes,
vectorised over bodies and sample times. Bodies are `checks.Body`; centres (B, M, 2) m, headings (B, M) rad and
presence (B, M) bool at M sample times (s)."""
from __future__ import annotations

import numpy as np

from ..classes import STATIC_CLASSES, STATIC_PROPS
from ..layout.checks import Findings, Usable
from ..layout.geometry import RoadGeometry, boxes_overlap, prop_footprint
from ..layout.schema import Map

OVERLAP_TOLERANCE = 0.05  # m: boxes are shrunk by this on every side, so touching is allowed
SURFACE_TOLERANCE = 0.5  # m: vehicles may overhang the drivable surface by this much
ROAD_END_CAP = 10.0  # m: beyond a road's end, where vehicles enter and leave the scene


def drivable_region(m: Map, use: Usable, roads: RoadGeometry):
    """Where vehicles may be (shapely geometry): the map's driveable surface and parking areas as the static
    map paints them (ground, sidewalks, roads, flat areas in order, crosswalks), minus raised areas."""
    from shapely.geometry import Polygon, box
    from shapely.ops import unary_union

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
    from shapely.geometry import Polygon

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
    import shapely
    from shapely.ops import unary_union

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
            f.error(b.where(0.0), f"{b.label} ({b.klass.name}) stands off the drivable surface at ({x:.1f}, {y:.1f}); "
                                  "park vehicles on a road, a driveable_surface or a parking area")
        else:
            f.error(b.where(times[m]), f"{b.label} ({b.klass.name}) leaves the drivable surface at "
                                       f"t={times[m]:.2f} s near ({x:.1f}, {y:.1f}); vehicles stay on roads, "
                                       "driveable_surface or parking areas")

def _half_extents(bodies: list[Body]) -> np.ndarray:
    h = np.array([[b.length / 2, b.width / 2] for b in bodies]).reshape(-1, 2)
    return np.maximum(h - OVERLAP_TOLERANCE, 0.01)


def _pair_message(a: Body, b: Body, t: float) -> str:
    names = (f"{a.noun}s '{a.ident}' and '{b.ident}'" if a.noun == b.noun else f"{a.label} and {b.label}")
    return f"{names} overlap at t={t:.2f} s; change a trajectory, a position or the appear/disappear times"


def check_overlaps(bodies, times, center, yaw, present, f, chunk: int = 4096) -> None:
    """No two bodies overlap at any sample time; one issue per pair at the first time."""
    nb = len(bodies)
    if nb < 2:
        return
    half = _half_extents(bodies)
    radius = np.hypot(half[:, 0], half[:, 1])
    # Swept bounding boxes prune pairs that are never near each other (never present: lo = inf, hi = -inf).
    lo = np.where(present[..., None], center, np.inf).min(axis=1) - radius[:, None]
    hi = np.where(present[..., None], center, -np.inf).max(axis=1) + radius[:, None]
    ia, ib = np.triu_indices(nb, 1)
    near = np.all((lo[ia] <= hi[ib]) & (lo[ib] <= hi[ia]), axis=1)
    ia, ib = ia[near], ib[near]
    first = {}
    for s in range(0, len(ia), chunk):
        a, b = ia[s:s + chunk], ib[s:s + chunk]
        both = present[a] & present[b]
        dist = np.hypot(*(center[a] - center[b]).transpose(2, 0, 1))
        p, m = np.nonzero(both & (dist < (radius[a] + radius[b])[:, None]))
        if not p.size:
            continue
        pa, pb = a[p], b[p]
        hit = boxes_overlap(center[pa, m], yaw[pa, m], half[pa], center[pb, m], yaw[pb, m], half[pb])
        for i, j, mm in zip(pa[hit], pb[hit], m[hit]):
            key = (int(i), int(j))
            if key not in first or mm < first[key]:
                first[key] = int(mm)
    for (i, j), m in sorted(first.items()):
        # Named in file order, agents before props before the ego; the issue points at the later of two
        # agents (or props), otherwise at the agent (or prop).
        a, b = sorted((bodies[i], bodies[j]), key=lambda z: (-z.rank, z.index))
        target = b if a.noun == b.noun else a
        f.error(target.where(times[m]), _pair_message(a, b, times[m]))


def check_static_overlaps(layout, use, bodies, times, center, yaw, present, f) -> None:
    """No body overlaps a building or a static prop (pole, sign, bench, hydrant, tree)."""
    import shapely
    from shapely.geometry import Polygon

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
    k_idx, m_idx = np.nonzero(present)
    if not k_idx.size:
        return
    local = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=np.float64)
    corners = np.einsum("kj,pj->kpj", half[k_idx], local)
    boxes = shapely.polygons(_to_world_each(corners, center[k_idx, m_idx], yaw[k_idx, m_idx]))
    tree = shapely.STRtree(obstacles)
    hit_box, hit_obs = tree.query(boxes, predicate="intersects")
    first = {}
    for q, o in zip(hit_box, hit_obs):
        key = (int(k_idx[q]), int(o))
        if key not in first or m_idx[q] < first[key]:
            first[key] = int(m_idx[q])
    for (k, o), mm in sorted(first.items()):
        b = bodies[k]
        f.error(b.where(times[mm]), f"{b.label} and {names[o]} overlap at t={times[mm]:.2f} s; move the "
                                    f"{b.noun} or the {names[o].split()[0]}")


def _to_world_each(local: np.ndarray, center: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Per-pose box-frame points (K, P, 2) -> world points (K, P, 2)."""
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = c * local[..., 0] - s * local[..., 1] + center[:, None, 0]
    y = s * local[..., 0] + c * local[..., 1] + center[:, None, 1]
    return np.stack([x, y], axis=-1)
