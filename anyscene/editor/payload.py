"""What the browser draws, as JSON-ready data: the static map (vector shapes), the scene (agents, paths,
waypoints, issues) and the agent states at a time t, all read from the compiled World."""
from __future__ import annotations

import base64

import numpy as np

from ..classes import AGENT_CLASSES, OCC3D_NAMES, STATIC_PROPS

PATH_RATE = 4.0  # Hz: samples of each drawn path
MAX_PATH_SAMPLES = 240  # per agent, whatever the scene's length
DIGITS = 3


def _r(v) -> float:
    return round(float(v), DIGITS)


def rings(geom) -> list:
    """A shapely (Multi)Polygon as a list of polygons, each a list of rings [[x, y], ...] (exterior first)."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for g in geom.geoms for p in rings(g)]
    if geom.geom_type != "Polygon":
        return []
    out = [np.round(np.asarray(geom.exterior.coords)[:, :2], 2).tolist()]
    out += [np.round(np.asarray(h.coords)[:, :2], 2).tolist() for h in geom.interiors]
    return [out]


def map_payload(world) -> dict:
    """Everything static: ground, roads with lanes, drivable surface, sidewalks, markings, crosswalks, areas,
    buildings and props, in world metres."""
    from ..classes import STATIC_CLASSES

    layout, roads = world.layout, world.roads
    m = layout.map
    props = []
    for p in m.props:
        static = p.cls in STATIC_PROPS
        size = p.size or (STATIC_PROPS[p.cls][1] if static else AGENT_CLASSES[p.cls].size)
        props.append({"id": p.id, "class": p.cls, "xy": [p.xy[0], p.xy[1]], "yaw": p.yaw, "size": list(size),
                      "static": static})
    return {
        "extent": [float(v) for v in world.static.extent],
        "ground": STATIC_CLASSES.get(m.ground, m.ground),
        "drivable": rings(roads.drivable),
        "sidewalks": rings(roads.sidewalks),
        "markings": [{"kind": k.kind, "color": k.color, "polygons": rings(k.polygon)} for k in roads.markings],
        "roads": [{"id": r.id, "centerline": np.round(roads.centerlines[r.id], 2).tolist(),
                   "forward": r.lanes.forward, "backward": r.lanes.backward, "lane_width": r.lane_width,
                   "speed_limit": r.speed_limit} for r in m.roads],
        "lanes": [{"road": road, "lane": lane, "length": _r(line.length),
                   "points": np.round(line.points, 2).tolist()} for (road, lane), line in roads.lanes.items()],
        "crosswalks": [{"id": c.id, "road": c.road, "s": c.s, "width": c.width, "explicit": c.polygon is not None,
                        "polygon": None if c.polygon is None else [list(p) for p in c.polygon],
                        "polygons": rings(roads.crosswalks.get(c.id))} for c in m.crosswalks],
        "areas": [{"index": i, "class": a.cls, "occ3d": STATIC_CLASSES.get(a.cls, a.cls), "height": a.height,
                   "polygon": [list(p) for p in a.polygon]} for i, a in enumerate(m.areas)],
        "buildings": [{"id": b.id, "height": b.height, "footprint": [list(p) for p in b.footprint]}
                      for b in m.buildings],
        "props": props,
    }


def _samples(motion, lo: float, hi: float) -> np.ndarray:
    if not np.isfinite(hi) or hi < lo:
        return np.array([lo])
    n = int(min(MAX_PATH_SAMPLES, max(2, np.ceil((hi - lo) * PATH_RATE) + 1)))
    return np.linspace(lo, hi, n)


def _trajectory_json(traj) -> dict:
    if traj.lane is not None:
        ln = traj.lane
        return {"motion": "lane", "lane": {"road": ln.road, "lane": ln.lane, "s": ln.s, "speed": ln.speed,
                                         "acceleration": ln.acceleration, "stop_s": ln.stop_s,
                                         "deceleration": ln.deceleration, "start": ln.start}}
    return {"motion": "waypoints", "waypoints": [
        {"t": w.t, "xy": [w.xy[0], w.xy[1]], "speed": w.speed,
         "velocity": None if w.velocity is None else [w.velocity[0], w.velocity[1]], "yaw": w.yaw}
        for w in traj.waypoints]}


class AgentPayloadCache:
    """Scene entries of agents that an edit left alone, kept between edits: an entry depends only on the agent
    as authored, the road geometry and the scene's duration."""

    def __init__(self, limit: int = 20000):
        self.limit = limit
        self._entries: dict = {}
        self._roads = None

    def get(self, roads, key, make):
        if roads is not self._roads:  # another map: paths along its lanes differ
            self._entries.clear()
            self._roads = roads
        entry = self._entries.get(key)
        if entry is None:
            if len(self._entries) >= self.limit:
                self._entries.clear()
            entry = self._entries[key] = make()
        return entry


def _agent_entry(tr, a, duration: float) -> dict:
    lo, hi = max(tr.appear, 0.0), min(tr.disappear, duration)
    ts = _samples(tr.motion, lo, hi)
    path = np.round(tr.motion.evaluate(ts).xy, 2).tolist()
    return {"id": tr.id, "class": a.cls, "kind": tr.klass.kind, "occ3d": tr.klass.occ3d,
            "size": list(tr.size), "explicit_size": a.size is not None, "appear": a.appear,
            "disappear": a.disappear, "path": path, "path_t": [_r(t) for t in ts], **_trajectory_json(a.trajectory)}


def scene_payload(world, cache: AgentPayloadCache | None = None) -> dict:
    """Agents (not parked props) and the ego: class, size, trajectory as authored, and the path over the
    scene sampled from the world's motion (positions at PATH_RATE)."""
    layout = world.layout
    duration = layout.duration
    agents = []
    by_id = {a.id: a for a in layout.agents}
    for tr in world.agents:
        if tr.parked:
            continue
        a = by_id[tr.id]
        if cache is None:
            agents.append(_agent_entry(tr, a, duration))
        else:
            agents.append(cache.get(world.roads, (a, duration), lambda tr=tr, a=a: _agent_entry(tr, a, duration)))
    from ..layout.motion import build_motion

    ego = world.ego_spec
    ts = _samples(None, 0.0, duration)
    ego_path = np.round(build_motion(ego.trajectory, world.roads).evaluate(ts).xy, 2).tolist()
    return {
        "name": layout.name, "duration": duration, "seed": layout.seed, "description": layout.description,
        "environment": {"time_of_day": layout.environment.time_of_day, "weather": layout.environment.weather},
        "agents": agents,
        "ego": {"id": "ego", "size": list(ego.size), "rear_overhang": ego.rear_overhang,
                "explicit": layout.ego is not None, "path": ego_path, "path_t": [_r(t) for t in ts],
                **_trajectory_json(ego.trajectory)},
        "classes": {name: {"kind": c.kind, "occ3d": c.occ3d, "size": list(c.size)}
                    for name, c in AGENT_CLASSES.items()},
        "static_props": {name: {"occ3d": occ, "size": list(size)} for name, (occ, size) in STATIC_PROPS.items()},
    }


def state_payload(world, t: float) -> dict:
    """Exact states at time t (s): every present agent's centre, heading, velocity and the ego's pose."""
    st = world.states(t)
    ego = world.ego_pose(t)
    agents = []
    for i, tr in enumerate(world.agents):
        if tr.parked:
            continue
        agents.append({"id": tr.id, "present": bool(st.present[i]), "x": _r(st.center[i, 0]),
                       "y": _r(st.center[i, 1]), "yaw": _r(st.yaw[i]), "vx": _r(st.velocity[i, 0]),
                       "vy": _r(st.velocity[i, 1])})
    return {"t": float(t), "agents": agents,
            "ego": {"x": _r(ego.translation[0]), "y": _r(ego.translation[1]), "yaw": _r(ego.yaw),
                    "vx": _r(ego.velocity[0]), "vy": _r(ego.velocity[1])}}


def positions_at(world, ids: list[str], t: float) -> list[list[float]]:
    """World positions [x, y] of the named agents / props / "ego" at time t (for placing issue markers)."""
    if not ids:
        return []
    st = world.states(max(0.0, t))
    index = {tr.id: i for i, tr in enumerate(world.agents)}
    out = []
    for ident in ids:
        if ident == "ego":
            e = world.ego_pose(t)
            length = world.ego_spec.size[0]
            off = length / 2 - world.ego_spec.rear_overhang
            out.append([_r(e.translation[0] + off * np.cos(e.yaw)), _r(e.translation[1] + off * np.sin(e.yaw))])
        elif ident in index:
            i = index[ident]
            out.append([_r(st.center[i, 0]), _r(st.center[i, 1])])
    return out


def occupancy_payload(world, t: float, grid) -> dict:
    """The Occ3D semantics at time t on `grid` seen from above (each column's highest class) as a PNG in class
    colours, with the ego pose that places the ego-frame grid on the map. Row r, column c of the picture is
    voxel column (i = c, j = ny - 1 - r): +x (forward) right, +y (left) up, in the ego frame."""
    from PIL import Image

    from ..world.pictures import OCC3D_PALETTE, column_classes

    frame = world.frame(t, grid, with_flow=False)
    cols = column_classes(frame.semantics)  # (nx, ny)
    rgba = np.zeros(cols.shape + (4,), np.uint8)
    rgba[..., :3] = OCC3D_PALETTE[cols]
    rgba[..., 3] = np.where(cols == len(OCC3D_NAMES) - 1, 0, 255)
    picture = np.ascontiguousarray(np.transpose(rgba, (1, 0, 2))[::-1])
    buf = Image.fromarray(picture, "RGBA")
    import io

    out = io.BytesIO()
    buf.save(out, format="PNG")
    counts = np.bincount(cols.ravel(), minlength=len(OCC3D_NAMES))
    ego = frame.ego
    return {"t": float(t), "png": base64.b64encode(out.getvalue()).decode("ascii"),
            "ego": {"x": float(ego.translation[0]), "y": float(ego.translation[1]), "yaw": float(ego.yaw)},
            "grid": {"x_min": grid.x_min, "y_min": grid.y_min, "x_max": grid.upper[0], "y_max": grid.upper[1]},
            "legend": [{"id": i, "name": n, "color": OCC3D_PALETTE[i].tolist()}
                       for i, n in enumerate(OCC3D_NAMES) if counts[i] and i != len(OCC3D_NAMES) - 1]}


def palette() -> dict:
    from ..world.pictures import EGO_COLOR, OCC3D_PALETTE

    return {"occ3d": {n: OCC3D_PALETTE[i].tolist() for i, n in enumerate(OCC3D_NAMES)}, "ego": list(EGO_COLOR)}
