"""Sensor rigs: the nuScenes calibration, example rigs, scaling and config errors."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.errors import ConfigError
from anyscene.sensors import load_rig
from anyscene.sensors.geometry import quat_to_matrix
from anyscene.sensors.rig import look_rotation


def test_nuscenes_rig_matches_design():
    rig = load_rig("nuscenes")
    assert rig.name == "nuscenes"
    assert [c.channel for c in rig.cameras] == ["CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_FRONT_LEFT", "CAM_BACK",
                                                "CAM_BACK_LEFT", "CAM_BACK_RIGHT"]
    front = rig.camera("CAM_FRONT")
    assert (front.width, front.height) == (1600, 900)
    np.testing.assert_allclose(front.intrinsic, [[1266.42, 0, 816.27], [0, 1266.42, 491.51], [0, 0, 1]])
    np.testing.assert_allclose(front.translation, [1.701, 0.016, 1.511])
    q = np.array([0.4998, -0.5030, 0.4998, -0.4974])
    np.testing.assert_allclose(front.rotation, q / np.linalg.norm(q))
    # CAM_FRONT looks forward: its optical axis (camera z) is the ego's x axis.
    np.testing.assert_allclose(front.cam2ego[:3, 2], [1, 0, 0], atol=0.01)
    # CAM_BACK looks backward.
    np.testing.assert_allclose(rig.camera("CAM_BACK").cam2ego[:3, 2], [-1, 0, 0], atol=0.02)
    lidar = rig.lidar
    assert lidar.elevations.shape == (32,)
    np.testing.assert_allclose(np.degrees(lidar.elevations[[0, -1]]), [-30.67, 10.67])
    np.testing.assert_allclose(np.degrees(np.diff(lidar.elevations)), 41.34 / 31)
    assert (lidar.azimuth_steps, lidar.rate, lidar.max_range, lidar.min_range) == (1085, 20.0, 100.0, 1.0)
    # LIDAR_TOP is yawed -90° about z: its y axis points forward.
    np.testing.assert_allclose(lidar.lidar2ego[:3, 1], [1, 0, 0], atol=0.03)


def test_example_rigs():
    three, eight = load_rig("three_cam"), load_rig("eight_cam")
    assert len(three.cameras) == 3 and len(eight.cameras) == 8
    yaws = [np.degrees(np.arctan2(c.cam2ego[1, 2], c.cam2ego[0, 2])) for c in eight.cameras]
    np.testing.assert_allclose(np.sort(np.mod(np.round(yaws, 6), 360)), np.arange(0, 360, 45), atol=1e-6)
    for c in three.cameras:  # all three look forward-ish
        assert c.cam2ego[0, 2] > 0.5


def test_look_rotation_is_a_level_camera():
    r = quat_to_matrix(look_rotation(np.pi / 2, 0.0))
    np.testing.assert_allclose(r[:, 2], [0, 1, 0], atol=1e-12)  # looks left
    np.testing.assert_allclose(r[:, 1], [0, 0, -1], atol=1e-12)  # image down is world down
    np.testing.assert_allclose(r[:, 0], [1, 0, 0], atol=1e-12)  # image right is forward when looking left


def test_resolution_scales_intrinsics():
    native = load_rig("nuscenes")
    small = load_rig("nuscenes", resolution=(800, 450))
    for a, b in zip(native.cameras, small.cameras):
        assert (b.width, b.height) == (800, 450)
        np.testing.assert_allclose(b.intrinsic[:2], a.intrinsic[:2] / 2)
        np.testing.assert_allclose(b.translation, a.translation)
        np.testing.assert_allclose(b.rotation, a.rotation)
    odd = load_rig("eight_cam", resolution=(640, 480))
    c = odd.cameras[0]
    k = load_rig("eight_cam").cameras[0].intrinsic
    np.testing.assert_allclose(c.intrinsic[0], k[0] * 640 / 960)
    np.testing.assert_allclose(c.intrinsic[1], k[1] * 480 / 540)


def test_unknown_rig_lists_known_rigs():
    with pytest.raises(ConfigError, match="known rigs: eight_cam, nuscenes, three_cam"):
        load_rig("no_such_rig")


@pytest.mark.parametrize("body, message", [
    ("cameras:\n  - {channel: C, fov_deg: 60, translation: [0, 0, 1], yaw_deg: 0, zoom: 2}\n"
     "lidar: {translation: [0, 0, 1], rotation: [1, 0, 0, 0]}\n", "zoom"),
    ("cameras:\n  - {channel: C, fov_deg: 60, translation: [0, 0, 1], yaw_deg: 0}\n"
     "lidar: {translation: [0, 0, 1], rotation: [1, 0, 0, 0]}\nextra: 1\n", "extra"),
    ("cameras:\n  - {channel: C, fx: 500, fov_deg: 60, translation: [0, 0, 1], yaw_deg: 0}\n"
     "lidar: {translation: [0, 0, 1], rotation: [1, 0, 0, 0]}\n", "exactly one of fx or fov_deg"),
    ("cameras:\n  - {channel: C, fov_deg: 60, translation: [0, 0], yaw_deg: 0}\n"
     "lidar: {translation: [0, 0, 1], rotation: [1, 0, 0, 0]}\n", "translation needs 3"),
    ("cameras:\n  - {channel: C, fov_deg: 60, translation: [0, 0, 1], yaw_deg: 0}\n"
     "  - {channel: C, fov_deg: 60, translation: [0, 0, 1], yaw_deg: 90}\n"
     "lidar: {translation: [0, 0, 1], rotation: [1, 0, 0, 0]}\n", "duplicate"),
    ("cameras: [\n", "bad_rig.yaml:2:1: YAML syntax error"),
])
def test_bad_rig_files_name_the_file(tmp_path, body, message):
    path = tmp_path / "bad_rig.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message) as e:
        load_rig(str(path))
    assert str(path) in str(e.value)


def test_custom_rig_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("cameras:\n  - {channel: CAM_X, width: 320, height: 200, fov_deg: 90, translation: [1, 0, 2], "
                    "yaw_deg: 180, pitch_deg: -10}\nlidar: {translation: [0, 0, 2], rotation: [1, 0, 0, 0], "
                    "elevations_deg: [-10, 0, 10], azimuth_steps: 360}\n")
    rig = load_rig(str(path))
    assert rig.name == "mine"
    cam = rig.cameras[0]
    np.testing.assert_allclose(cam.intrinsic[0, 0], 160.0)  # 90° fov over 320 px
    np.testing.assert_allclose(cam.cam2ego[:3, 2], [-np.cos(np.radians(10)), 0, -np.sin(np.radians(10))],
                               atol=1e-12)
    np.testing.assert_allclose(np.degrees(rig.lidar.elevations), [-10, 0, 10])
