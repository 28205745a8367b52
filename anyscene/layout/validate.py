"""Scene checks of a parsed layout: everything the YAML reader cannot see field by field.

`validate_layout` first runs the motion-free checks of `checks.py` (ids, classes, references, polygons,
trajectory forms), then compiles what is sound and samples the scene: physical and typical speeds and
accelerations per class, vehicles on the drivable surface, agents inside an explicit map extent, and no
overlap between any two of agents, props, the ego, buildings and static props. Errors make a layout unusable;
warnings only fail under `strict`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..classes import AGENT_CLASSES, STATIC_CLASSES, AgentClass
from ..errors import Issue, LayoutError
from ..world.static import STATIC_PROPS, prop_footprint
from .checks import TIME_EPS, Findings, Usable, check_lane_extents, check_structure
from .geometry import RoadGeometry, build_road_geometry
from .motion import LaneMotion, build_motion
from .schema import Layout, Map
from .yamlio import SourceMap, load_layout

SAMPLE_RATE = 10.0  # Hz: collision, surface and extent checks
KINEMATIC_RATE = 20.0  # Hz: finite differences of speed and acceleration
OVERLAP_TOLERANCE = 0.05  # m: boxes are shrunk by this on every side, so touching is allowed
SURFACE_TOLERANCE = 0.5  # m: vehicles may overhang the drivable surface by this much
ROAD_END_CAP = 10.0  # m: beyond a road's end, where vehicles enter and leave the scene
EGO_CLASS = AGENT_CLASSES["car"]  # the ego's speed and acceleration limits
SPEED_EPS = 1e-6  # m/s: moving faster than this counts as moving


@dataclass(frozen=True)
class Body:
    """A box that moves (or stands) through the scene: an agent, a prop of an agent class, or the ego.

    `path` is its layout field path; `label` names it in messages. `motion` gives the reference point
    (the box centre; the ego's rear axle, `rear_offset` m behind the centre). Present for appear ≤ t ≤ disappear.
    """

    label: str
    path: str
    rank: int  # which of a pair an issue points at: agents (2) before props (1) before the ego (0)
    klass: AgentClass
    length: float
    width: float
    motion: object
    appear: float
    disappear: float
    waypoint_times: np.ndarray | None = None
    lane: object = None
    rear_offset: float = 0.0
    parked: bool = False
    explicit: bool = True  # False for the default ego standing at the origin

    def where(self, t: float) -> str:
        """The field path an issue at time t points at: the nearest waypoint, the lane, or the prop."""
        if self.parked:
            return f"{self.path}.xy"
        if self.lane is not None:
            return f"{self.path}.trajectory.lane"
        if self.waypoint_times is not None:
            k = int(np.argmin(np.abs(self.waypoint_times - t)))
            return f"{self.path}.trajectory.waypoints[{k}]"
        return self.path


def validate_layout(layout: Layout, source: SourceMap, file: str) -> list[Issue]:
    """Every scene issue of a parsed layout (errors and warnings), located with `source`, in file order."""
    f = Findings(source, file)
    use = check_structure(layout, f)
    m = layout.map
    roads = build_road_geometry(dataclasses.replace(
        m, roads=tuple(m.roads[i] for i in sorted(use.roads)),
        crosswalks=tuple(m.crosswalks[i] for i in sorted(use.crosswalks))))
    check_lane_extents(layout, roads, use, f)
    bodies = _bodies(layout, roads, use)
    _check_presence(layout, bodies, f)
    for b in bodies:
        if not b.parked:
            _check_kinematics(b, layout, f)
    times = _sample_times(layout.duration, bodies)
    center, yaw, present = _sample(bodies, times)
    _check_surface(layout, use, roads, bodies, times, center, yaw, present, f)
    _check_extent(layout, bodies, times, center, present, f)
    _check_overlaps(bodies, times, center, yaw, present, f)
    _check_static_overlaps(layout, use, bodies, times, center, yaw, present, f)
    return f.sorted()


def check_layout(layout: Layout, strict: bool = False, file: str = "<layout>") -> Layout:
    """Validate an in-memory layout (no source file: messages name field paths); raise LayoutError on errors,
    or on warnings too when `strict`. Returns the layout."""
    _raise_if_failed(validate_layout(layout, {}, file), strict)
    return layout


def check_layout_file(path: str | Path, strict: bool = False) -> Layout:
    """Load and validate a layout file; raise LayoutError (FILE:LINE:COL messages) if it fails."""
    layout, source = load_layout(path)
    _raise_if_failed(validate_layout(layout, source, str(path)), strict)
    return layout


def failed(issues: list[Issue], strict: bool) -> bool:
    """Whether these issues make a layout fail: any error, or any warning when strict."""
    return any(i.severity == "error" or strict for i in issues)


def _raise_if_failed(issues: list[Issue], strict: bool) -> None:
    if failed(issues, strict):
        raise LayoutError(issues)


# ---------------------------------------------------------------------------------------------- compile


def _bodies(layout: Layout, roads: RoadGeometry, use: Usable) -> list[Body]:
    """Sound agents, agent-class props and the ego as Bodies (the world's own appear/disappear rules)."""
    from ..world.agents import compile_agents
    from ..world.world import DEFAULT_EGO

    agent_idx = sorted(use.agents)
    prop_idx = [i for i in sorted(use.props) if layout.map.props[i].cls in AGENT_CLASSES]
    sub = dataclasses.replace(layout, agents=tuple(layout.agents[i] for i in agent_idx),
                              map=dataclasses.replace(layout.map, props=tuple(layout.map.props[i] for i in prop_idx)))
    tracks = compile_agents(sub, roads)
    bodies = []
    for tr, i in zip(tracks, agent_idx + prop_idx):
        parked = tr.parked
        path = f"map.props[{i}]" if parked else f"agents[{i}]"
        traj = None if parked else layout.agents[i].trajectory
        bodies.append(Body(
            label=f"{'prop' if parked else 'agent'} '{tr.id}'", path=path, rank=1 if parked else 2,
            klass=tr.klass, length=tr.size[0], width=tr.size[1], motion=tr.motion, appear=tr.appear,
            disappear=tr.disappear, parked=parked, lane=traj.lane if traj else None,
            waypoint_times=np.array([w.t for w in traj.waypoints]) if traj and traj.waypoints else None))
    if use.ego:
        ego = layout.ego or DEFAULT_EGO
        length, width, _ = ego.size
        traj = ego.trajectory
        bodies.append(Body(
            label="the ego", path="ego", rank=0, klass=EGO_CLASS, length=length, width=width,
            motion=build_motion(traj, roads), appear=0.0, disappear=np.inf, lane=traj.lane,
            waypoint_times=np.array([w.t for w in traj.waypoints]) if traj.waypoints else None,
            rear_offset=length / 2 - ego.rear_overhang, explicit=layout.ego is not None))
    return bodies


def _sample_times(duration: float, bodies: list[Body]) -> np.ndarray:
    """10 Hz over [0, duration] plus every appear/disappear instant inside it (s)."""
    n = int(np.floor(duration * SAMPLE_RATE + 1e-9)) + 1
    ts = [np.arange(n) / SAMPLE_RATE, [duration]]
    ts += [[t] for b in bodies for t in (b.appear, b.disappear) if 0.0 <= t <= duration]
    t = np.unique(np.concatenate(ts))
    keep = np.concatenate([[True], np.diff(t) > TIME_EPS])
    return t[keep]


def _sample(bodies: list[Body], times: np.ndarray):
    """Box centres (B, M, 2) m, headings (B, M) rad and presence (B, M) bool at the sample times."""
    b, m = len(bodies), len(times)
    center, yaw = np.zeros((b, m, 2)), np.zeros((b, m))
    present = np.zeros((b, m), dtype=bool)
    for k, body in enumerate(bodies):
        st = body.motion.evaluate(times)
        yaw[k] = st.yaw
        center[k] = st.xy + body.rear_offset * np.stack([np.cos(st.yaw), np.sin(st.yaw)], axis=1)
        present[k] = (times >= body.appear) & (times <= body.disappear)
    return center, yaw, present


# -------------------------------------------------------------------------------------------- kinematics


def _check_presence(layout: Layout, bodies: list[Body], f: Findings) -> None:
    """appear/disappear within the trajectory's time span; the ego on its lane until the scene ends."""
    for b in bodies:
        if b.parked:
            continue
        t0, t1 = b.motion.t_start, b.motion.t_end
        if b.rank == 0:
            if b.lane is not None and t1 < layout.duration:
                f.error(f"{b.path}.trajectory.lane", f"the ego reaches the end of its lane at t={t1:.2f} s, before "
                        f"the scene ends ({layout.duration:g} s); start further back, drive slower or shorten "
                        "the scene")
            continue
        agent = layout.agents[int(b.path[7:-1])]
        if b.waypoint_times is not None and len(b.waypoint_times) == 1:
            continue  # one waypoint: standing still whenever present
        span = "its trajectory" if b.lane is None else "its lane motion"
        if agent.appear is not None and agent.appear < t0 - TIME_EPS:
            f.error(f"{b.path}.appear", f"appear {agent.appear:g} s is before {span} starts ({t0:g} s); "
                                        f"remove 'appear' or set it ≥ {t0:g}")
        if agent.disappear is not None and agent.disappear > t1 + TIME_EPS:
            what = "reaches the end of its lane" if b.lane is not None else "reaches its last waypoint"
            f.error(f"{b.path}.disappear", f"disappear {agent.disappear:g} s is after the agent {what} "
                                           f"({t1:.2f} s); remove 'disappear' or set it ≤ {t1:.2f}")


def _check_kinematics(b: Body, layout: Layout, f: Findings) -> None:
    """Speed and acceleration while present, by finite differences of the exact motion at 20 Hz.

    Waypoint motion: total acceleration |dv/dt|. Lane motion: along the lane only (d|v|/dt), since lane
    centrelines are polylines whose corners are not part of the motion model's curvature.
    """
    lo = max(b.appear, b.motion.t_start, 0.0)
    hi = min(b.disappear, b.motion.t_end, layout.duration)
    if hi - lo < 1e-3:
        return
    n = int(np.floor((hi - lo) * KINEMATIC_RATE + 1e-9)) + 1
    ts = lo + np.arange(n) / KINEMATIC_RATE
    if hi - ts[-1] > 1e-3:
        ts = np.append(ts, hi)
    vel = b.motion.evaluate(ts).velocity
    speed = np.hypot(vel[:, 0], vel[:, 1])
    dt = np.diff(ts)
    if isinstance(b.motion, LaneMotion):
        accel = np.abs(np.diff(speed)) / dt
    else:
        accel = np.hypot(*(np.diff(vel, axis=0) / dt[:, None]).T)
    k = b.klass
    i = int(np.argmax(speed))
    vmax, tv = float(speed[i]), float(ts[i])
    speed_path, accel_path = b.where(tv), b.where(tv)
    if b.lane is not None:
        speed_path = f"{b.path}.trajectory.lane.{'acceleration' if b.lane.acceleration > 0 else 'speed'}"
        accel_path = f"{b.path}.trajectory.lane.{'deceleration' if b.lane.stop_s is not None else 'acceleration'}"
    who = f"{b.label} ({k.name})" if b.rank else f"the ego (limits of class '{k.name}')"
    if k.max_speed == 0:
        if vmax > SPEED_EPS:
            f.error(speed_path, f"{who} cannot move, but moves at {vmax:.2f} m/s at t={tv:.2f} s; give it a "
                                "single waypoint or make it a prop")
        return
    if vmax > k.max_speed + SPEED_EPS:
        f.error(speed_path, f"{who} reaches {vmax:.1f} m/s at t={tv:.2f} s, above the physical limit "
                            f"{k.max_speed:g} m/s; slow it down (spread its waypoints in time)")
    elif vmax > k.typical_speed + SPEED_EPS:
        f.warning(speed_path, f"{who} reaches {vmax:.1f} m/s at t={tv:.2f} s, above the typical "
                              f"{k.typical_speed:g} m/s of its class")
    if b.lane is not None:
        limit = next(r.speed_limit for r in layout.map.roads if r.id == b.lane.road)
        if vmax > limit + SPEED_EPS:
            f.warning(speed_path, f"{b.label if b.rank else 'the ego'} drives at up to {vmax:.1f} m/s, above the "
                                  f"speed limit {limit:g} m/s of road '{b.lane.road}'")
    if len(accel):
        j = int(np.argmax(accel))
        amax, ta = float(accel[j]), float(0.5 * (ts[j] + ts[j + 1]))
        if b.lane is None:
            accel_path = b.where(ta)
        if amax > k.max_accel + SPEED_EPS:
            f.error(accel_path, f"{who} accelerates at {amax:.1f} m/s² at t={ta:.2f} s, above the physical limit "
                                f"{k.max_accel:g} m/s²; smooth its motion (more time between waypoints, "
                                "matching velocities)")
        elif amax > k.typical_accel + SPEED_EPS:
            f.warning(accel_path, f"{who} accelerates at {amax:.1f} m/s² at t={ta:.2f} s, above the typical "
                                  f"{k.typical_accel:g} m/s² of its class")


# --------------------------------------------------------------------------------------- surface, extent


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
    return np.unique(np.vstack([np.stack([xs, np.full(nl, -width / 2)], 1), np.stack([xs, np.full(nl, width / 2)], 1),
                                np.stack([np.full(nw, -length / 2), ys], 1), np.stack([np.full(nw, length / 2), ys], 1)]),
                     axis=0)


def _to_world(local: np.ndarray, center: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Box-frame points (P, 2) at K poses -> world points (K, P, 2)."""
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = c * local[None, :, 0] - s * local[None, :, 1] + center[:, None, 0]
    y = s * local[None, :, 0] + c * local[None, :, 1] + center[:, None, 1]
    return np.stack([x, y], axis=-1)


def _check_surface(layout, use, roads, bodies, times, center, yaw, present, f) -> None:
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


def _check_extent(layout, bodies, times, center, present, f) -> None:
    """Every centre inside an explicit map extent while present (the default extent contains everything)."""
    if layout.map.extent is None:
        return
    x0, y0, x1, y1 = layout.map.extent
    out = present & ((center[..., 0] < x0) | (center[..., 0] > x1) | (center[..., 1] < y0) | (center[..., 1] > y1))
    for k in np.flatnonzero(out.any(axis=1)):
        b, m = bodies[k], int(np.argmax(out[k]))
        x, y = center[k, m]
        f.error(b.where(times[m]), f"{b.label} is outside the map extent at t={times[m]:.2f} s, at ({x:.1f}, "
                                   f"{y:.1f}); enlarge map.extent or keep it inside")


# -------------------------------------------------------------------------------------------- overlaps


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


def _half_extents(bodies: list[Body]) -> np.ndarray:
    h = np.array([[b.length / 2, b.width / 2] for b in bodies]).reshape(-1, 2)
    return np.maximum(h - OVERLAP_TOLERANCE, 0.01)


def _pair_message(a: Body, b: Body, t: float) -> str:
    if a.rank == b.rank and a.rank:
        names = f"{a.label.split()[0]}s {a.label.split()[1]} and {b.label.split()[1]}"
    else:
        names = f"{a.label} and {b.label}"
    return f"{names} overlap at t={t:.2f} s; change a trajectory, a position or the appear/disappear times"


def _check_overlaps(bodies, times, center, yaw, present, f, chunk: int = 4096) -> None:
    """No two bodies overlap at any sample time; one issue per pair at the first time."""
    nb = len(bodies)
    if nb < 2:
        return
    half = _half_extents(bodies)
    radius = np.hypot(half[:, 0], half[:, 1])
    # Swept bounding boxes prune pairs that are never near each other.
    big = np.where(present[..., None], center, np.nan)
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(big, axis=1) - radius[:, None] if present.any() else None
        hi = np.nanmax(big, axis=1) + radius[:, None] if present.any() else None
    if lo is None:
        return
    ia, ib = np.triu_indices(nb, 1)
    near = np.all((lo[ia] <= hi[ib]) & (lo[ib] <= hi[ia]), axis=1)  # NaN (never present) compares False
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
        a, b = bodies[i], bodies[j]
        if b.rank > a.rank:
            a, b = b, a  # name the agent first, then the prop, then the ego
        target = a if a.rank != b.rank or _order(a) > _order(b) else b
        first_named, second = (b, a) if a.rank == b.rank and _order(b) < _order(a) else (a, b)
        f.error(target.where(times[m]), _pair_message(first_named, second, times[m]))


def _order(b: Body) -> int:
    return int(b.path[b.path.rindex("[") + 1:-1]) if b.path.endswith("]") else -1


def _check_static_overlaps(layout, use, bodies, times, center, yaw, present, f) -> None:
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
                                    f"{'agent' if b.rank == 2 else 'prop' if b.rank == 1 else 'ego'} or the "
                                    f"{names[o].split()[0]}")


def _to_world_each(local: np.ndarray, center: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Per-pose box-frame points (K, P, 2) -> world points (K, P, 2)."""
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = c * local[..., 0] - s * local[..., 1] + center[:, None, 0]
    y = s * local[..., 0] + c * local[..., 1] + center[:, None, 1]
    return np.stack([x, y], axis=-1)
