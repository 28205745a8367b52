"""Speed profiles, emitted trajectories and space-time reservations of the procedural traffic planner."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.procgen.paths import Limits, Path, fillet, join, plan_profile, to_trajectory
from anyscene.procgen.spacetime import (PEDESTRIAN_MARGIN, VEHICLE_MARGIN, Reservations, check_times, footprint,
                                      static_footprint)
from anyscene.layout.geometry import build_road_geometry
from anyscene.layout.motion import build_motion
from anyscene.layout.schema import LaneCounts, Map, Road

LIM = Limits(accel=2.0, decel=3.0, lateral=2.0)


def _straight(length: float = 200.0) -> Path:
    return Path.of(np.array([[0.0, 0.0], [length, 0.0]]))


def _speeds_accels(path: Path, traj, t: np.ndarray):
    roads = build_road_geometry(Map())
    st = build_motion(traj, roads).evaluate(t)
    v = st.velocity
    return np.hypot(v[:, 0], v[:, 1]), np.hypot(*(np.diff(v, axis=0) / np.diff(t)[:, None]).T), st


def test_cruise_profile_is_exact_and_truncated():
    p = plan_profile(_straight(), 10.0, 8.0, 1.0, 8.0, LIM, t_max=10.0)
    s, v = p.at(np.array([1.0, 5.0, 10.0]))
    assert np.allclose(s, [10.0, 42.0, 82.0]) and np.allclose(v, 8.0)
    assert p.t_end == pytest.approx(10.0) and p.is_cruise


def test_stop_and_depart_respect_limits():
    path = _straight()
    p = plan_profile(path, 0.0, 10.0, 0.0, 10.0, LIM, t_max=30.0, stop_s=60.0, depart=12.0)
    t = np.linspace(0.0, 30.0, 3001)
    s, v = p.at(t)
    assert np.all(np.diff(s) >= -1e-9)  # never backwards
    a = np.diff(v) / np.diff(t)
    assert a.max() <= LIM.accel + 1e-6 and a.min() >= -LIM.decel - 1e-6
    at_stop = (t > p.t[np.argmax(p.v == 0)] + 1e-6) & (t < 12.0)
    assert np.allclose(s[at_stop], 60.0) and np.allclose(v[at_stop], 0.0)
    assert s[-1] > 60.0 and v[-1] == pytest.approx(10.0)


def test_stop_too_close_is_refused():
    assert plan_profile(_straight(), 0.0, 15.0, 0.0, 15.0, LIM, t_max=10.0, stop_s=10.0) is None


def test_curvature_limits_speed_in_a_bend():
    pts = np.array([[0.0, 0.0], [40.0, 0.0], [40.0, 40.0]])
    path = Path.of(fillet(pts, 10.0))
    p = plan_profile(path, 0.0, 8.0, 0.0, 8.0, LIM, t_max=20.0)
    mid = path.length / 2  # inside the 10 m arc
    t_mid = float(np.interp(mid, p.s, p.t))
    assert p.at([t_mid])[1][0] <= np.sqrt(LIM.lateral * 10.0) + 0.05


def test_lane_cruise_and_lane_stop_become_lane_following():
    m = Map(roads=(Road(id="r", centerline=((0.0, 0.0), (300.0, 0.0)), lanes=LaneCounts(forward=1, backward=0)),))
    geo = build_road_geometry(m)
    lane = Path.of_lane(geo.lane("r", 1))
    lim = Limits(2.0, 3.0, np.inf)
    cruise = to_trajectory(lane, plan_profile(lane, 5.0, 9.0, 0.0, 9.0, lim, 10.0), 3.0)
    assert cruise.lane is not None and cruise.lane.speed == 9.0 and cruise.lane.stop_s is None
    stop = to_trajectory(lane, plan_profile(lane, 5.0, 9.0, 0.0, 9.0, lim, 30.0, stop_s=80.0), 3.0)
    assert stop.lane is not None and stop.lane.stop_s == pytest.approx(80.0, abs=0.01)
    st = build_motion(stop, geo).evaluate(np.array([29.0]))
    assert st.xy[0, 0] == pytest.approx(80.0, abs=0.01)


def test_waypoints_reproduce_a_profile_on_a_curve():
    path = join(np.array([[0.0, 0.0], [30.0, 0.0]]), fillet(np.array([[30.0, 0.0], [50.0, 0.0], [50.0, 30.0]]), 12.0))
    p = plan_profile(path, 0.0, 6.0, 0.0, 6.0, LIM, t_max=12.0, stop_s=45.0, depart=9.0)
    traj = to_trajectory(path, p, LIM.decel)
    assert traj.waypoints is not None
    t = np.arange(0.0, p.t_end, 0.05)
    speed, accel, st = _speeds_accels(path, traj, t)
    s_plan, v_plan = p.at(t)
    xy_plan = path.at(s_plan)[0]
    assert np.abs(st.xy - xy_plan).max() < 0.05
    assert np.abs(speed - v_plan).max() < 0.1
    assert accel.max() < 1.25 * np.hypot(LIM.decel, LIM.lateral)  # no interpolation spikes


def test_reservations_detect_conflicts_and_margins():
    times = check_times(4.0)
    n = len(times)
    res = Reservations(times)
    # A car driving along +x at 10 m/s from x = 0.
    xy = np.stack([10.0 * times, np.zeros(n)], axis=1)
    car = footprint(times, xy, np.tile([10.0, 0.0], (n, 1)), np.zeros(n), np.ones(n, bool), 4.6, 1.9, VEHICLE_MARGIN)
    res.add(car)
    # A pedestrian standing on its path at x = 30 m is hit; one 4 m to the side is not.
    on_path = static_footprint(times, (30.0, 0.0), 0.0, 0.7, 0.7, PEDESTRIAN_MARGIN)
    aside = static_footprint(times, (30.0, 4.0), 0.0, 0.7, 0.7, PEDESTRIAN_MARGIN)
    assert not res.fits(on_path) and res.fits(aside)
    # Just ahead of the car's stopping distance (10²/(2·4) + 1 m) the braking margin still catches it.
    gap = 10.0 ** 2 / (2 * VEHICLE_MARGIN.brake) + VEHICLE_MARGIN.front
    ahead = static_footprint(times[:1], (2.3 + gap - 0.2 + 0.35, 0.0), 0.0, 0.7, 0.7, PEDESTRIAN_MARGIN)
    res0 = Reservations(times[:1])
    res0.add(footprint(times[:1], xy[:1], np.array([[10.0, 0.0]]), np.zeros(1), np.ones(1, bool), 4.6, 1.9,
                       VEHICLE_MARGIN))
    assert not res0.fits(ahead)
    far = static_footprint(times[:1], (2.3 + gap + 2.0, 0.0), 0.0, 0.7, 0.7, PEDESTRIAN_MARGIN)
    assert res0.fits(far)
