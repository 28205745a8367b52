"""The editing API: pure edits, clear errors, and YAML round trips of built, edited and example layouts."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from anyscene.layout import dump_layout, edit, load_layout, parse_layout
from anyscene.layout.edit import EditError
from anyscene.layout.schema import Agent, Ego, LaneCounts, Layout, Map, Prop, Road, Trajectory, Waypoint
from anyscene.validation import validate
from testdata import ROOT, SMALL_LAYOUT

sys.path.insert(0, str(Path(__file__).parent))
from layout_scenes import busy_layout  # noqa: E402

EXAMPLES = sorted((ROOT / "layouts").glob("*.yaml"))


def round_trips(layout: Layout) -> bool:
    return parse_layout(dump_layout(layout))[0] == layout


@pytest.fixture
def small():
    return parse_layout(SMALL_LAYOUT)[0]


def test_builders_normalise_types():
    traj = edit.waypoints([(0, (1, 2)), (2.5, [3, 4], [1, 0]), Waypoint(t=4.0, xy=(5.0, 6.0), speed=1.0)])
    w = traj.waypoints
    assert w[0] == Waypoint(t=0.0, xy=(1.0, 2.0)) and isinstance(w[0].t, float) and isinstance(w[0].xy[0], float)
    assert w[1].xy == (3.0, 4.0) and w[1].velocity == (1.0, 0.0) and isinstance(w[1].xy, tuple)
    assert w[2].speed == 1.0
    lane = edit.lane_follow("ew", 1, s=5, speed=3, stop_s=40)
    assert lane.lane.s == 5.0 and isinstance(lane.lane.s, float) and lane.lane.stop_s == 40.0
    with pytest.raises(ValueError, match="a waypoint is"):
        edit.waypoints([(0,)])
    raw = Layout(name="n", map=Map(roads=(Road(id="r", centerline=[[0, 0], [10, 0]], lanes=LaneCounts(forward=2)),)))
    norm = edit.normalize(raw)
    assert norm.map.roads[0].centerline == ((0.0, 0.0), (10.0, 0.0)) and round_trips(norm)


def test_add_and_remove_agents(small):
    ped = Agent(id="ped_9", cls="pedestrian", size=[0.6, 0.6, 1.7], trajectory=edit.waypoints([(0, (30, -12))]))
    added = edit.add_agent(small, ped)
    assert added.agents[-1].id == "ped_9" and added.agents[-1].size == (0.6, 0.6, 1.7)
    assert small.agents[-1].id == "car_2"  # the input is untouched
    assert round_trips(added)
    assert validate(added, {}, "<mem>") == []
    for taken in ("ped_1", "cone_1"):
        with pytest.raises(EditError, match=f"id '{taken}' is already used"):
            edit.add_agent(small, dataclasses.replace(ped, id=taken))
    removed = edit.remove_agent(added, "car_1")
    assert [a.id for a in removed.agents] == ["ped_1", "car_2", "ped_9"] and round_trips(removed)
    with pytest.raises(EditError, match=r"no agent 'car_9' \(agents: ped_1, car_1, car_2\)"):
        edit.remove_agent(small, "car_9")


def test_move_waypoint_agent_in_space_and_time(small):
    small = edit.replace_agent(small, dataclasses.replace(small.agent("ped_1"), appear=1.0, disappear=5))
    moved = edit.move_agent(small, "ped_1", dx=0.5, dy=-1, dt=0.25)
    before, after = small.agent("ped_1"), moved.agent("ped_1")
    for w0, w1 in zip(before.trajectory.waypoints, after.trajectory.waypoints):
        assert w1.t == w0.t + 0.25 and w1.xy == (w0.xy[0] + 0.5, w0.xy[1] - 1.0) and w1.velocity == w0.velocity
    assert (after.appear, after.disappear) == (1.25, 5.25)
    assert [a.id for a in moved.agents] == [a.id for a in small.agents]  # same position in the list
    assert round_trips(moved)
    with pytest.raises(EditError, match="before the scene start"):
        edit.move_agent(small, "ped_1", 0, 0, dt=-0.5)


def test_lane_agents_move_along_their_lane(small):
    with pytest.raises(EditError, match=r"follows lane 1 of road 'ns'.*shift_lane_agent"):
        edit.move_agent(small, "car_1", dx=1.0, dy=0.0)
    later = edit.move_agent(small, "car_1", 0, 0, dt=1.5)
    assert later.agent("car_1").trajectory.lane.start == 1.5 and round_trips(later)
    braking = edit.set_trajectory(small, "car_1", edit.lane_follow("ns", 1, s=70, speed=6, stop_s=100))
    shifted = edit.shift_lane_agent(braking, "car_1", -10)
    lane = shifted.agent("car_1").trajectory.lane
    assert (lane.s, lane.stop_s, lane.speed) == (60.0, 90.0, 6.0) and round_trips(shifted)
    with pytest.raises(EditError, match="before the start of its lane"):
        edit.shift_lane_agent(small, "car_1", -80)
    with pytest.raises(EditError, match="has waypoints, not a lane"):
        edit.shift_lane_agent(small, "ped_1", 1.0)


def test_set_trajectory_replace_agent_props_and_ego(small):
    walked = edit.set_trajectory(small, "car_2", Trajectory(waypoints=(Waypoint(t=0, xy=(30, 1.75)),)))
    assert walked.agent("car_2").trajectory.waypoints[0].xy == (30.0, 1.75) and round_trips(walked)
    with pytest.raises(EditError, match="no agent 'bus_1'"):
        edit.replace_agent(small, Agent(id="bus_1", cls="bus", trajectory=edit.waypoints([(0, (0, 0))])))
    with_prop = edit.add_prop(small, Prop(id="bench_1", cls="bench", xy=(25, 9), yaw=0))
    assert with_prop.map.props[-1].cls == "bench" and round_trips(with_prop)
    with pytest.raises(EditError, match="already used"):
        edit.add_prop(small, Prop(id="car_1", cls="traffic_cone", xy=(0, 0)))
    without = edit.remove_prop(with_prop, "cone_1")
    assert [p.id for p in without.map.props] == ["pole_1", "bench_1"] and round_trips(without)
    with pytest.raises(EditError, match=r"no prop 'cone_9' \(props: cone_1, pole_1\)"):
        edit.remove_prop(small, "cone_9")
    ego = edit.set_ego(small, Ego(size=[4, 1.8, 1.5], trajectory=edit.lane_follow("ew", 2, s=90, speed=4)))
    assert ego.ego.size == (4.0, 1.8, 1.5) and round_trips(ego)
    assert edit.set_ego(small, None).ego is None


def test_built_scene_round_trips():
    layout = busy_layout(duration=12.5, n_agents=11)
    assert round_trips(layout)
    assert round_trips(edit.move_agent(layout, layout.agents[-1].id, 0.1, 0.2, 0.3))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_layouts_round_trip(path):
    layout, _ = load_layout(path)
    assert round_trips(layout)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_layouts_validate(path):
    layout, source = load_layout(path)
    problems = [str(i) for i in validate(layout, source, str(path))]
    assert problems == []
