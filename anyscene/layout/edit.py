"""Editing layouts in code: pure functions that return a new Layout and leave their input untouched.

Values are normalised to the types the YAML reader produces (tuples, floats), so a layout built or edited
here survives `parse_layout(dump_layout(layout))` unchanged. The edits check only what they touch (ids,
times); run `anyscene.validation.check` on the result for the scene checks.

    from anyscene.layout import edit
    layout = edit.add_agent(layout, Agent(id="ped_9", cls="pedestrian",
                                          trajectory=edit.waypoints([(0, (3, 12)), (6, (3, 2))])))
    layout = edit.move_agent(layout, "ped_9", dx=1.5, dy=0.0, dt=2.0)
"""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Iterable

from ..errors import AnySceneError
from .schema import Agent, Ego, LaneFollow, Layout, Prop, Trajectory, Waypoint


class EditError(AnySceneError):
    """An edit that does not apply to this layout (unknown or duplicate id, wrong kind of trajectory)."""


def normalize(obj):
    """A schema dataclass with every value converted to its declared type, recursively: lists to tuples,
    ints to floats where a float is declared."""
    if not dataclasses.is_dataclass(obj):
        raise TypeError(f"expected a layout dataclass, got {type(obj).__name__}")
    return _coerce(obj, type(obj))


def _coerce(value, tp):
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _coerce(value, next(a for a in typing.get_args(tp) if a is not type(None)))
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        changes = {f.name: _coerce(getattr(value, f.name), hints[f.name]) for f in dataclasses.fields(tp)}
        return dataclasses.replace(value, **changes)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0]) for v in value)
        return tuple(_coerce(v, a) for v, a in zip(value, args))
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


# ------------------------------------------------------------------------------------------- builders


def waypoints(points: Iterable) -> Trajectory:
    """A waypoint trajectory from `(t, (x, y))` or `(t, (x, y), (vx, vy))` tuples or `Waypoint`s, in time order."""
    out = []
    for p in points:
        if isinstance(p, Waypoint):
            out.append(p)
        elif len(p) == 2:
            out.append(Waypoint(t=p[0], xy=tuple(p[1])))
        elif len(p) == 3:
            out.append(Waypoint(t=p[0], xy=tuple(p[1]), velocity=tuple(p[2])))
        else:
            raise ValueError(f"a waypoint is (t, (x, y)) or (t, (x, y), (vx, vy)), got {p!r}")
    return normalize(Trajectory(waypoints=tuple(out)))


def lane_follow(road: str, lane: int, s: float = 0.0, speed: float = 0.0, **kwargs) -> Trajectory:
    """A lane-following trajectory; `kwargs` are the other LaneFollow fields (acceleration, stop_s, ...)."""
    return normalize(Trajectory(lane=LaneFollow(road=road, lane=lane, s=s, speed=speed, **kwargs)))


# ---------------------------------------------------------------------------------------------- agents


def _index(layout: Layout, agent_id: str) -> int:
    for i, a in enumerate(layout.agents):
        if a.id == agent_id:
            return i
    known = ", ".join(a.id for a in layout.agents) or "none"
    raise EditError(f"layout '{layout.name}' has no agent '{agent_id}' (agents: {known})")


def _taken(layout: Layout) -> set[str]:
    return {a.id for a in layout.agents} | {p.id for p in layout.map.props}


def add_agent(layout: Layout, agent: Agent) -> Layout:
    """The layout with `agent` appended; its id must be new among agents and props."""
    if agent.id in _taken(layout):
        raise EditError(f"id '{agent.id}' is already used by an agent or prop of layout '{layout.name}'")
    return dataclasses.replace(layout, agents=layout.agents + (normalize(agent),))


def remove_agent(layout: Layout, agent_id: str) -> Layout:
    """The layout without the agent `agent_id`."""
    i = _index(layout, agent_id)
    return dataclasses.replace(layout, agents=layout.agents[:i] + layout.agents[i + 1:])


def replace_agent(layout: Layout, agent: Agent) -> Layout:
    """The layout with the agent of the same id replaced by `agent` (same position in the list)."""
    i = _index(layout, agent.id)
    return dataclasses.replace(layout, agents=layout.agents[:i] + (normalize(agent),) + layout.agents[i + 1:])


def set_trajectory(layout: Layout, agent_id: str, trajectory: Trajectory) -> Layout:
    """The layout with agent `agent_id` moving along `trajectory`."""
    agent = layout.agents[_index(layout, agent_id)]
    return replace_agent(layout, dataclasses.replace(agent, trajectory=trajectory))


def move_agent(layout: Layout, agent_id: str, dx: float, dy: float, dt: float = 0.0) -> Layout:
    """Shift a waypoint agent by (dx, dy) m and its timing (waypoints, appear, disappear) by dt s.

    A lane-following agent can only be shifted in time (its lane start and appear/disappear); use
    `shift_lane_agent` to move it along its lane.
    """
    agent = layout.agents[_index(layout, agent_id)]
    traj = agent.trajectory
    if traj.lane is not None:
        if dx or dy:
            raise EditError(f"agent '{agent_id}' follows lane {traj.lane.lane} of road '{traj.lane.road}': it "
                            "cannot be moved by dx/dy; use shift_lane_agent(layout, id, ds) to move it along the "
                            "lane, or give it waypoints")
        traj = dataclasses.replace(traj, lane=dataclasses.replace(traj.lane, start=_later(traj.lane.start, dt,
                                                                                          agent_id)))
    else:
        traj = dataclasses.replace(traj, waypoints=tuple(
            dataclasses.replace(w, t=_later(w.t, dt, agent_id), xy=(w.xy[0] + dx, w.xy[1] + dy))
            for w in traj.waypoints))
    moved = dataclasses.replace(
        agent, trajectory=traj,
        appear=None if agent.appear is None else _later(agent.appear, dt, agent_id),
        disappear=None if agent.disappear is None else _later(agent.disappear, dt, agent_id))
    return replace_agent(layout, moved)


def shift_lane_agent(layout: Layout, agent_id: str, ds: float) -> Layout:
    """Move a lane-following agent `ds` m along its lane (its start `s` and, if set, `stop_s`)."""
    agent = layout.agents[_index(layout, agent_id)]
    lane = agent.trajectory.lane
    if lane is None:
        raise EditError(f"agent '{agent_id}' has waypoints, not a lane; use move_agent(layout, id, dx, dy)")
    if lane.s + ds < 0:
        raise EditError(f"shifting agent '{agent_id}' by {ds:g} m puts it before the start of its lane "
                        f"(s = {lane.s + ds:g} m)")
    lane = dataclasses.replace(lane, s=lane.s + ds, stop_s=None if lane.stop_s is None else lane.stop_s + ds)
    return set_trajectory(layout, agent_id, Trajectory(lane=lane))


def _later(t: float, dt: float, agent_id: str) -> float:
    if t + dt < 0:
        raise EditError(f"shifting agent '{agent_id}' by {dt:g} s moves a time before the scene start "
                        f"({t:g} + {dt:g} s < 0)")
    return float(t + dt)


# ----------------------------------------------------------------------------------------- props, ego


def add_prop(layout: Layout, prop: Prop) -> Layout:
    """The layout with `prop` appended to the map; its id must be new among agents and props."""
    if prop.id in _taken(layout):
        raise EditError(f"id '{prop.id}' is already used by an agent or prop of layout '{layout.name}'")
    return dataclasses.replace(layout, map=dataclasses.replace(layout.map, props=layout.map.props + (normalize(prop),)))


def remove_prop(layout: Layout, prop_id: str) -> Layout:
    """The layout without the prop `prop_id`."""
    props = tuple(p for p in layout.map.props if p.id != prop_id)
    if len(props) == len(layout.map.props):
        known = ", ".join(p.id for p in layout.map.props) or "none"
        raise EditError(f"layout '{layout.name}' has no prop '{prop_id}' (props: {known})")
    return dataclasses.replace(layout, map=dataclasses.replace(layout.map, props=props))


def set_ego(layout: Layout, ego: Ego | None) -> Layout:
    """The layout with this ego (None: the default ego standing at the origin facing +x)."""
    return dataclasses.replace(layout, ego=None if ego is None else normalize(ego))
