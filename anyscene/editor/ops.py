"""Edit operations from the browser, applied to the layout's round-trip YAML tree in place.

Each operation is a JSON object `{"op": NAME, ...}`; `apply_ops(tree, ops, ctx)` runs a list of them as one
edit. Values are checked for type and finiteness here; whether the edited scene is sound is the validator's
job afterwards. Numbers are written rounded to the millimetre (`NUM_DIGITS`), new lists of numbers and
waypoints in flow style, as the example layouts are written.
"""
from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field

from ..classes import AGENT_CLASSES, STATIC_PROPS
from ..errors import AnySceneError

NUM_DIGITS = 3  # decimals of written coordinates, times and speeds (1 mm, 1 ms)
MAX_OPS = 200  # operations in one edit
MAX_POINTS = 4096  # points of a polygon or waypoints of a trajectory given in one operation
ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
WEATHER = ("clear", "overcast", "fog", "rain")
AREA_CLASSES = ("terrain", "vegetation", "other_flat", "parking", "sidewalk", "driveable_surface", "manmade", "others")


class EditError(AnySceneError):
    """An operation that cannot apply: unknown op or id, a bad value."""


@dataclass
class EditContext:
    """What operations may need besides the tree: agent headings (rad) at the edit time `t` (s), for moving
    lane-following agents along their lane by a drag."""

    t: float = 0.0
    headings: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------- values


def num(value, what: str, lo: float | None = None, hi: float | None = None):
    """A finite number rounded to NUM_DIGITS (an int when whole); EditError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EditError(f"{what}: expected a number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise EditError(f"{what}: must be finite")
    if lo is not None and v < lo or hi is not None and v > hi:
        raise EditError(f"{what}: {v:g} is outside [{lo}, {hi}]")
    v = round(v, NUM_DIGITS)
    return int(v) if v.is_integer() and abs(v) < 1e15 else v


def point(value, what: str) -> list:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise EditError(f"{what}: expected [x, y]")
    return [num(value[0], f"{what}[0]"), num(value[1], f"{what}[1]")]


def polygon(value, what: str, min_points: int = 3) -> list:
    if not isinstance(value, (list, tuple)) or not min_points <= len(value) <= MAX_POINTS:
        raise EditError(f"{what}: expected a list of {min_points} to {MAX_POINTS} [x, y] points")
    return [point(p, f"{what}[{i}]") for i, p in enumerate(value)]


def text(value, what: str, choices: tuple = (), pattern: re.Pattern | None = None) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise EditError(f"{what}: expected a non-empty string")
    if choices and value not in choices:
        raise EditError(f"{what}: '{value}' is not one of {', '.join(choices)}")
    if pattern is not None and not pattern.match(value):
        raise EditError(f"{what}: '{value}' is not a valid id (letters, digits, _ . -)")
    return value


def flow_seq(items):
    from ruamel.yaml.comments import CommentedSeq

    s = CommentedSeq(items)
    s.fa.set_flow_style()
    return s


def flow_map(pairs):
    from ruamel.yaml.comments import CommentedMap

    m = CommentedMap()
    for k, v in pairs:
        m[k] = flow_seq(v) if isinstance(v, list) and all(isinstance(x, (int, float)) for x in v) else v
    m.fa.set_flow_style()
    return m


def block_map(pairs=()):
    from ruamel.yaml.comments import CommentedMap

    m = CommentedMap()
    for k, v in pairs:
        m[k] = v
    m.fa.set_block_style()
    return m


def block_seq(items=()):
    from ruamel.yaml.comments import CommentedSeq

    s = CommentedSeq(list(items))
    s.fa.set_block_style()
    return s


def polygon_seq(points: list):
    return flow_seq([flow_seq(p) for p in points])


# ------------------------------------------------------------------------------------------ finding


def _map(tree):
    m = tree.get("map")
    if m is None:
        m = block_map()
        _insert_key(tree, "map", m, before=("ego", "agents"))
    return m


def _insert_key(mapping, key, value, before=()) -> None:
    keys = list(mapping.keys())
    pos = next((keys.index(k) for k in before if k in keys), len(keys))
    mapping.insert(pos, key, value)


def _list(parent, key: str, before=()):
    seq = parent.get(key)
    if seq is None:
        seq = block_seq()
        _insert_key(parent, key, seq, before=before)
    elif not seq:
        seq.fa.set_block_style()  # `agents: []` becomes a block list when its first item arrives
    return seq


def _find(seq, ident: str, what: str) -> int:
    for i, item in enumerate(seq or ()):
        if isinstance(item, dict) and str(item.get("id")) == ident:
            return i
    raise EditError(f"no {what} '{ident}'")


def _agent(tree, ident: str):
    """The mapping of agent `ident` (or of the ego for "ego", created if the file has none)."""
    if ident == "ego":
        ego = tree.get("ego")
        if ego is None:
            ego = block_map([("trajectory", block_map([("waypoints", block_seq([
                flow_map([("t", 0), ("xy", [0, 0]), ("yaw", 0)])]))]))])
            _insert_key(tree, "ego", ego, before=("agents",))
        return ego
    agents = tree.get("agents")
    return agents[_find(agents, ident, "agent")]


def _taken(tree) -> set[str]:
    ids = {str(a.get("id")) for a in (tree.get("agents") or ()) if isinstance(a, dict)}
    m = tree.get("map") or {}
    ids |= {str(p.get("id")) for p in (m.get("props") or ()) if isinstance(p, dict)}
    ids |= {str(b.get("id")) for b in (m.get("buildings") or ()) if isinstance(b, dict)}
    ids |= {str(c.get("id")) for c in (m.get("crosswalks") or ()) if isinstance(c, dict)}
    return ids | {"ego"}


def new_id(tree, stem: str) -> str:
    taken = _taken(tree)
    n = 1
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


def _waypoints(agent, ident: str):
    traj = agent.get("trajectory")
    wps = traj.get("waypoints") if isinstance(traj, dict) else None
    if wps is None:
        raise EditError(f"'{ident}' follows a lane; give it waypoints first (or edit its lane)")
    return wps


def _index(seq, i, what: str) -> int:
    if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(seq):
        raise EditError(f"{what}: index {i!r} out of range 0..{len(seq) - 1}")
    return i


def _shift_xy(item, key: str, dx, dy, what: str) -> None:
    xy = item.get(key)
    if not isinstance(xy, list) or len(xy) != 2:
        raise EditError(f"{what}: has no [x, y] '{key}'")
    xy[0], xy[1] = num(float(xy[0]) + dx, what), num(float(xy[1]) + dy, what)


# ------------------------------------------------------------------------------------------ agents


def op_move_agent(tree, a, ctx: EditContext) -> None:
    """Shift a whole trajectory by (dx, dy); a lane-following agent moves along its lane by the drag's
    component along its heading at the edit time."""
    ident = text(a.get("id"), "id")
    dx, dy = num(a.get("dx", 0), "dx"), num(a.get("dy", 0), "dy")
    agent = _agent(tree, ident)
    traj = agent.get("trajectory") or {}
    if traj.get("lane") is not None:
        lane = traj["lane"]
        yaw = ctx.headings.get(ident, 0.0)
        ds = dx * math.cos(yaw) + dy * math.sin(yaw)
        s0 = float(lane.get("s", 0))
        ds = max(ds, -s0)
        lane["s"] = num(s0 + ds, "s")
        if lane.get("stop_s") is not None:
            lane["stop_s"] = num(max(float(lane["stop_s"]) + ds, 0.0), "stop_s")
        return
    for i, w in enumerate(_waypoints(agent, ident)):
        _shift_xy(w, "xy", dx, dy, f"{ident}.waypoints[{i}]")


def wrap_angle(angle: float) -> float:
    """An angle (rad) in [-pi, pi)."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


def op_rotate_agent(tree, a, ctx) -> None:
    """Turn a trajectory of waypoints by `angle` (rad, counter-clockwise) about the point `about` [x, y]: every
    waypoint's xy and velocity turn, a given yaw turns with them. A lane-following agent's heading is its lane's."""
    ident = text(a.get("id"), "id")
    num(a.get("angle"), "angle", lo=-7.0, hi=7.0)  # checked; used unrounded, since it turns points far away
    angle = float(a["angle"])
    px, py = point(a.get("about"), "about")
    agent = _agent(tree, ident)
    traj = agent.get("trajectory") or {}
    if traj.get("lane") is not None:
        raise EditError(f"'{ident}' follows a lane, which sets its heading; give it waypoints to turn it")
    c, s = math.cos(angle), math.sin(angle)
    for i, w in enumerate(_waypoints(agent, ident)):
        what = f"{ident}.waypoints[{i}]"
        xy = w.get("xy")
        x, y = (float(v) for v in point(xy, f"{what}.xy"))
        xy[0], xy[1] = num(px + c * (x - px) - s * (y - py), what), num(py + s * (x - px) + c * (y - py), what)
        vel = w.get("velocity")
        if vel is not None:
            vx, vy = (float(v) for v in point(vel, f"{what}.velocity"))
            vel[0], vel[1] = num(c * vx - s * vy, what), num(s * vx + c * vy, what)
        if w.get("yaw") is not None:
            w["yaw"] = num(wrap_angle(float(num(w["yaw"], f"{what}.yaw")) + angle), f"{what}.yaw")


def op_set_waypoint(tree, a, ctx) -> None:
    """Change one waypoint: xy, t, speed (null removes it), velocity (null removes it), yaw."""
    ident = text(a.get("id"), "id")
    wps = _waypoints(_agent(tree, ident), ident)
    w = wps[_index(wps, a.get("index"), "index")]
    if "xy" in a:
        w["xy"] = flow_seq(point(a["xy"], "xy"))
    if "t" in a:
        w["t"] = num(a["t"], "t", lo=0.0)
    for key, conflict in (("speed", "velocity"), ("velocity", "speed")):
        if key not in a:
            continue
        if a[key] is None:
            w.pop(key, None)
        else:
            w[key] = num(a[key], key, lo=0.0) if key == "speed" else flow_seq(point(a[key], key))
            w.pop(conflict, None)
    if "yaw" in a:
        if a["yaw"] is None:
            w.pop("yaw", None)
        else:
            w["yaw"] = num(a["yaw"], "yaw", lo=-7.0, hi=7.0)


def op_add_waypoint(tree, a, ctx) -> None:
    """Insert a waypoint {t, xy} keeping the waypoints in time order."""
    ident = text(a.get("id"), "id")
    wps = _waypoints(_agent(tree, ident), ident)
    t, xy = num(a.get("t"), "t", lo=0.0), point(a.get("xy"), "xy")
    pos = sum(1 for w in wps if float(w.get("t", 0)) < t)
    wps.insert(pos, flow_map([("t", t), ("xy", xy)]))


def op_delete_waypoint(tree, a, ctx) -> None:
    ident = text(a.get("id"), "id")
    wps = _waypoints(_agent(tree, ident), ident)
    i = _index(wps, a.get("index"), "index")
    if len(wps) == 1:
        raise EditError(f"'{ident}' has only this waypoint; delete the agent instead")
    del wps[i]


def op_add_agent(tree, a, ctx) -> str:
    """A new agent of `class` with `waypoints` [{t, xy}, ...] or a `lane` {road, lane, s, speed, ...}."""
    cls = text(a.get("class"), "class", choices=tuple(AGENT_CLASSES))
    ident = text(a["id"], "id", pattern=ID_RE) if a.get("id") else new_id(tree, cls)
    if ident in _taken(tree):
        raise EditError(f"id '{ident}' is already used")
    agent = block_map([("id", ident), ("class", cls)])
    if a.get("lane") is not None:
        agent["trajectory"] = block_map([("lane", _lane_map(a["lane"]))])
    else:
        wps = a.get("waypoints")
        if not isinstance(wps, list) or not 1 <= len(wps) <= MAX_POINTS:
            raise EditError("waypoints: expected a list of 1 or more {t, xy}")
        items = []
        for i, w in enumerate(wps):
            if not isinstance(w, dict):
                raise EditError(f"waypoints[{i}]: expected {{t, xy}}")
            pairs = [("t", num(w.get("t"), f"waypoints[{i}].t", lo=0.0)), ("xy", point(w.get("xy"), "xy"))]
            if w.get("speed") is not None:
                pairs.append(("speed", num(w["speed"], "speed", lo=0.0)))
            items.append(flow_map(pairs))
        agent["trajectory"] = block_map([("waypoints", block_seq(items))])
    _list(tree, "agents").append(agent)
    return ident


LANE_FIELDS = {"s": (0.0, None), "speed": (0.0, None), "acceleration": (-15.0, 15.0), "stop_s": (0.0, None),
               "deceleration": (0.1, 15.0), "start": (0.0, None)}


def _lane_map(lane) -> object:
    if not isinstance(lane, dict):
        raise EditError("lane: expected {road, lane, s, speed, ...}")
    road = text(lane.get("road"), "lane.road")
    number = lane.get("lane")
    if isinstance(number, bool) or not isinstance(number, int) or number == 0:
        raise EditError("lane.lane: expected a non-zero integer (1.. forward, -1.. backward)")
    pairs = [("road", road), ("lane", number)]
    for key, (lo, hi) in LANE_FIELDS.items():
        if lane.get(key) is not None:
            pairs.append((key, num(lane[key], f"lane.{key}", lo=lo, hi=hi)))
    return flow_map(pairs)


def op_set_lane(tree, a, ctx) -> None:
    """Make the agent follow a lane with these fields (replacing its waypoints, if it had any)."""
    ident = text(a.get("id"), "id")
    agent = _agent(tree, ident)
    traj = agent.get("trajectory")
    new = _lane_map(a.get("lane"))
    if isinstance(traj, dict) and isinstance(traj.get("lane"), dict):
        old = traj["lane"]
        for key in list(old.keys()):
            if key not in new:
                del old[key]
        for key, value in new.items():
            old[key] = value
        traj.pop("waypoints", None)
    else:
        agent["trajectory"] = block_map([("lane", new)])


def op_set_waypoints(tree, a, ctx) -> None:
    """Give the agent these waypoints [{t, xy, speed?}] (replacing a lane, if it had one)."""
    ident = text(a.get("id"), "id")
    agent = _agent(tree, ident)
    tmp = block_map()
    op_add_agent(tmp, {"class": "car", "id": "x", "waypoints": a.get("waypoints")}, ctx)
    agent["trajectory"] = tmp["agents"][0]["trajectory"]


def op_set_agent(tree, a, ctx) -> None:
    """Change class, size [l, w, h] (null: class default), appear, disappear (null: removed)."""
    ident = text(a.get("id"), "id")
    agent = _agent(tree, ident)
    if "class" in a and ident != "ego":
        agent["class"] = text(a["class"], "class", choices=tuple(AGENT_CLASSES))
    if "size" in a:
        if a["size"] is None:
            agent.pop("size", None)
        else:
            size = a["size"]
            if not isinstance(size, list) or len(size) != 3:
                raise EditError("size: expected [length, width, height]")
            agent["size"] = flow_seq([num(v, "size", lo=0.05, hi=50.0) for v in size])
    for key in ("appear", "disappear"):
        if key in a and ident != "ego":
            if a[key] is None:
                agent.pop(key, None)
            else:
                agent[key] = num(a[key], key, lo=0.0)


def op_delete_agent(tree, a, ctx) -> None:
    ident = text(a.get("id"), "id")
    agents = tree.get("agents")
    del agents[_find(agents, ident, "agent")]


def op_duplicate_agent(tree, a, ctx) -> str:
    """A copy of the agent with a new id, shifted by (dx, dy) (lane agents: by dx along the lane)."""
    ident = text(a.get("id"), "id")
    agents = tree.get("agents")
    i = _find(agents, ident, "agent")
    stem = re.sub(r"_\d+$", "", ident) or "agent"
    dup = copy.deepcopy(agents[i])
    dup["id"] = new_id(tree, stem)
    agents.insert(i + 1, dup)
    op_move_agent(tree, {"id": dup["id"], "dx": a.get("dx", 2.0), "dy": a.get("dy", 2.0)},
                  EditContext(ctx.t, {dup["id"]: ctx.headings.get(ident, 0.0)}))
    return str(dup["id"])


# ------------------------------------------------------------------------------------- static map


def op_add_prop(tree, a, ctx) -> str:
    cls = text(a.get("class"), "class", choices=tuple(AGENT_CLASSES) + tuple(STATIC_PROPS))
    ident = text(a["id"], "id", pattern=ID_RE) if a.get("id") else new_id(tree, cls)
    if ident in _taken(tree):
        raise EditError(f"id '{ident}' is already used")
    pairs = [("id", ident), ("class", cls), ("xy", point(a.get("xy"), "xy"))]
    if a.get("yaw"):
        pairs.append(("yaw", num(a["yaw"], "yaw", lo=-7.0, hi=7.0)))
    _list(_map(tree), "props").append(flow_map(pairs))
    return ident


def op_set_prop(tree, a, ctx) -> None:
    """Move (xy or dx/dy), turn (yaw) or resize (size [l, w, h], null: class default) a prop."""
    ident = text(a.get("id"), "id")
    props = _map(tree).get("props")
    p = props[_find(props, ident, "prop")]
    if "xy" in a:
        p["xy"] = flow_seq(point(a["xy"], "xy"))
    if "dx" in a or "dy" in a:
        _shift_xy(p, "xy", num(a.get("dx", 0), "dx"), num(a.get("dy", 0), "dy"), ident)
    if "yaw" in a:
        p["yaw"] = num(a["yaw"], "yaw", lo=-7.0, hi=7.0)
    if "size" in a:
        if a["size"] is None:
            p.pop("size", None)
        else:
            p["size"] = flow_seq([num(v, "size", lo=0.05, hi=50.0) for v in a["size"]][:3])


def op_delete_prop(tree, a, ctx) -> None:
    ident = text(a.get("id"), "id")
    props = _map(tree).get("props")
    del props[_find(props, ident, "prop")]


def op_add_building(tree, a, ctx) -> str:
    ident = text(a["id"], "id", pattern=ID_RE) if a.get("id") else new_id(tree, "building")
    pairs = [("id", ident), ("footprint", polygon_seq(polygon(a.get("footprint"), "footprint")))]
    pairs.append(("height", num(a.get("height", 10), "height", lo=1.0, hi=300.0)))
    b = flow_map([])
    for k, v in pairs:
        b[k] = v
    _list(_map(tree), "buildings", before=("props",)).append(b)
    return ident


def op_set_building(tree, a, ctx) -> None:
    """Move (dx/dy), reshape (footprint) or raise (height) a building."""
    ident = text(a.get("id"), "id")
    blds = _map(tree).get("buildings")
    b = blds[_find(blds, ident, "building")]
    if "footprint" in a:
        b["footprint"] = polygon_seq(polygon(a["footprint"], "footprint"))
    if "dx" in a or "dy" in a:
        dx, dy = num(a.get("dx", 0), "dx"), num(a.get("dy", 0), "dy")
        for i, p in enumerate(b["footprint"]):
            p[0], p[1] = num(float(p[0]) + dx, "x"), num(float(p[1]) + dy, "y")
    if "height" in a:
        b["height"] = num(a["height"], "height", lo=1.0, hi=300.0)


def op_delete_building(tree, a, ctx) -> None:
    ident = text(a.get("id"), "id")
    blds = _map(tree).get("buildings")
    del blds[_find(blds, ident, "building")]


def op_add_area(tree, a, ctx) -> None:
    pairs = [("class", text(a.get("class"), "class", choices=AREA_CLASSES)),
             ("polygon", polygon_seq(polygon(a.get("polygon"), "polygon")))]
    if a.get("height"):
        pairs.append(("height", num(a["height"], "height", lo=0.0, hi=30.0)))
    m = flow_map([])
    for k, v in pairs:
        m[k] = v
    _list(_map(tree), "areas", before=("buildings", "props")).append(m)


def _area(tree, a):
    areas = _map(tree).get("areas")
    return areas, _index(areas or [], a.get("index"), "index")


def op_set_area(tree, a, ctx) -> None:
    areas, i = _area(tree, a)
    if "polygon" in a:
        areas[i]["polygon"] = polygon_seq(polygon(a["polygon"], "polygon"))
    if "dx" in a or "dy" in a:
        dx, dy = num(a.get("dx", 0), "dx"), num(a.get("dy", 0), "dy")
        for p in areas[i]["polygon"]:
            p[0], p[1] = num(float(p[0]) + dx, "x"), num(float(p[1]) + dy, "y")
    if "class" in a:
        areas[i]["class"] = text(a["class"], "class", choices=AREA_CLASSES)
    if "height" in a:
        areas[i]["height"] = num(a["height"], "height", lo=0.0, hi=30.0)


def op_delete_area(tree, a, ctx) -> None:
    areas, i = _area(tree, a)
    del areas[i]


def op_add_crosswalk(tree, a, ctx) -> str:
    """A crosswalk across `road` at arc length `s` (with `width`), or an explicit `polygon`."""
    ident = text(a["id"], "id", pattern=ID_RE) if a.get("id") else new_id(tree, "crosswalk")
    if a.get("polygon") is not None:
        pairs = [("id", ident), ("polygon", polygon_seq(polygon(a["polygon"], "polygon")))]
    else:
        pairs = [("id", ident), ("road", text(a.get("road"), "road")), ("s", num(a.get("s"), "s", lo=0.0))]
        if a.get("width") is not None:
            pairs.append(("width", num(a["width"], "width", lo=1.0, hi=20.0)))
    m = flow_map([])
    for k, v in pairs:
        m[k] = v
    _list(_map(tree), "crosswalks", before=("areas", "buildings", "props")).append(m)
    return ident


def op_set_crosswalk(tree, a, ctx) -> None:
    ident = text(a.get("id"), "id")
    cws = _map(tree).get("crosswalks")
    c = cws[_find(cws, ident, "crosswalk")]
    for key, lo, hi in (("s", 0.0, None), ("width", 1.0, 20.0)):
        if key in a:
            c[key] = num(a[key], key, lo=lo, hi=hi)
    if "polygon" in a:
        c["polygon"] = polygon_seq(polygon(a["polygon"], "polygon"))


def op_delete_crosswalk(tree, a, ctx) -> None:
    ident = text(a.get("id"), "id")
    cws = _map(tree).get("crosswalks")
    del cws[_find(cws, ident, "crosswalk")]


def op_set_environment(tree, a, ctx) -> None:
    env = tree.get("environment")
    if env is None:
        env = flow_map([])
        _insert_key(tree, "environment", env, before=("map", "ego", "agents"))
    if "time_of_day" in a:
        env["time_of_day"] = num(a["time_of_day"], "time_of_day", lo=0.0, hi=24.0)
    if "weather" in a:
        env["weather"] = text(a["weather"], "weather", choices=WEATHER)


def op_set_scene(tree, a, ctx) -> None:
    """Scene fields: duration (s), seed, name, description."""
    if "duration" in a:
        tree["duration"] = num(a["duration"], "duration", lo=0.5, hi=600.0)
    if "seed" in a:
        seed = a["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise EditError("seed: expected a non-negative integer")
        tree["seed"] = seed
    if "name" in a:
        tree["name"] = text(a["name"], "name", pattern=ID_RE)


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}


def apply_ops(tree, ops, ctx: EditContext) -> list[str]:
    """Apply `ops` in order to the tree; returns the ids of agents, props or buildings the ops created."""
    if not isinstance(ops, list) or not 1 <= len(ops) <= MAX_OPS:
        raise EditError(f"ops: expected a list of 1 to {MAX_OPS} operations")
    if not isinstance(tree, dict):
        raise EditError("the layout is not a mapping; fix it in the text view")
    created = []
    for k, a in enumerate(ops):
        if not isinstance(a, dict) or a.get("op") not in OPS:
            known = ", ".join(sorted(OPS))
            raise EditError(f"ops[{k}]: unknown operation {a.get('op') if isinstance(a, dict) else a!r}; "
                            f"known: {known}")
        try:
            out = OPS[a["op"]](tree, a, ctx)
        except (KeyError, TypeError, AttributeError, IndexError) as e:
            raise EditError(f"ops[{k}] ({a['op']}): does not fit this layout ({type(e).__name__}: {e})") from None
        if isinstance(out, str):
            created.append(out)
    return created

