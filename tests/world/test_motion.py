"""Trajectories meet the layout exactly."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.layout import parse_layout
from anyscene.world import World

LAYOUT = """\
name: motion
duration: 20
map:
  roads:
    - {id: main, centerline: [[-100, 0], [100, 0]], lanes: {forward: 2, backward: 1}}
    - {id: bend, centerline: [[0, 30], [40, 40], [80, 80]], smooth: true, lanes: {forward: 1, backward: 1}}
agents:
  - id: ped
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0.0, xy: [3.0, 12.0], velocity: [1.4, 0.0]}
        - {t: 2.5, xy: [6.5, 12.5]}
        - {t: 4.0, xy: [8.0, 14.0], speed: 1.2}
        - {t: 6.0, xy: [8.0, 16.0], velocity: [0.0, 0.0]}
        - {t: 9.0, xy: [8.0, 16.0], velocity: [0.0, 0.0]}
  - id: const
    class: car
    trajectory:
      waypoints:
        - {t: 0.0, xy: [-50.0, -1.75]}
        - {t: 10.0, xy: [50.0, -1.75]}
  - id: lane_car
    class: car
    trajectory: {lane: {road: main, lane: 2, s: 10.0, speed: 10.0}}
  - id: braking
    class: car
    trajectory: {lane: {road: main, lane: -1, s: 5.0, speed: 12.0, stop_s: 80.0, deceleration: 3.0}}
  - id: turning
    class: car
    trajectory: {lane: {road: bend, lane: 1, s: 0.0, speed: 8.0, acceleration: 0.5}}
"""


@pytest.fixture(scope="module")
def world():
    layout, _ = parse_layout(LAYOUT, "motion.yaml")
    return World.compile(layout)


def _state(world, agent_id, t):
    st = world.states(t)
    i = [a.id for a in world.agents].index(agent_id)
    return st.center[i, :2], st.velocity[i], st.yaw[i], st.present[i]


def test_waypoints_met_exactly(world):
    wps = world.layout.agent("ped").trajectory.waypoints
    for w in wps:
        xy, vel, _, present = _state(world, "ped", w.t)
        assert present
        np.testing.assert_allclose(xy, w.xy, atol=1e-6)
        if w.velocity is not None:
            np.testing.assert_allclose(vel, w.velocity, atol=1e-6)
        if w.speed is not None:
            assert abs(np.hypot(*vel) - w.speed) < 1e-6


def test_velocity_is_derivative_of_position(world):
    for t in (0.7, 3.1, 5.2):
        h = 1e-5
        a, _, _, _ = _state(world, "ped", t - h)
        b, _, _, _ = _state(world, "ped", t + h)
        _, vel, _, _ = _state(world, "ped", t)
        np.testing.assert_allclose((b - a) / (2 * h), vel, atol=1e-5)


def test_two_waypoints_give_constant_velocity(world):
    for t in np.linspace(0, 10, 11):
        xy, vel, yaw, _ = _state(world, "const", t)
        np.testing.assert_allclose(xy, [-50 + 10 * t, -1.75], atol=1e-9)
        np.testing.assert_allclose(vel, [10.0, 0.0], atol=1e-9)
        assert abs(yaw) < 1e-12


def test_heading_follows_velocity_and_holds_when_stopped(world):
    _, vel, yaw, _ = _state(world, "ped", 4.0)
    assert abs(yaw - np.arctan2(vel[1], vel[0])) < 1e-9
    _, _, yaw_arrive, _ = _state(world, "ped", 5.99)
    _, vel_stop, yaw_stop, _ = _state(world, "ped", 7.5)
    assert np.hypot(*vel_stop) == 0.0
    assert abs(yaw_stop - yaw_arrive) < 0.02


def test_presence_window_follows_trajectory(world):
    assert not _state(world, "ped", 9.5)[3]
    assert _state(world, "ped", 9.0)[3]


def test_lane_following_position_and_speed(world):
    lane = world.roads.lane("main", 2)
    for t in (0.0, 1.0, 3.3):
        xy, vel, yaw, _ = _state(world, "lane_car", t)
        expect, tangent = lane.at(np.array([10.0 + 10.0 * t]))
        np.testing.assert_allclose(xy, expect[0], atol=1e-9)
        np.testing.assert_allclose(vel, 10.0 * tangent[0], atol=1e-9)
    # Lane 2 of a forward road lies 1.5 lane widths to the right of the centreline.
    assert abs(_state(world, "lane_car", 0.0)[0][1] - (-5.25)) < 1e-9


def test_stop_point_is_reached_exactly_and_held(world):
    lane = world.roads.lane("main", -1)
    t_rest = (80.0 - 5.0 - 12.0 ** 2 / 6.0) / 12.0 + 12.0 / 3.0
    stop_xy = lane.at(np.array([80.0]))[0][0]
    for t in (t_rest, t_rest + 3.0):
        xy, vel, yaw, _ = _state(world, "braking", t)
        np.testing.assert_allclose(xy, stop_xy, atol=1e-9)
        assert np.hypot(*vel) < 1e-9
        assert abs(abs(yaw) - np.pi) < 1e-9  # backward lane drives towards -x and keeps that heading
    _, vel, _, _ = _state(world, "braking", t_rest - 1.0)
    assert abs(np.hypot(*vel) - 3.0) < 1e-9


def test_curved_lane_velocity_is_tangent(world):
    for t in (1.0, 4.0, 7.0):
        _, vel, yaw, _ = _state(world, "turning", t)
        assert abs(np.hypot(*vel) - (8.0 + 0.5 * t)) < 1e-9
        assert abs(np.arctan2(vel[1], vel[0]) - yaw) < 1e-9
