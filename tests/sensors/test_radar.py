"""Radar: five ARS408 channels at the real rig's poses, sparse detections whose radial velocities are the
targets' velocities projected onto the rays, written as .pcd files the devkit reads back."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anyscene.export.radar import (count_radar_points, default_filter, keyframe_scans, radar_sample_data, radar_times,
                                   write_radar_pcd)
from anyscene.sensors.radar import FIELDS, NUSCENES_RADARS, radar_to_world, scan_radar
from sensor_scenes import scene_of, world_of

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "nuscenes-real"

TRAFFIC = """\
name: radar_traffic
duration: 2
map:
  ground: other_flat
  buildings:
    - {id: wall, footprint: [[40, -30], [41, -30], [41, 30], [40, 30]], height: 6}
ego:
  trajectory:
    waypoints:
      - {t: 0, xy: [0, 0], velocity: [5, 0]}
      - {t: 2, xy: [10, 0], velocity: [5, 0]}
agents:
  - id: oncoming
    class: car
    trajectory:
      waypoints:
        - {t: 0, xy: [35, 3.5], yaw: 3.1416, velocity: [-8, 0]}
        - {t: 2, xy: [19, 3.5], yaw: 3.1416, velocity: [-8, 0]}
  - id: crossing
    class: car
    trajectory:
      waypoints:
        - {t: 0, xy: [18, -12], velocity: [0, 6]}
        - {t: 2, xy: [18, 0], velocity: [0, 6]}
  - id: behind
    class: truck
    trajectory:
      waypoints:
        - {t: 0, xy: [-20, -0.5], velocity: [7, 0]}
        - {t: 2, xy: [-6, -0.5], velocity: [7, 0]}
"""


def test_channels_are_the_real_poses():
    if not (REAL / "v1.0-real").exists():
        pytest.skip("the real nuScenes scene is absent")
    cs = json.loads((REAL / "v1.0-real" / "calibrated_sensor.json").read_text())
    sensors = {s["token"]: s["channel"] for s in json.loads((REAL / "v1.0-real" / "sensor.json").read_text())}
    real = {sensors[c["sensor_token"]]: c for c in cs if sensors[c["sensor_token"]].startswith("RADAR")}
    assert set(real) == {r.channel for r in NUSCENES_RADARS}
    for r in NUSCENES_RADARS:
        np.testing.assert_allclose(r.translation, real[r.channel]["translation"])
        np.testing.assert_allclose(r.rotation, real[r.channel]["rotation"])
    # About 13 Hz, as the real chains.
    assert 12 <= len(radar_times(1.0 - 1e-9, "RADAR_FRONT")) + 1 <= 14


def test_radial_velocities_are_the_targets_velocity_along_the_ray():
    world, scene = world_of(TRAFFIC), scene_of(TRAFFIC)
    t = 1.0
    st = world.states(t)
    ego = world.ego_pose(t)
    seen = set()
    for radar in NUSCENES_RADARS:
        scan = scan_radar(scene, radar, world, t)
        assert scan.points.shape[1] == len(FIELDS) and scan.points.dtype == np.float32
        r2w = ego.rotation @ radar.radar2ego[:3, :3]
        p_world = radar_to_world(scan)
        origin = ego.to_world(radar.radar2ego[:3, 3][None])[0]
        for k in np.flatnonzero(scan.instance > 0):
            a = int(np.flatnonzero(st.instance == scan.instance[k])[0])
            seen.add(int(scan.instance[k]))
            u = p_world[k] - origin
            u[2] = 0
            u /= np.linalg.norm(u)
            v_comp = r2w[:2, :2] @ scan.points[k, 8:10]  # world frame
            v_rad = float(v_comp @ u[:2])
            # The noise on the position moves the ray a little: compare along the detection's own direction.
            assert abs(v_rad - float(st.velocity[a] @ u[:2])) <= 0.1 + 0.15 * np.linalg.norm(st.velocity[a]) * 0.02
            # Raw radial velocity includes the ego's own motion.
            v_raw = float((r2w[:2, :2] @ scan.points[k, 6:8]) @ u[:2])
            sensor_v = np.array([5.0, 0.0])
            assert abs(v_raw - float((st.velocity[a] - sensor_v) @ u[:2])) <= 0.15
    assert len(seen) == 3  # every car is detected by some radar


def test_radial_velocity_exact_along_the_boresight():
    """A target straight ahead of RADAR_FRONT: its detections' compensated radial speed is its speed (≤ 0.1)."""
    world, scene = world_of(TRAFFIC), scene_of(TRAFFIC)
    st = world.states(1.0)
    scan = scan_radar(scene, NUSCENES_RADARS[0], world, 1.0)
    inst = [tr.instance for tr in world.agents if tr.id == "oncoming"][0]
    mine = scan.instance == inst
    assert mine.any()
    p = scan.points[mine]
    u = p[:, :2] / np.linalg.norm(p[:, :2], axis=1, keepdims=True)
    v_rad = np.einsum("ij,ij->i", p[:, 8:10], u)
    a = int(np.flatnonzero(st.instance == inst)[0])
    expect = (np.c_[u, np.zeros(len(u))] @ np.eye(3))[:, :2] @ st.velocity[a]  # radar x ≈ ego x ≈ world x here
    assert np.all(np.abs(v_rad - expect) <= 0.1)


def test_devkit_reads_every_file_and_counts(tmp_path):
    from nuscenes.utils.data_classes import RadarPointCloud

    world, scene = world_of(TRAFFIC), scene_of(TRAFFIC)
    st = world.states(1.0)
    written = 0
    per_radar = []
    for radar in NUSCENES_RADARS:
        times = radar_times(world.duration, radar.channel)
        for i, t in enumerate(times):
            scan = scan_radar(scene, radar, world, float(t))
            path = write_radar_pcd(tmp_path / radar.channel / f"{i}.pcd", scan.points)
            pc = RadarPointCloud.from_file(str(path))
            keep = default_filter(scan.points)
            assert pc.points.shape == (18, int(keep.sum()))
            np.testing.assert_allclose(pc.points.T, scan.points[keep], atol=1e-6)
            written += 1
        k = keyframe_scans(times, [1.0])[0]
        scan = scan_radar(scene, radar, world, float(times[k]))
        per_radar.append(radar_to_world(scan)[default_filter(scan.points)])
    assert written >= 5 * 25
    # An empty scan reads back as an empty cloud.
    empty = RadarPointCloud.from_file(str(write_radar_pcd(tmp_path / "empty.pcd", np.zeros((0, 18)))))
    assert empty.points.shape == (18, 0)
    counts = [count_radar_points(per_radar, st.center[a], st.size[a], st.yaw[a]) for a in range(len(st.center))]
    assert sum(counts) > 0
    rec = radar_sample_data("tok", "s", "cs", 123, True, "samples/RADAR_FRONT/x.pcd", "", "n")
    assert rec["fileformat"] == "pcd" and rec["ego_pose_token"] == "tok"
