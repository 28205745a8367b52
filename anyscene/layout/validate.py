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
from ..classes import STATIC_PROPS
from ..world.static import prop_footprint
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


def validate_layout(layout: Layout, source: SourceMap, file: str) -> list[Issue]:
    """Every scene issue of a parsed layout (errors and warnings), located with `source`, in file order."""
    f = Findings(source, file, recorded=layout.source is not None)
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
    _check_extent(layout, use, bodies, times, center, present, f)
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
        traj = None if tr.parked else layout.agents[i].trajectory
        bodies.append(Body(
            noun="prop" if tr.parked else "agent", ident=tr.id, index=i,
            klass=tr.klass, length=tr.size[0], width=tr.size[1], motion=tr.motion, appear=tr.appear,
            disappear=tr.disappear, lane=traj.lane if traj else None,
            waypoint_times=np.array([w.t for w in traj.waypoints]) if traj and traj.waypoints else None))
    if use.ego:
        ego = layout.ego or DEFAULT_EGO
        length, width, _ = ego.size
        traj = ego.trajectory
        bodies.append(Body(
            noun="ego", ident="ego", index=-1, klass=EGO_CLASS, length=length, width=width,
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
        if b.noun == "ego":
            if b.lane is not None and t1 < layout.duration:
                f.error(f"{b.path}.trajectory.lane", f"the ego reaches the end of its lane at t={t1:.2f} s, before "
                        f"the scene ends ({layout.duration:g} s); start further back, drive slower or shorten "
                        "the scene")
            continue
        agent = layout.agents[b.index]
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
    t_acc = 0.5 * (ts[:-1] + ts[1:])
    lane = b.lane
    speed_path = f"{b.path}.trajectory.lane.{'acceleration' if lane.acceleration > 0 else 'speed'}" if lane else None
    accel_path = (f"{b.path}.trajectory.lane.{'deceleration' if lane.stop_s is not None else 'acceleration'}"
                  if lane else None)
    who = f"{b.label} ({k.name})" if b.noun != "ego" else f"the ego (limits of class '{k.name}')"
    vmax = float(speed.max())
    if k.max_speed == 0:
        if vmax > SPEED_EPS:
            t = _first_above(ts, speed, SPEED_EPS)
            f.real_data_error(speed_path or b.where(t), f"{who} cannot move, but moves from t={t:.2f} s (up to "
                                                        f"{vmax:.2f} m/s); give it a single waypoint or make it a prop")
        return
    for value, times, name, unit, limits in (
            (speed, ts, "speed", "m/s", (k.max_speed, k.typical_speed)),
            (accel, t_acc, "acceleration", "m/s²", (k.max_accel, k.typical_accel))):
        if not len(value):
            continue
        peak = float(value.max())
        path = speed_path if name == "speed" else accel_path
        for limit, kind, report in ((limits[0], "physical limit", f.real_data_error),
                                    (limits[1], "typical", f.warning)):
            if peak > limit + SPEED_EPS:
                t = _first_above(times, value, limit + SPEED_EPS)
                advice = ("; slow it down (spread its waypoints in time)" if name == "speed" else
                          "; smooth its motion (more time between waypoints, matching velocities)")
                report(path or b.where(t), f"{who}: {name} above the {kind} {limit:g} {unit} of its class from "
                                           f"t={t:.2f} s (up to {peak:.1f} {unit})"
                                           + (advice if kind == "physical limit" else ""))
                break
    if lane is not None:
        limit = next(r.speed_limit for r in layout.map.roads if r.id == lane.road)
        if vmax > limit + SPEED_EPS:
            t = _first_above(ts, speed, limit + SPEED_EPS)
            f.warning(speed_path, f"{b.label}: speed above the speed limit {limit:g} m/s of road '{lane.road}' "
                                  f"from t={t:.2f} s (up to {vmax:.1f} m/s)")


def _first_above(times: np.ndarray, values: np.ndarray, limit: float) -> float:
    return float(times[int(np.argmax(values > limit))])


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
    sides = [np.stack([xs, np.full(nl, -width / 2)], 1), np.stack([xs, np.full(nl, width / 2)], 1),
             np.stack([np.full(nw, -length / 2), ys], 1), np.stack([np.full(nw, length / 2), ys], 1)]
    return np.unique(np.vstack(sides), axis=0)


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
            f.real_data_error(b.where(0.0), f"{b.label} ({b.klass.name}) stands off the drivable surface at "
                                            f"({x:.1f}, {y:.1f}); park vehicles on a road, a driveable_surface or a "
                                            "parking area")
        else:
            f.real_data_error(b.where(times[m]), f"{b.label} ({b.klass.name}) leaves the drivable surface at "
                                       f"t={times[m]:.2f} s near ({x:.1f}, {y:.1f}); vehicles stay on roads, "
                                       "driveable_surface or parking areas")


def _check_extent(layout, use, bodies, times, center, present, f) -> None:
    """Every centre inside an explicit map extent while present (the default extent contains everything)."""
    if layout.map.extent is None or not use.extent:
        return
    x0, y0, x1, y1 = layout.map.extent
    out = present & ((center[..., 0] < x0) | (center[..., 0] > x1) | (center[..., 1] < y0) | (center[..., 1] > y1))
    for k in np.flatnonzero(out.any(axis=1)):
        b, m = bodies[k], int(np.argmax(out[k]))
        x, y = center[k, m]
        f.real_data_error(b.where(times[m]), f"{b.label} is outside the map extent at t={times[m]:.2f} s, at ({x:.1f}, "
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
    names = (f"{a.noun}s '{a.ident}' and '{b.ident}'" if a.noun == b.noun else f"{a.label} and {b.label}")
    return f"{names} overlap at t={t:.2f} s; change a trajectory, a position or the appear/disappear times"


def _check_overlaps(bodies, times, center, yaw, present, f, chunk: int = 4096) -> None:
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
        f.real_data_error(target.where(times[m]), _pair_message(a, b, times[m]))


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
        f.real_data_error(b.where(times[mm]), f"{b.label} and {names[o]} overlap at t={times[mm]:.2f} s; move the "
                                    f"{b.noun} or the {names[o].split()[0]}")


def _to_world_each(local: np.ndarray, center: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Per-pose box-frame points (K, P, 2) -> world points (K, P, 2)."""
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = c * local[..., 0] - s * local[..., 1] + center[:, None, 0]
    y = s * local[..., 0] + c * local[..., 1] + center[:, None, 1]
    return np.stack([x, y], axis=-1)
