"""The LiDAR scans as the HDL-32E does: per-point firing times in the spin's order, ego-motion compensation that
keeps a wall straight, agents smeared by their own motion, range noise, dropout and intensity."""
from __future__ import annotations

import numpy as np

from anyscene.classes import OCC3D_ID
from anyscene.sensors import load_rig, sweep_lidar, sweep_to_world
from anyscene.sensors.lidar import AZIMUTH_START, EXACT, FIRING_SLOT, LidarRealism, laser_of_ring
from anyscene.sensors.visibility import points_in_box
from sensor_scenes import WALL_X, scene_of, world_of

RIG = load_rig("nuscenes")
NO_NOISE = LidarRealism(range_noise_m=0.0, dropout=False, intensity_noise=0.0)

MOVING_EGO_WALL = f"""\
name: wall_drive
duration: 2
map:
  ground: other_flat
  buildings:
    - {{id: wall, footprint: [[{WALL_X}, -80], [{WALL_X + 1}, -80], [{WALL_X + 1}, 80], [{WALL_X}, 80]], height: 10}}
ego:
  trajectory:
    waypoints:
      - {{t: 0, xy: [0, -10], yaw: 1.5708, velocity: [0, 15]}}
      - {{t: 2, xy: [0, 20], yaw: 1.5708, velocity: [0, 15]}}
"""

CROSSING = """\
name: crossing
duration: 2
map:
  ground: other_flat
agents:
  - id: crosser
    class: car
    shape: van
    trajectory:
      waypoints:
        - {t: 0, xy: [15, -10], velocity: [0, 10]}
        - {t: 2, xy: [15, 10], velocity: [0, 10]}
"""


def test_firing_times_follow_the_spin_and_the_laser_order():
    lidar = RIG.lidar
    s = sweep_lidar(scene_of(MOVING_EGO_WALL), lidar, world_of(MOVING_EGO_WALL), 0.5, realism=NO_NOISE)
    cycle = 1.0 / (lidar.rate * lidar.azimuth_steps)
    assert abs(cycle - 46.08e-6) < 0.05e-6  # the HDL-32E firing cycle
    k = np.floor(s.time / cycle + 0.01).astype(int)
    ring = s.points[:, 4].astype(int)
    # Points come cycle by cycle; within a cycle the lasers fire in laser-id order, 1.152 µs apart.
    assert np.all(np.diff(k) >= 0) and k.max() > 1000
    np.testing.assert_allclose(s.time - k * cycle, FIRING_SLOT * laser_of_ring(32)[ring], atol=1e-8)
    assert list(laser_of_ring(32)[:3]) == [0, 2, 4] and laser_of_ring(32)[16] == 1
    # Clockwise seen from above, starting backwards: seen from the sensor at its firing time, a point's
    # azimuth is the start azimuth minus the angle turned.
    world = world_of(MOVING_EGO_WALL)
    az_fired = []
    for i in np.linspace(0, len(s.time) - 1, 400).astype(int):
        t_i = 0.5 + float(s.time[i])
        ego = world.ego_pose(t_i)
        l2e = lidar.lidar2ego
        p = sweep_to_world(s)[i]
        pl = (ego.to_ego(p[None])[0] - l2e[:3, 3]) @ l2e[:3, :3]
        az_fired.append(np.arctan2(pl[1], pl[0]))
    expect = AZIMUTH_START - 2 * np.pi * lidar.rate * s.time[np.linspace(0, len(s.time) - 1, 400).astype(int)]
    d = np.angle(np.exp(1j * (np.array(az_fired) - expect)))
    assert np.abs(d).max() < np.radians(0.05)


def test_a_wall_scanned_from_a_moving_ego_is_straight_after_compensation():
    world, scene = world_of(MOVING_EGO_WALL), scene_of(MOVING_EGO_WALL)
    s = sweep_lidar(scene, RIG.lidar, world, 0.5, realism=NO_NOISE)
    wall = (s.occ3d == OCC3D_ID["manmade"]) & (s.instance == 0)
    pts = sweep_to_world(s)[wall]
    face = pts[:, 0] < WALL_X + 0.01
    assert face.sum() > 1000
    np.testing.assert_allclose(pts[face, 0], WALL_X, atol=2e-3)
    # Without compensation (each point kept in the sensor frame of its own firing time) the 15 m/s drive over
    # the 50 ms revolution would bend the wall by up to 0.75 m.
    ego0 = world.ego_pose(0.5)
    raw = []
    for p, tau in zip(pts[face][::50], s.time[wall][face][::50]):
        e = world.ego_pose(0.5 + float(tau))
        raw.append(ego0.to_world(e.to_ego(p[None]))[0])
    raw = np.array(raw)
    assert np.abs(raw[:, 1] - pts[face][::50, 1]).max() > 0.3


def test_an_agent_crossing_a_standing_ego_is_smeared_by_its_motion():
    world, scene = world_of(CROSSING), scene_of(CROSSING)
    t = 1.0  # the van is right in front, moving left (+y) at 10 m/s
    moving = sweep_lidar(scene, RIG.lidar, world, t, realism=NO_NOISE)
    frozen = sweep_lidar(scene, RIG.lidar, world, t, realism=EXACT)
    inst = world.agents[0].instance
    pm, pf = sweep_to_world(moving)[moving.instance == inst], sweep_to_world(frozen)[frozen.instance == inst]
    assert len(pm) > 200 and len(pf) > 200
    # Every point lies on the van where it was at the point's firing time...
    tm = moving.time[moving.instance == inst]
    for k in np.unique(np.round(tm * 1e3)):
        sel = np.round(tm * 1e3) == k
        st = world.states(t + k / 1e3)
        assert points_in_box(pm[sel], st.center[0], st.size[0], st.yaw[0], margin=0.006).all()
    # ... so, against its box at the sweep time, each point is displaced along the motion by speed × its firing
    # time (constant velocity): moved back by that, every point lies in the box at t, while the points of the
    # leading end, scanned later... stick out of it (the clockwise beam meets the left, leading end first).
    st = world.states(t)
    v = np.array([0.0, 10.0, 0.0])
    back = pm - tm[:, None].astype(np.float64) * v
    assert points_in_box(back, st.center[0], st.size[0], st.yaw[0], margin=0.002).all()
    out = ~points_in_box(pm, st.center[0], st.size[0], st.yaw[0])
    assert out.any()
    assert np.all(pm[out, 1] > st.center[0, 1])  # only the leading end
    lead = pm[:, 1] - st.center[0, 1]
    assert lead.max() > st.size[0, 0] / 2 + 0.05  # the van moved ~24 cm by the time the beam met it
    frozen_st = points_in_box(pf, st.center[0], st.size[0], st.yaw[0])
    assert frozen_st.all()


def test_noise_dropout_and_intensity():
    world, scene = world_of(MOVING_EGO_WALL), scene_of(MOVING_EGO_WALL)
    exact = sweep_lidar(scene, RIG.lidar, world, 0.5, realism=NO_NOISE)
    real = sweep_lidar(scene, RIG.lidar, world, 0.5)
    again = sweep_lidar(scene, RIG.lidar, world, 0.5)
    assert real.points.tobytes() == again.points.tobytes()  # seeded by the sweep time
    # Dropout loses some returns, more of the far and grazing ones.
    assert 0.6 * len(exact.points) < len(real.points) < 0.995 * len(exact.points)
    r_exact = np.linalg.norm(exact.points[:, :3], axis=1)
    r_real = np.linalg.norm(real.points[:, :3], axis=1)
    near_kept = (r_real < 10).sum() / max((r_exact < 10).sum(), 1)
    far_kept = ((r_real > 30) & (r_real < 60)).sum() / max(((r_exact > 30) & (r_exact < 60)).sum(), 1)
    assert near_kept > 0.95 and far_kept < near_kept
    # Range noise: the wall face is no longer exactly flat, but within the truncation (2 cm along the ray).
    wall = (real.occ3d == OCC3D_ID["manmade"])
    x = sweep_to_world(real)[wall, 0]
    face = x < WALL_X + 0.05
    assert 0.002 < np.std(x[face] - WALL_X) < 0.02 and np.abs(x[face] - WALL_X).max() <= 0.0201
    # Intensity: integers in 0..255, the wall brighter than the flat ground seen at grazing incidence.
    i = real.points[:, 3]
    assert i.min() >= 0 and i.max() <= 255 and np.all(i == np.round(i))
    ground = real.occ3d == OCC3D_ID["other_flat"]
    assert np.median(i[wall]) > np.median(i[ground])
