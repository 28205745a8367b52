"""Scene checks that need the compiled scene: every agent, agent-class prop and the ego sampled over time.

`check_scene` adds to the findings of the layout-side checks (`anyscene.layout.validate.check_layout_language`):
presence windows, physical and typical speeds and accelerations per class, vehicles on the drivable surface,
agents inside an explicit map extent, the size of the map, and no overlap between any two of agents, props,
the ego, buildings and static props (`collisions.py`). `anyscene.validation` runs both halves.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..classes import AGENT_CLASSES
from ..layout.checks import TIME_EPS, Findings, check_map_size
from ..layout.geometry import RoadGeometry
from ..layout.motion import LaneMotion, build_motion
from ..layout.schema import Layout
from ..layout.validate import LayoutChecks
from .agents import AgentTrack, compile_agents
from .collisions import Body, check_overlaps, check_static_overlaps, check_surface
from .world import DEFAULT_EGO, default_extent

SAMPLE_RATE = 10.0  # Hz: collision, surface and extent checks
KINEMATIC_RATE = 20.0  # Hz: finite differences of speed and acceleration
EGO_CLASS = AGENT_CLASSES["car"]  # the ego's speed and acceleration limits
SPEED_EPS = 1e-6  # m/s: moving faster than this counts as moving


def check_scene(layout: Layout, lc: LayoutChecks, tracks: list[AgentTrack] | None = None) -> None:
    """Add the scene findings of `layout` to `lc.findings`. `tracks` are the compiled agents of a World of this
    layout (used only when every part of the layout is sound; otherwise the sound parts are compiled here)."""
    f, use, roads = lc.findings, lc.use, lc.roads
    bodies, tracks = _bodies(layout, roads, use, tracks if lc.complete else None)
    if lc.complete and layout.map.extent is None:
        check_map_size(default_extent(layout, roads, tracks), "map", f,
                       "the map (by default all geometry and trajectories plus 80 m)")
    _check_presence(layout, bodies, f)
    for b in bodies:
        if not b.parked:
            _check_kinematics(b, layout, f)
    times = _sample_times(layout.duration, bodies)
    center, yaw, present = _sample(bodies, times)
    check_surface(layout, use, roads, bodies, times, center, yaw, present, f)
    _check_extent(layout, use, bodies, times, center, present, f)
    check_overlaps(bodies, times, center, yaw, present, f)
    check_static_overlaps(layout, use, bodies, times, center, yaw, present, f)


def _bodies(layout: Layout, roads: RoadGeometry, use, tracks: list[AgentTrack] | None = None
            ) -> tuple[list[Body], list[AgentTrack]]:
    """Sound agents, agent-class props and the ego as Bodies (the world's own appear/disappear rules).
    `tracks`: the compiled agents of the whole layout, when every part of it is sound."""
    agent_idx = sorted(use.agents)
    prop_idx = [i for i in sorted(use.props) if layout.map.props[i].cls in AGENT_CLASSES]
    if tracks is None:
        sub = dataclasses.replace(layout, agents=tuple(layout.agents[i] for i in agent_idx), map=dataclasses.replace(
            layout.map, props=tuple(layout.map.props[i] for i in prop_idx)))
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
    return bodies, tracks


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
            f.real_data_error(speed_path or b.where(t), f"{who} cannot move, but moves from t={t:.2f} s (up to {vmax:.2f} "
                                              "m/s); give it a single waypoint or make it a prop")
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

