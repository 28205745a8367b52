"""Sensor timelines: keyframes on LiDAR sweeps, cameras triggered as the LiDAR passes them."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.sensors import load_rig, sensor_timeline
from anyscene.sensors.timing import camera_trigger_offset


def test_keyframes_are_sweeps_at_half_seconds():
    tl = sensor_timeline(6.0)
    np.testing.assert_allclose(tl.lidar, np.arange(121) / 20)
    np.testing.assert_allclose(tl.keyframes, np.arange(13) / 2)
    np.testing.assert_array_equal(tl.lidar[tl.keyframe_sweeps], tl.keyframes)
    np.testing.assert_allclose(tl.camera, np.arange(73) / 12)
    np.testing.assert_allclose(tl.camera[tl.keyframe_camera_frames], tl.keyframes, atol=1e-12)
    assert tl.camera_offsets == {} and np.array_equal(tl.camera_times(), tl.camera)


def test_cameras_fire_as_the_lidar_passes_them():
    rig = load_rig("nuscenes")
    tl = sensor_timeline(3.0, rig=rig)
    off = tl.camera_offsets
    assert set(off) == {c.channel for c in rig.cameras}
    assert all(0.0 <= o < 0.05 for o in off.values())
    # The revolution starts facing backwards and turns clockwise: front after a quarter... half a turn.
    assert abs(off["CAM_FRONT"] - 0.025) < 1e-3
    assert off["CAM_BACK_LEFT"] < off["CAM_FRONT_LEFT"] < off["CAM_FRONT"] < off["CAM_FRONT_RIGHT"] \
        < off["CAM_BACK_RIGHT"]
    for c in rig.cameras:
        times = tl.camera_times(c.channel)
        np.testing.assert_allclose(np.diff(times), 1 / 12)
        np.testing.assert_allclose(times[tl.keyframe_camera_frames] - tl.keyframes, off[c.channel], atol=1e-12)
        assert off[c.channel] == camera_trigger_offset(c, rig.lidar)


def test_rates_must_line_up():
    with pytest.raises(ValueError, match="divide evenly"):
        sensor_timeline(2.0, camera_rate=10, keyframe_rate=3)
