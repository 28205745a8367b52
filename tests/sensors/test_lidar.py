"""LiDAR: the HDL-32E pattern on the small crossing, labels, ranges and the ego box."""
from __future__ import annotations

import numpy as np

from anyscene.classes import AGENT_CLASSES, LIDARSEG_INDEX, OCC3D_ID, occ3d_to_lidarseg_static
from anyscene.sensors import load_rig, sweep_lidar, sweep_to_world
from anyscene.sensors.lidar import EXACT, LidarRealism, ego_box_contains
from anyscene.sensors.visibility import points_in_box
from sensor_scenes import small_scene, small_world


def _sweep(t=0.0, realism=None):
    return sweep_lidar(small_scene(), load_rig("nuscenes").lidar, small_world(), t, realism=realism)


def test_sweep_pattern_and_ranges():
    lidar = load_rig("nuscenes").lidar
    s = _sweep()
    n = s.points.shape[0]
    down = int((lidar.elevations < 0).sum())  # 23 of the 32 rings point below the horizon
    assert down == 23
    # On the open road the downward rings return (nearly) every firing the ego's body does not block (its
    # measured self-occlusion mask); upward rings only hit the building, the pole and agents. A sweep holds at
    # most 32 × 1085 = 34,720 points.
    free = (~lidar.self_occlusion[lidar.elevations < 0]).sum() / lidar.self_occlusion.shape[1]
    assert 0.9 * free * lidar.azimuth_steps <= n <= 32 * lidar.azimuth_steps
    assert s.points.dtype == np.float32 and s.points.shape == (n, 5)
    ring = s.points[:, 4]
    assert np.all(ring == np.round(ring)) and ring.min() == 0 and ring.max() <= 31
    # Rings steeper than 3° reach the ground within 35 m on every azimuth step but a few (the mounting is
    # tilted by ~1.4°, so the flattest downward ring reaches the ground within 100 m only on part of the turn).
    for r in np.flatnonzero(lidar.elevations < np.radians(-3)):
        assert (ring == r).sum() >= 0.9 * lidar.azimuth_steps * (1 - lidar.self_occlusion[r].mean())
    rng = np.linalg.norm(s.points[:, :3], axis=1)
    assert rng.min() >= lidar.min_range and rng.max() <= lidar.max_range + 1e-3
    intensity = s.points[:, 3]
    assert intensity.min() >= 0 and intensity.max() <= 255 and np.all(intensity == np.round(intensity))
    assert s.lidarseg.dtype == np.uint8 and s.occ3d.dtype == np.uint8 and s.instance.dtype == np.uint16
    assert s.lidarseg.shape == s.occ3d.shape == s.instance.shape == (n,)


def test_points_are_in_the_lidar_frame_of_the_ego_pose():
    """Ground returns lie on z = 0 in the world, also cast while the ego moves (ego-motion compensated, no range
    noise); for an instantaneous revolution (EXACT) ring elevations match the ray pattern."""
    for realism in (LidarRealism(range_noise_m=0.0), EXACT):
        s = _sweep(1.0, realism)
        world_pts = sweep_to_world(s)
        flat = np.isin(s.occ3d, [OCC3D_ID[c] for c in ("driveable_surface", "other_flat", "sidewalk", "terrain")])
        assert flat.sum() > 0.8 * s.points.shape[0]
        np.testing.assert_allclose(world_pts[flat, 2], 0.0, atol=2e-4)
    el = np.arcsin(s.points[:, 2] / np.linalg.norm(s.points[:, :3], axis=1))
    np.testing.assert_allclose(el, s.lidar.elevations[s.points[:, 4].astype(int)], atol=1e-4)


def test_no_points_in_the_ego_box():
    s = _sweep()
    l2e = s.lidar.lidar2ego
    ego_pts = s.points[:, :3].astype(np.float64) @ l2e[:3, :3].T + l2e[:3, 3]
    assert not ego_box_contains(small_world().ego_spec, ego_pts).any()


def test_agent_points_lie_in_their_boxes_and_carry_their_labels():
    """Every agent point lies in the agent's box at the point's own firing time (range noise included), and in
    the box at the sweep time for an instantaneous revolution (EXACT)."""
    world = small_world()
    for t, realism in ((0.0, None), (2.5, None), (2.5, EXACT)):
        s = _sweep(t, realism)
        pts = sweep_to_world(s)
        seen = [int(i) for i in np.unique(s.instance[s.instance > 0])]
        assert len(seen) >= 3
        # Box poses every millisecond of the revolution; each point is checked against the nearest one.
        ms = np.round(s.time * 1000).astype(int)
        for inst in seen:
            for k in np.unique(ms[s.instance == inst]):
                st = world.states(t + k / 1000)
                a = int(np.flatnonzero(st.instance == inst)[0])
                mine = (s.instance == inst) & (ms == k)
                assert points_in_box(pts[mine], st.center[a], st.size[a], st.yaw[a], margin=0.01).all()
            track = world.track_by_instance[inst]
            mine = s.instance == inst
            assert np.all(s.occ3d[mine] == track.occ3d)
            assert np.all(s.lidarseg[mine] == LIDARSEG_INDEX[AGENT_CLASSES[track.klass.name].category])
        static = occ3d_to_lidarseg_static()
        stuff = s.instance == 0
        assert np.all(s.lidarseg[stuff] == np.array([static[c] for c in s.occ3d[stuff]]))


def test_sweeps_are_deterministic():
    a = sweep_lidar(small_scene(), load_rig("nuscenes").lidar, small_world(), 1.25)
    from anyscene.sensors import WorldScene

    b = sweep_lidar(WorldScene(small_world()), load_rig("nuscenes").lidar, small_world(), 1.25)
    assert a.points.tobytes() == b.points.tobytes()
    assert a.lidarseg.tobytes() == b.lidarseg.tobytes() and a.instance.tobytes() == b.instance.tobytes()


def test_split_and_merged_casting_agree():
    """Two BVHs (static + agents) and one rebuilt BVH give the same sweep."""
    from anyscene.sensors import WorldScene

    world = small_world()
    lidar = load_rig("nuscenes").lidar
    a = sweep_lidar(WorldScene(world, small_scene().static, mode="split"), lidar, world, 2.0)
    b = sweep_lidar(WorldScene(world, small_scene().static, mode="merged"), lidar, world, 2.0)
    np.testing.assert_array_equal(a.instance, b.instance)
    np.testing.assert_array_equal(a.occ3d, b.occ3d)
    np.testing.assert_allclose(a.points, b.points, atol=1e-4)
