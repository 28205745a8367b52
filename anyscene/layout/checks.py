"""Layout checks that need no motion: unique ids, known classes, references, polygons and trajectory forms.

They run before the scene is sampled, and they decide which parts of the layout are sound enough to compile
(`Usable`): an agent with an unknown class or a trajectory on a missing lane is reported here and left out
of the motion and collision checks, so one mistake does not cascade into confusing follow-up messages.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import Polygon
from shapely.validation import explain_validity

from ..classes import AGENT_CLASSES
from ..classes import SHAPE_VARIANTS, STATIC_PROPS
from ..errors import Issue, Location
from ..names import name_problem
from .geometry import polyline_arclength, road_centerline
from .schema import Ego, Layout, Road, Trajectory
from .yamlio import SourceMap

TIME_EPS = 1e-9  # s: times closer than this are the same instant
MAX_MAP_SIDE = 5000.0  # m: the longest side of a map's extent
MAX_MAP_AREA = 1.0e6  # m²: the largest map extent (its rasters take 6 bytes per 0.1 m cell)
MAX_ROAD_LENGTH = 10_000.0  # m: the longest road centreline
MAX_TOTAL_ROAD_LENGTH = 50_000.0  # m: all road centrelines together
MAX_CROSSWALK_SIDE = 200.0  # m: the largest extent of a crosswalk polygon
MAX_WAYPOINT_SECONDS = 50_000.0  # s: the time spans of all waypoint trajectories together (each is sampled
# every 20 ms when compiled)
MAX_TURN_COS = float(np.cos(np.radians(150.0)))  # sharper turns fold the lanes' offset lines over themselves


def parent_path(path: str) -> str:
    """The enclosing field path: 'a.b[2].c' -> 'a.b[2]' -> 'a.b' -> 'a' -> ''."""
    if path.endswith("]"):
        return path[: path.rindex("[")]
    return path[: path.rfind(".")] if "." in path else ""


class Findings:
    """Collects issues, each located at the value of a field path (or its nearest parent present in the file)."""

    def __init__(self, source: SourceMap, file: str, recorded: bool = False):
        self.source, self.file = source, file
        self.issues: list[Issue] = []
        self.recorded = recorded  # an imported recording (layout.source is set): see `real_data_error`

    def locate(self, path: str) -> Location:
        p = path
        while p:
            loc = self.source.get(p)
            if loc is not None:
                return Location(loc.file, loc.line, loc.col, path)
            p = parent_path(p)
        return Location(self.file, 0, 0, path)

    def line_of(self, path: str) -> str:
        loc = self.locate(path)
        return f" (line {loc.line})" if loc.line else ""

    def error(self, path: str, message: str) -> None:
        self.issues.append(Issue(self.locate(path), f"{path}: {message}", "error"))

    def warning(self, path: str, message: str) -> None:
        self.issues.append(Issue(self.locate(path), f"{path}: {message}", "warning"))

    def real_data_error(self, path: str, message: str) -> None:
        """An error that recorded data commits as a matter of course (boxes touching in a car park, a pedestrian
        clipping a bus, track jitter beyond the kinematic limits): a warning in an imported layout."""
        if self.recorded:
            self.warning(path, f"{message} (recorded data: a warning)")
        else:
            self.error(path, message)

    def sorted(self) -> list[Issue]:
        """Issues in file order (unlocated ones last), ties kept in the order they were found."""
        return sorted(self.issues, key=lambda i: (i.location.line == 0, i.location.line, i.location.col))


@dataclass
class Usable:
    """Indices of the layout entries sound enough to compile; the rest already have an error."""

    roads: set[int] = field(default_factory=set)
    crosswalks: set[int] = field(default_factory=set)
    areas: set[int] = field(default_factory=set)
    buildings: set[int] = field(default_factory=set)
    props: set[int] = field(default_factory=set)
    agents: set[int] = field(default_factory=set)
    ego: bool = True
    extent: bool = True

    def covers(self, layout: Layout) -> bool:
        """Whether every part of `layout` is sound."""
        m = layout.map
        return (len(self.roads) == len(m.roads) and len(self.crosswalks) == len(m.crosswalks)
                and len(self.areas) == len(m.areas) and len(self.buildings) == len(m.buildings)
                and len(self.props) == len(m.props) and len(self.agents) == len(layout.agents) and self.ego
                and self.extent)


def suggest(value: str, names) -> str:
    """'; did you mean 'x'?' for the closest known name, or the list of names when none is close."""
    names = list(names)
    hint = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    return f"; did you mean '{hint[0]}'?" if hint else f"; known: {', '.join(names)}"


def check_structure(layout: Layout, f: Findings) -> Usable:
    """Run every motion-free check; return what can be compiled."""
    use = Usable()
    problem = name_problem(layout.name)
    if problem:
        f.error("name", problem)
    _check_ids(layout, f)
    if layout.map.extent is not None:
        x0, y0, x1, y1 = layout.map.extent
        if not (x0 < x1 and y0 < y1):
            f.error("map.extent", "needs xmin < xmax and ymin < ymax, as [xmin, ymin, xmax, ymax]")
            use.extent = False
        else:
            use.extent = check_map_size((x0, y0, x1, y1), "map.extent", f)
    roads = {}
    total = 0.0
    for i, r in enumerate(layout.map.roads):
        roads.setdefault(r.id, r)
        length = float(polyline_arclength(np.asarray(r.centerline, dtype=np.float64).reshape(-1, 2))[-1])
        total += length
        if length > MAX_ROAD_LENGTH:
            f.error(f"map.roads[{i}].centerline", f"the centreline is {length / 1000:.1f} km long; a road may be "
                                                  f"at most {MAX_ROAD_LENGTH / 1000:g} km long")
        elif total > MAX_TOTAL_ROAD_LENGTH:
            f.error(f"map.roads[{i}].centerline", f"the roads up to this one are {total / 1000:.1f} km long "
                                                  f"together; at most {MAX_TOTAL_ROAD_LENGTH / 1000:g} km are "
                                                  "allowed in one map")
        elif _check_road(r, f"map.roads[{i}]", f) and roads[r.id] is r:  # a duplicate id is already an error
            use.roads.add(i)
    good_roads = {layout.map.roads[i].id for i in use.roads}
    cw_ids: set[str] = set()
    for i, cw in enumerate(layout.map.crosswalks):
        path = f"map.crosswalks[{i}]"
        if (cw.polygon is None) == (cw.road is None):
            f.error(path, "give either 'road' and 's' (a crossing across a road) or 'polygon', not both or none")
            ok = False
        elif cw.polygon is not None:
            ok = check_polygon(cw.polygon, f"{path}.polygon", f)
            pts = np.asarray(cw.polygon, dtype=np.float64).reshape(-1, 2)
            side = float(np.max(pts.max(axis=0) - pts.min(axis=0))) if len(pts) else 0.0
            if ok and side > MAX_CROSSWALK_SIDE:
                f.error(f"{path}.polygon", f"the crosswalk spans {side:.0f} m; at most {MAX_CROSSWALK_SIDE:g} m")
                ok = False
        else:
            ok = _check_crosswalk_on_road(cw, path, roads, good_roads, f)
        if ok and cw.id not in cw_ids:  # a duplicate id is already an error
            use.crosswalks.add(i)
        cw_ids.add(cw.id)
    for i, a in enumerate(layout.map.areas):
        if check_polygon(a.polygon, f"map.areas[{i}].polygon", f):
            use.areas.add(i)
    for i, b in enumerate(layout.map.buildings):
        if check_polygon(b.footprint, f"map.buildings[{i}].footprint", f):
            use.buildings.add(i)
    known_props = {**{k: None for k in AGENT_CLASSES}, **{k: None for k in STATIC_PROPS}}
    for i, p in enumerate(layout.map.props):
        path = f"map.props[{i}]"
        ok = True
        if p.cls not in known_props:
            f.error(f"{path}.class", f"unknown prop class '{p.cls}'{suggest(p.cls, known_props)}")
            ok = False
        ok &= _check_size(p.size, f"{path}.size", f)
        ok &= p.cls not in known_props or _check_shape(p.cls, p.shape, f"{path}.shape", f)
        if ok:
            use.props.add(i)
    for i, a in enumerate(layout.agents):
        path = f"agents[{i}]"
        ok = True
        if a.cls not in AGENT_CLASSES:
            f.error(f"{path}.class", f"unknown agent class '{a.cls}'{suggest(a.cls, AGENT_CLASSES)}")
            ok = False
        ok &= _check_size(a.size, f"{path}.size", f)
        ok &= a.cls not in AGENT_CLASSES or _check_shape(a.cls, a.shape, f"{path}.shape", f)
        ok &= check_trajectory(a.trajectory, f"{path}.trajectory", layout, f)
        if a.appear is not None and a.disappear is not None and a.appear > a.disappear:
            f.error(f"{path}.disappear", f"disappear {a.disappear:g} s is before appear {a.appear:g} s; "
                                          "swap them or fix one")
            ok = False
        elif a.appear is not None and a.appear > layout.duration:
            f.warning(f"{path}.appear", f"appear {a.appear:g} s is after the scene's end "
                                        f"({layout.duration:g} s): the agent never shows")
        if ok:
            use.agents.add(i)
    if layout.ego is not None:
        use.ego = _check_ego(layout.ego, layout, f)
    _check_waypoint_time(layout, use, f)
    if layout.timeline is not None:
        check_timeline(layout, f)
    _check_lane_paths(layout, f)
    return use


def _check_waypoint_time(layout: Layout, use: Usable, f: Findings) -> None:
    """The waypoint trajectories' time spans stay within MAX_WAYPOINT_SECONDS together (compile time and
    memory grow with them); the agents past the bound are left out of the scene checks."""
    total = 0.0
    for i, a in enumerate(layout.agents):
        wps = a.trajectory.waypoints
        if not wps or i not in use.agents:
            continue
        total += wps[-1].t - wps[0].t
        if total > MAX_WAYPOINT_SECONDS:
            f.error(f"agents[{i}].trajectory.waypoints", f"the waypoint trajectories up to this agent span "
                                                         f"{total:,.0f} s together; at most "
                                                         f"{MAX_WAYPOINT_SECONDS:,.0f} s are allowed in one "
                                                         "scene (fewer agents or shorter trajectories)")
            use.agents -= {j for j in use.agents if j >= i}
            return


def check_map_size(extent, path: str, f: Findings, what: str = "the map") -> bool:
    """The map's rasters stay bounded: sides of at most MAX_MAP_SIDE and an area of at most MAX_MAP_AREA."""
    x0, y0, x1, y1 = extent
    w, h = x1 - x0, y1 - y0
    if max(w, h) > MAX_MAP_SIDE or w * h > MAX_MAP_AREA:
        f.error(path, f"{what} spans {w / 1000:.2f} km × {h / 1000:.2f} km; a map may be at most "
                      f"{MAX_MAP_SIDE / 1000:g} km on a side and {MAX_MAP_AREA / 1e6:g} km² in area "
                      "(shorten the roads or trajectories, or set a smaller map.extent)")
        return False
    return True


def _check_lane_paths(layout: Layout, f: Findings) -> None:
    """Imported lane centrelines and stop lines: unique ids, at least 2 distinct points, simple outlines."""
    for what, entries in (("lane", layout.map.lanes), ("stop line", layout.map.stop_lines)):
        seen: dict[str, int] = {}
        key = "lanes" if what == "lane" else "stop_lines"
        for i, e in enumerate(entries):
            path = f"map.{key}[{i}]"
            if e.id in seen:
                f.error(f"{path}.id", f"duplicate {what} id '{e.id}', already used by map.{key}[{seen[e.id]}]")
            seen.setdefault(e.id, i)
            if what == "lane":
                if len(set(e.centerline)) < 2:
                    f.error(f"{path}.centerline", "a lane needs at least 2 distinct centreline points")
            else:
                check_polygon(e.polygon, f"{path}.polygon", f)


TIMELINE_EPS = 0.5e-6  # s: half a microsecond, the resolution of recorded times
CAMERA_LEAD = 0.1  # s: how early a camera may fire before t = 0 (the first keyframe's images)


def check_timeline(layout: Layout, f: Findings) -> None:
    """Recorded sensor times: ascending, inside the scene, keyframes among the LiDAR sweeps, the first at 0."""
    tl, end = layout.timeline, layout.duration + TIMELINE_EPS
    series = [("timeline.lidar", tl.lidar, 0.0), ("timeline.keyframes", tl.keyframes, 0.0)]
    series += [(f"timeline.cameras[{i}].times", c.times, CAMERA_LEAD) for i, c in enumerate(tl.cameras)]
    for path, times, lead in series:
        if not times:
            f.error(path, "needs at least one time")
            continue
        a = np.asarray(times, dtype=np.float64)
        if np.any(np.diff(a) <= 0):
            k = int(np.argmax(np.diff(a) <= 0)) + 1
            f.error(f"{path}[{k}]", f"time {a[k]:.6f} s is not after the previous {a[k - 1]:.6f} s; times must "
                                    "be strictly ascending")
        if a[0] < -lead - TIMELINE_EPS:
            lo = f"{-lead:g}" if lead else "0"
            f.error(f"{path}[0]", f"time {a[0]:.6f} s is before the scene starts ({lo} s)")
        elif a[-1] > end:
            k = int(np.argmax(a > end))
            f.warning(f"{path}[{k}]", f"time {a[k]:.6f} s and later are after the scene's end "
                                      f"({layout.duration:g} s); the timeline is cut there")
    if tl.keyframes and abs(tl.keyframes[0]) > TIMELINE_EPS:
        f.error("timeline.keyframes[0]", f"the first keyframe is t = 0 by definition, got {tl.keyframes[0]:.6f} s")
    if tl.keyframes and tl.lidar:
        lidar = np.asarray(tl.lidar, dtype=np.float64)
        for k, t in enumerate(tl.keyframes):
            if np.min(np.abs(lidar - t)) > TIMELINE_EPS:
                f.error(f"timeline.keyframes[{k}]", f"keyframe {t:.6f} s is not one of the LiDAR sweep times; "
                                                    "a keyframe is a LiDAR sweep")
                break
    seen: dict[str, int] = {}
    for i, c in enumerate(tl.cameras):
        if c.channel in seen:
            f.error(f"timeline.cameras[{i}].channel", f"duplicate camera '{c.channel}', already timed by "
                                                      f"timeline.cameras[{seen[c.channel]}]")
        seen.setdefault(c.channel, i)


def _check_ids(layout: Layout, f: Findings) -> None:
    groups = [
        ("road", [(f"map.roads[{i}].id", r.id) for i, r in enumerate(layout.map.roads)]),
        ("crosswalk", [(f"map.crosswalks[{i}].id", c.id) for i, c in enumerate(layout.map.crosswalks)]),
        ("building", [(f"map.buildings[{i}].id", b.id) for i, b in enumerate(layout.map.buildings)]),
        ("prop or agent", [(f"map.props[{i}].id", p.id) for i, p in enumerate(layout.map.props)]
         + [(f"agents[{i}].id", a.id) for i, a in enumerate(layout.agents)]),
    ]
    for what, entries in groups:
        seen: dict[str, str] = {}
        for path, ident in entries:
            if ident in seen:
                f.error(path, f"duplicate {what} id '{ident}', already used by {seen[ident]}"
                              f"{f.line_of(seen[ident])}; give each a unique id")
            else:
                seen[ident] = parent_path(path)


def _check_road(r: Road, path: str, f: Findings) -> bool:
    ok = True
    pts = np.asarray(r.centerline, dtype=np.float64).reshape(-1, 2)
    center = road_centerline(r)
    if len(pts) < 2 or len(center) < 2:
        f.error(f"{path}.centerline", "a road needs at least 2 distinct centreline points")
        ok = False
    else:
        seg = np.diff(center, axis=0)
        seg /= np.linalg.norm(seg, axis=1, keepdims=True)
        cos = np.sum(seg[:-1] * seg[1:], axis=1)
        if np.any(cos < MAX_TURN_COS):
            k = int(np.argmax(cos < MAX_TURN_COS)) + 1
            where = f" near ({center[k][0]:.1f}, {center[k][1]:.1f})"
            f.error(f"{path}.centerline", f"the centreline turns back on itself{where}; a road may turn by at "
                                          "most 150° at one point: add points or split it into two roads")
            ok = False
    if r.lanes.forward + r.lanes.backward == 0:
        f.error(f"{path}.lanes", "a road needs at least one lane (forward or backward)")
        ok = False
    return ok


def _check_crosswalk_on_road(cw, path: str, roads: dict, good_roads: set, f: Findings) -> bool:
    if cw.road not in roads:
        f.error(f"{path}.road", f"unknown road '{cw.road}'{suggest(cw.road, roads)}")
        return False
    if cw.s is None:
        f.error(path, "a crosswalk across a road needs 's', the arc length of its middle along the road")
        return False
    if cw.road not in good_roads:
        return False
    length = float(polyline_arclength(road_centerline(roads[cw.road]))[-1])
    if not 0.0 <= cw.s <= length:
        f.error(f"{path}.s", f"s = {cw.s:g} m is outside road '{cw.road}' (centreline length {length:.1f} m)")
        return False
    return True


def check_polygon(points, path: str, f: Findings) -> bool:
    """At least 3 distinct points forming a simple (non self-intersecting) outline of non-zero area."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(np.unique(pts, axis=0)) < 3:
        f.error(path, "a polygon needs at least 3 distinct points")
        return False
    spread = np.linalg.svd(pts - pts[0], compute_uv=False)
    if spread[1] <= 1e-9 * max(1.0, spread[0]):
        f.error(path, "invalid polygon (zero area: the points lie on one line)")
        return False
    poly = Polygon(pts)
    if not poly.is_valid:
        f.error(path, f"invalid polygon ({explain_validity(poly)}); list the points in order around the outline, "
                      "without crossing edges")
        return False
    return True


def _check_shape(cls: str, shape, path: str, f: Findings) -> bool:
    """An authored shape variant must be one of the class's (classes.SHAPE_VARIANTS)."""
    variants = SHAPE_VARIANTS.get(cls, ())
    if shape is None or shape in variants:
        return True
    f.error(path, f"unknown {cls} shape '{shape}'{suggest(str(shape), variants)}")
    return False


def _check_size(size, path: str, f: Findings) -> bool:
    if size is not None and min(size) <= 0:
        f.error(path, "length, width and height must all be > 0")
        return False
    return True


def check_trajectory(traj: Trajectory, path: str, layout: Layout, f: Findings) -> bool:
    """Form, waypoint order and lane references of a trajectory; True when it can be compiled."""
    if (traj.waypoints is None) == (traj.lane is None):
        f.error(path, "give exactly one of 'waypoints' or 'lane'")
        return False
    if traj.lane is not None:
        return _check_lane_ref(traj.lane, f"{path}.lane", layout, f)
    wps = traj.waypoints
    if not wps:
        f.error(f"{path}.waypoints", "needs at least one waypoint (one waypoint = standing still)")
        return False
    ok = True
    for k, w in enumerate(wps):
        wp = f"{path}.waypoints[{k}]"
        if w.velocity is not None and w.speed is not None:
            f.error(f"{wp}.speed", "give either 'velocity' or 'speed', not both")
            ok = False
        if k and w.t <= wps[k - 1].t + TIME_EPS:
            f.error(f"{wp}.t", f"time {w.t:g} s is not after the previous waypoint's {wps[k - 1].t:g} s; "
                               "waypoint times must increase")
            ok = False
    late = [k for k, w in enumerate(wps) if w.t > layout.duration + TIME_EPS]
    if late:
        k = late[0]
        f.warning(f"{path}.waypoints[{k}].t", f"time {wps[k].t:g} s is after the scene's end "
                                               f"({layout.duration:g} s); that part is never shown")
    return ok


def _check_lane_ref(lane, path: str, layout: Layout, f: Findings) -> bool:
    roads = {r.id: r for r in layout.map.roads}
    ok = True
    road = roads.get(lane.road)
    if road is None:
        f.error(f"{path}.road", f"unknown road '{lane.road}'{suggest(lane.road, roads)}")
        ok = False
    elif not (1 <= lane.lane <= road.lanes.forward or 1 <= -lane.lane <= road.lanes.backward):
        have = []
        if road.lanes.forward:
            have.append(f"forward 1..{road.lanes.forward}")
        if road.lanes.backward:
            have.append(f"backward -1..-{road.lanes.backward}")
        f.error(f"{path}.lane", f"road '{road.id}' has no lane {lane.lane} (it has {', '.join(have) or 'none'})")
        ok = False
    if lane.stop_s is not None:
        if lane.acceleration != 0:
            f.error(f"{path}.acceleration", "'acceleration' cannot be combined with 'stop_s' (braking uses "
                                             "'deceleration'); remove one of them")
            ok = False
        if lane.stop_s < lane.s:
            f.error(f"{path}.stop_s", f"stop_s {lane.stop_s:g} m is behind the start s {lane.s:g} m; "
                                      "the agent cannot drive backwards")
            ok = False
        else:
            need = lane.speed ** 2 / (2 * lane.deceleration)
            if need > lane.stop_s - lane.s + 1e-9:
                f.error(f"{path}.stop_s", f"braking from {lane.speed:g} m/s at {lane.deceleration:g} m/s² "
                                          f"takes {need:.1f} m but stop_s is {lane.stop_s - lane.s:.1f} m ahead; "
                                          f"move stop_s to ≥ {lane.s + need:.1f} or raise 'deceleration'")
                ok = False
    return ok


def _check_ego(ego: Ego, layout: Layout, f: Findings) -> bool:
    ok = _check_size(ego.size, "ego.size", f)
    if ok and ego.rear_overhang >= ego.size[0]:
        f.error("ego.rear_overhang", f"rear overhang {ego.rear_overhang:g} m must be shorter than the ego's "
                                     f"length {ego.size[0]:g} m")
        ok = False
    return check_trajectory(ego.trajectory, "ego.trajectory", layout, f) and ok


def check_lane_extents(layout: Layout, roads, use: Usable, f: Findings) -> None:
    """Lane start and stop arc lengths within the lane; drops agents (and the ego) that fail."""
    entries = [(i, f"agents[{i}].trajectory.lane", a.trajectory) for i, a in enumerate(layout.agents)
               if i in use.agents]
    if layout.ego is not None and use.ego:
        entries.append((-1, "ego.trajectory.lane", layout.ego.trajectory))
    for i, path, traj in entries:
        if traj.lane is None:
            continue
        ln = traj.lane
        if (ln.road, ln.lane) not in roads.lanes:  # its road was unusable: already reported
            _drop(use, i)
            continue
        length = roads.lane(ln.road, ln.lane).length
        if ln.s > length:
            f.error(f"{path}.s", f"s = {ln.s:g} m is beyond the end of lane {ln.lane} of road '{ln.road}' "
                                 f"(length {length:.1f} m)")
            _drop(use, i)
        elif ln.stop_s is not None and ln.stop_s > length:
            f.error(f"{path}.stop_s", f"stop_s = {ln.stop_s:g} m is beyond the end of lane {ln.lane} of road "
                                      f"'{ln.road}' (length {length:.1f} m)")
            _drop(use, i)


def _drop(use: Usable, i: int) -> None:
    if i < 0:
        use.ego = False
    else:
        use.agents.discard(i)
