"""Scene checks of `validate`, case by case, on small layouts written here."""
from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from anyscene.errors import LayoutError
from anyscene.layout import edit, parse_layout
from anyscene.layout.schema import Agent, Ego, Layout, Prop
from anyscene.layout.geometry import boxes_overlap
from anyscene.validation import check, load_valid, validate
from testdata import ROOT, SMALL_LAYOUT

sys.path.insert(0, str(Path(__file__).parent))
from layout_scenes import busy_layout  # noqa: E402

HEAD = """\
name: t
duration: 10
map:
  roads:
    - {id: main, centerline: [[-100, 0], [100, 0]]}
"""
EGO = "ego:\n  trajectory: {waypoints: [{t: 0, xy: [-90, -1.75]}]}\n"


def issues(text: str, file: str = "t.yaml") -> list[str]:
    layout, source = parse_layout(text, file)
    return [str(i) for i in validate(layout, source, file)]


def agent_yaml(body: str) -> str:
    return HEAD + EGO + "agents:\n" + body


def one(text: str, pattern: str, severity: str = "error") -> str:
    """The single issue of `text`, which must match `pattern` and be of `severity`."""
    found = issues(text)
    assert len(found) == 1, found
    assert f": {severity}: " in found[0] and re.search(pattern, found[0]), found
    return found[0]


# ------------------------------------------------------------------------------------------- clean scenes


def test_fixture_layout_is_clean():
    assert issues(SMALL_LAYOUT) == []


def test_reference_page_example_is_clean():
    text = (ROOT / "docs" / "layout.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    assert issues(example) == []


def test_right_turn_through_the_junction_is_clean():
    """A car turning from lane 1 of `ew` into lane -1 of `ns` on a 13 m arc uses the junction's kerb fillet."""
    text = SMALL_LAYOUT.replace("duration: 6", "duration: 8") + """\
  - id: turner
    class: car
    trajectory:
      waypoints:
        - {t: 0, xy: [-25, -1.75], velocity: [5, 0]}
        - {t: 2, xy: [-15, -1.75], velocity: [5, 0]}
        - {t: 6.16, xy: [-1.75, -15], velocity: [0, -5]}
        - {t: 8, xy: [-1.75, -24.2], velocity: [0, -5]}
"""
    assert issues(text) == []
    cut = issues(text.replace("[-1.75, -15]", "[-8, -12]"))  # cutting across the corner's lawn
    assert any("error: agents[3].trajectory.waypoints[2]: agent 'turner' (car) leaves the drivable surface" in i
               for i in cut), cut


def test_busy_scene_is_clean_and_deterministic():
    layout = busy_layout()
    assert len(layout.agents) == 40 and layout.duration == 30
    first = validate(layout, {}, "<busy>")
    assert first == [] and validate(layout, {}, "<busy>") == first


def test_busy_scene_with_a_collision_reports_the_pair_once():
    layout = busy_layout()
    car = layout.agent("car_0")  # lane 1, s = 60, 10 m/s; the ego drives lane 1 from s = 20 at 10 m/s
    layout = edit.add_agent(layout, Agent(id="ped_x", cls="pedestrian",
                                          trajectory=edit.waypoints([(0.0, (-330.0, -1.75))])))
    assert car.trajectory.lane.lane == 1
    found = [str(i) for i in validate(layout, {}, "<busy>")]
    # car_0's front (x = -400 + 60 + 2.25 + 10 t, shrunk by the tolerance) reaches the pedestrian's back
    # (-330.3) after 0.7 s; the ego's front (-380 + 3.13 + 10 t) after 4.65 s. Each pair once, at its first time.
    tail = "; change a trajectory, a position or the appear/disappear times"
    assert found == ["<busy>: error: agents[40].trajectory.waypoints[0]: agents 'car_0' and 'ped_x' overlap at "
                     "t=0.70 s" + tail,
                     "<busy>: error: agents[40].trajectory.waypoints[0]: agent 'ped_x' and the ego overlap at "
                     "t=4.70 s" + tail]


# ------------------------------------------------------------------------------------------- structure


@pytest.mark.parametrize("body, pattern", [
    ("  - {id: a, class: car, trajectory: {}}\n", r"agents\[0\].trajectory: give exactly one of 'waypoints' or 'lane'"),
    ("  - {id: a, class: car, trajectory: {waypoints: [], lane: {road: main, lane: 1}}}\n", "exactly one of"),
    ("  - {id: a, class: car, trajectory: {waypoints: []}}\n", "needs at least one waypoint"),
    ("  - {id: a, class: car, size: [4, 0, 1.5], trajectory: {lane: {road: main, lane: 1}}}\n",
     r"agents\[0\].size: length, width and height must all be > 0"),
    ("  - {id: a, class: car, trajectory: {lane: {road: main, lane: 0}}}\n", "road 'main' has no lane 0"),
    ("  - {id: a, class: car, trajectory: {lane: {road: main, lane: 1, s: 50, stop_s: 40}}}\n",
     "stop_s 40 m is behind the start s 50 m"),
    ("  - {id: a, class: car, trajectory: {lane: {road: main, lane: 1, s: 50, speed: 10, stop_s: 60}}}\n",
     r"braking from 10 m/s at 3 m/s² takes 16.7 m but stop_s is 10.0 m ahead; move stop_s to ≥ 66.7"),
    ("  - {id: a, class: car, trajectory: {lane: {road: main, lane: 1, s: 250}}}\n",
     r"s = 250 m is beyond the end of lane 1 of road 'main' \(length 200.0 m\)"),
    ("  - {id: a, class: car, trajectory: {lane: {road: main, lane: 1, s: 150, stop_s: 250}}}\n",
     "stop_s = 250 m is beyond the end of lane 1"),
])
def test_trajectory_form_errors(body, pattern):
    one(agent_yaml(body), pattern)


@pytest.mark.parametrize("map_part, pattern", [
    ("    - {id: r2, centerline: [[5, 50], [5, 50]]}\n",
     r"map.roads\[1\].centerline: a road needs at least 2 distinct"),
    ("    - {id: r2, centerline: [[0, 50], [50, 50], [0, 51]]}\n", "turns back on itself near"),
    ("    - {id: r2, centerline: [[0, 50], [50, 50]], lanes: {forward: 0, backward: 0}}\n",
     r"map.roads\[1\].lanes: a road needs at least one lane"),
    ("    - {id: main, centerline: [[0, 50], [50, 50]]}\n",
     r"map.roads\[1\].id: duplicate road id 'main', already used by map.roads\[0\] \(line 5\)"),
    ("  crosswalks:\n    - {id: c, road: main}\n", "a crosswalk across a road needs 's'"),
    ("  crosswalks:\n    - {id: c, road: main, s: 230}\n",
     r"s = 230 m is outside road 'main' \(centreline length 200.0 m\)"),
    ("  crosswalks:\n    - {id: c, road: main, s: 20, polygon: [[0, 0], [1, 0], [1, 1]]}\n",
     "give either 'road' and 's'"),
    ("  crosswalks:\n    - {id: c, road: mian, s: 20}\n", "unknown road 'mian'; did you mean 'main'"),
    ("  areas:\n    - {class: parking, polygon: [[0, 20], [5, 20], [0, 20]]}\n", "at least 3 distinct points"),
    ("  areas:\n    - {class: parking, polygon: [[0, 20], [5, 20], [10, 20]]}\n",
     r"invalid polygon \(zero area: the points lie on one line\)"),
    ("  extent: [50, -50, -50, 50]\n", "map.extent: needs xmin < xmax"),
])
def test_map_errors(map_part, pattern):
    one(HEAD + map_part + EGO, pattern)


def test_ego_errors():
    one(HEAD + "ego:\n  size: [2.5, 2, 1.5]\n  rear_overhang: 2.9\n"
               "  trajectory: {waypoints: [{t: 0, xy: [-90, -1.75]}]}\n",
        r"ego.rear_overhang: rear overhang 2.9 m must be shorter than the ego's length 2.5 m")
    found = issues(HEAD + "ego:\n  trajectory: {lane: {road: main, lane: 1, s: 150, speed: 10}}\n")
    assert found[0] == ("t.yaml:7:22: error: ego.trajectory.lane: the ego reaches the end of its lane at t=5.00 s, "
                        "before the scene ends (10 s); start further back, drive slower or shorten the scene")


def test_unusable_entries_do_not_hide_other_problems():
    text = agent_yaml("""\
  - {id: a, class: pedestrain, trajectory: {waypoints: [{t: 0, xy: [0, 20]}]}}
  - {id: b, class: car, trajectory: {lane: {road: nope, lane: 1}}}
  - {id: c, class: pedestrian, trajectory: {waypoints: [{t: 0, xy: [0, 30]}]}}
  - {id: d, class: pedestrian, trajectory: {waypoints: [{t: 0, xy: [0.2, 30]}]}}
""")
    found = issues(text)
    assert len(found) == 3, found
    assert "unknown agent class 'pedestrain'" in found[0] and "unknown road 'nope'" in found[1]
    assert "agents 'c' and 'd' overlap at t=0.00 s" in found[2]


# --------------------------------------------------------------------------------------------- presence


def test_presence_outside_the_trajectory():
    wp = "trajectory: {waypoints: [{t: 2, xy: [0, 20]}, {t: 6, xy: [4, 20]}]}"
    one(agent_yaml(f"  - {{id: a, class: pedestrian, appear: 1, {wp}}}\n"),
        r"agents\[0\].appear: appear 1 s is before its trajectory starts \(2 s\)")
    one(agent_yaml(f"  - {{id: a, class: pedestrian, disappear: 7, {wp}}}\n"),
        r"agents\[0\].disappear: disappear 7 s is after the agent reaches its last waypoint \(6.00 s\)")
    assert issues(agent_yaml(f"  - {{id: a, class: pedestrian, appear: 3, disappear: 5, {wp}}}\n")) == []
    lane = "trajectory: {lane: {road: main, lane: 1, s: 150, speed: 10, start: 1}}"
    one(agent_yaml(f"  - {{id: a, class: car, disappear: 8, {lane}}}\n"),
        r"disappear 8 s is after the agent reaches the end of its lane \(6.00 s\)")
    one(agent_yaml(f"  - {{id: a, class: car, appear: 0.5, {lane}}}\n"),
        r"appear 0.5 s is before its lane motion starts")
    assert issues(agent_yaml(f"  - {{id: a, class: car, appear: 3, {lane}}}\n")) == []  # may appear later


def test_late_times_are_warnings():
    one(agent_yaml("  - {id: a, class: pedestrian, trajectory: {waypoints: [{t: 0, xy: [0, 20]}, "
                   "{t: 12, xy: [9, 20]}]}}\n"),
        r"waypoints\[1\].t: time 12 s is after the scene's end \(10 s\)", "warning")
    one(agent_yaml("  - {id: a, class: pedestrian, appear: 11, trajectory: {waypoints: [{t: 0, xy: [0, 20]}]}}\n"),
        "the agent never shows", "warning")


# ------------------------------------------------------------------------------------------- kinematics


def test_lane_speed_limit_and_profile_limits():
    msg = one(agent_yaml("  - {id: a, class: car, trajectory: {lane: {road: main, lane: -1, s: 10, speed: 15}}}\n"),
              r"agents\[0\].trajectory.lane.speed: agent 'a': speed above the speed limit 13.9 m/s of road 'main'",
              "warning")
    assert msg.startswith("t.yaml:9:") and "from t=0.00 s (up to 15.0 m/s)" in msg
    msg = one(agent_yaml("  - {id: a, class: truck, disappear: 1, "
                         "trajectory: {lane: {road: main, lane: -1, s: 10, acceleration: 9}}}\n"),
              r"agents\[0\].trajectory.lane.acceleration: agent 'a' \(truck\): acceleration above the physical limit 8")
    assert "up to 9.0 m/s²" in msg
    # A bus brakes at the default 3 m/s² (above its typical 2.5): `deceleration` is not in the file, so the
    # issue points at the lane mapping.
    text = agent_yaml("  - id: a\n    class: bus\n    trajectory:\n      lane: {road: main, lane: -1, s: 10, speed: 6, "
                      "stop_s: 40}\n")
    msg = one(text, r"agents\[0\].trajectory.lane.deceleration: .*acceleration above the typical 2.5", "warning")
    assert msg.startswith("t.yaml:12:13:")


def test_ego_speed_limits_use_class_car():
    text = HEAD + "ego:\n  trajectory: {waypoints: [{t: 0, xy: [-90, -1.75]}, {t: 1, xy: [-10, -1.75]}]}\n"
    one(text, r"ego.trajectory.waypoints\[0\]: the ego \(limits of class 'car'\): speed above the physical limit 70")


# ------------------------------------------------------------------------------------------ surfaces


def test_vehicle_surface_rules():
    # Pedestrians and cycles may leave the road; vehicles may use parking areas and driveable ground.
    assert issues(agent_yaml("  - {id: p, class: pedestrian, trajectory: {waypoints: [{t: 0, xy: [0, 30]}]}}\n"
                             "  - {id: b, class: bicycle, trajectory: {waypoints: [{t: 0, xy: [5, 30]}]}}\n")) == []
    parked = HEAD + "  areas:\n    - {class: parking, polygon: [[10, 8], [30, 8], [30, 20], [10, 20]]}\n" \
        + "  props:\n    - {id: c, class: car, xy: [20, 14], yaw: 1.57}\n" + EGO
    assert issues(parked) == []
    one(parked.replace("[20, 14]", "[34, 14]"), r"map.props\[0\].xy: prop 'c' \(car\) stands off the drivable")
    grass = agent_yaml("  - {id: c, class: car, trajectory: {waypoints: [{t: 0, xy: [0, 30]}]}}\n")
    one(grass, "leaves the drivable surface at t=0.00 s")
    assert issues(grass.replace("map:\n", "map:\n  ground: driveable_surface\n")) == []
    # A raised area (a hedge) on the road blocks vehicles.
    hedge = HEAD + "  areas:\n    - {class: vegetation, height: 1, polygon: [[0, -3], [4, -3], [4, -1], [0, -1]]}\n" \
        + EGO + "agents:\n  - {id: c, class: car, trajectory: {lane: {road: main, lane: 1, s: 60, speed: 10}}}\n"
    one(hedge, "agent 'c' \\(car\\) leaves the drivable surface at t=3.")


def test_road_ends_let_vehicles_enter_and_leave():
    text = agent_yaml("  - {id: c, class: bus, trajectory: {lane: {road: main, lane: -1, s: 0, speed: 10}}}\n")
    assert issues(text) == []  # the bus starts with its rear half beyond the road's end at x = 100
    beyond = agent_yaml("  - {id: c, class: car, trajectory: {waypoints: [{t: 0, xy: [103, 1.75]}]}}\n")
    one(beyond, "leaves the drivable surface")


def test_agents_stay_inside_an_explicit_extent():
    text = HEAD + "  extent: [-120, -50, 120, 50]\n" + EGO + "agents:\n" \
        "  - {id: a, class: bicycle, trajectory: {waypoints: [{t: 0, xy: [0, 20]}, {t: 10, xy: [0, 60]}]}}\n"
    one(text, r"agent 'a' is outside the map extent at t=7.60 s, at \(0.0, 50.4\)")
    assert issues(text.replace("[0, 60]", "[0, 50]")) == []


# ------------------------------------------------------------------------------------------- overlaps


def test_touching_boxes_are_allowed():
    cones = HEAD + "  props:\n    - {id: c1, class: traffic_cone, xy: [0, 20]}\n" \
        "    - {id: c2, class: traffic_cone, xy: [X, 20]}\n" + EGO
    assert issues(cones.replace("X", "0.45")) == []  # exactly touching
    assert issues(cones.replace("X", "0.40")) == []  # 5 cm into each other: within the tolerance
    one(cones.replace("X", "0.30"), r"map.props\[1\].xy: props 'c1' and 'c2' overlap at t=0.00 s")


def test_ego_box_extends_from_the_rear_axle():
    # Ego rear axle at the origin facing +x: the box spans x from -0.9 to 3.18 (default size and overhang).
    for x, overlaps in ((-1.4, False), (-1.1, True), (3.4, True), (3.6, False)):
        text = "name: t\nagents:\n  - {id: p, class: pedestrian, trajectory: {waypoints: [{t: 0, xy: [X, 0]}]}}\n"
        found = issues(text.replace("X", str(x)))
        assert bool(found) == overlaps, (x, found)
        if overlaps:
            assert "agent 'p' and the ego overlap at t=0.00 s" in found[0]


def test_default_ego_is_checked_against_buildings():
    text = "name: t\nmap:\n  buildings:\n    - {id: b1, footprint: [[-1, -1], [1, -1], [1, 1], [-1, 1]]}\n"
    assert issues(text) == ["t.yaml: error: ego: the ego and building 'b1' overlap at t=0.00 s; move the ego or the "
                            "building"]
    assert issues(text.replace("[[-1, -1], [1, -1], [1, 1], [-1, 1]]", "[[4, -1], [6, -1], [6, 1], [4, 1]]")) == []


def test_appear_and_disappear_bound_collisions():
    text = agent_yaml("""\
  - {id: c, class: car, trajectory: {lane: {road: main, lane: 1, s: 50, speed: 10}}}
  - {id: p, class: pedestrian, disappear: D, trajectory: {waypoints: [{t: 0, xy: [0, -1.75]}]}}
""")
    assert issues(text.replace("D", "4.7")) == []  # gone just before the car arrives (front at -2.55 m at 4.745 s)
    one(text.replace("D", "4.8"), "agents 'c' and 'p' overlap at t=4.80 s")


def test_separating_axis_matches_shapely():
    from shapely.geometry import Polygon

    rng = np.random.default_rng(0)
    k = 400
    c1, c2 = rng.uniform(-3, 3, (k, 2)), rng.uniform(-3, 3, (k, 2))
    y1, y2 = rng.uniform(-np.pi, np.pi, k), rng.uniform(-np.pi, np.pi, k)
    h1, h2 = rng.uniform(0.2, 2.5, (k, 2)), rng.uniform(0.2, 2.5, (k, 2))

    def poly(c, y, h):
        u, v = np.array([np.cos(y), np.sin(y)]), np.array([-np.sin(y), np.cos(y)])
        return Polygon([c + a * h[0] * u + b * h[1] * v for a, b in ((1, 1), (-1, 1), (-1, -1), (1, -1))])

    got = boxes_overlap(c1, y1, h1, c2, y2, h2)
    want = np.array([poly(c1[i], y1[i], h1[i]).intersection(poly(c2[i], y2[i], h2[i])).area > 1e-9 for i in range(k)])
    assert got.any() and not got.all()
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------------------------------ API


def test_check_in_memory_names_field_paths():
    layout = Layout(name="mem", agents=(Agent(id="a", cls="pedestrain", trajectory=edit.waypoints([(0, (0, 20))])),))
    with pytest.raises(LayoutError) as e:
        check(layout)
    assert str(e.value) == ("<layout>: error: agents[0].class: unknown agent class 'pedestrain'; did you mean "
                            "'pedestrian'?")
    fast = edit.set_ego(Layout(name="mem"), Ego(trajectory=edit.waypoints([(0, (0, 0)), (1, (45, 0))])))
    fast = dataclasses.replace(fast, map=parse_layout(HEAD)[0].map)
    assert check(fast).layout is fast  # 45 m/s: a warning only
    with pytest.raises(LayoutError, match="warning: ego.trajectory.waypoints"):
        check(fast, file="fast", strict=True)


def test_load_valid(tmp_path, small_layout_path):
    layout = load_valid(small_layout_path).layout
    assert layout.name == "small_cross"
    bad = tmp_path / "bad.yaml"
    bad.write_text(agent_yaml("  - {id: a, class: pedestrian, trajectory: {waypoints: [{t: 0, xy: [0, 20]}, "
                              "{t: 12, xy: [9, 20]}]}}\n"))
    assert load_valid(bad).layout.name == "t"
    with pytest.raises(LayoutError) as e:
        load_valid(bad, strict=True)
    assert str(e.value).startswith(f"{bad}:9:82: warning: agents[0].trajectory.waypoints[1].t: time 12 s")
    with pytest.raises(LayoutError, match="file not found"):
        load_valid(tmp_path / "missing.yaml")


def test_props_share_the_agent_namespace():
    layout = Layout(name="ns", map=parse_layout(HEAD)[0].map)
    layout = edit.add_prop(layout, Prop(id="x", cls="traffic_cone", xy=(0, 20)))
    ped = Agent(id="x", cls="pedestrian", trajectory=edit.waypoints([(0, (5, 20))]))
    dup = dataclasses.replace(layout, agents=(ped,))
    found = [str(i) for i in validate(dup, {}, "<ns>")]
    assert found == ["<ns>: error: agents[0].id: duplicate prop or agent id 'x', already used by map.props[0]; "
                     "give each a unique id"]
