"""The one scene timeline: regular rates, cameras staggered as the LiDAR passes them, or recorded times."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from anyscene.errors import ConfigError
from anyscene.pipeline.timeline import explicit_timeline, regular_timeline, scene_timeline, seconds
from anyscene.sensors import camera_trigger_offset, load_rig

CAMS = ("CAM_FRONT", "CAM_BACK")


def test_regular_timeline_keyframes_on_sweeps_and_cameras():
    tl = regular_timeline(2.9, 12.0, 20.0, 2.0, "s", CAMS)
    assert tl.keyframes.tolist() == [0, 500_000, 1_000_000, 1_500_000, 2_000_000, 2_500_000]
    assert tl.lidar[-1] == tl.camera[0, -1] == tl.keyframes[-1]
    assert np.array_equal(tl.lidar[tl.lidar_keyframe], tl.keyframes)
    assert np.array_equal(tl.camera[:, tl.camera_keyframe >= 0], np.stack([tl.keyframes] * 2))
    assert tl.camera_keyframe[tl.camera_keyframe >= 0].tolist() == list(range(6))
    assert len(tl.lidar) == 51 and tl.n_camera_instants == 31
    assert tl.camera[0, 1] == 83_333 and tl.camera[0, 2] == 166_667  # 1/12 s rounded to the microsecond
    assert tl.camera_sample(1) == 1 and tl.camera_sample(6) == 1 and tl.camera_sample(7) == 2
    assert tl.keyframe_index(1) == 1 and tl.keyframe_index(500_000) == 1
    assert seconds(tl.keyframes[3]) == 1.5
    assert regular_timeline(2.9, 12.0, 20.0, 2.0, "s").epoch_us == tl.epoch_us
    assert tl.epoch_us % 3_600_000_000 == 0
    events = tl.events
    assert events[0] == (0, [(0, 0), (1, 0)], 0, [])
    assert sum(len(c) for _, c, _, _ in events) == 62 and sum(i >= 0 for _, _, i, _ in events) == 51


def test_rates_must_line_up():
    with pytest.raises(ConfigError, match="whole multiple of the keyframe rate"):
        regular_timeline(2.0, 10, 20, 3, "s")


def test_staggered_cameras_fire_as_the_lidar_passes_them():
    rig = load_rig("nuscenes")
    tl = scene_timeline(None, 3.0, (12.0, 20.0, 2.0), "staggered", rig, "s")
    off = {ch: int(tl.camera_times(ch)[0]) for ch in tl.channels}
    assert set(off) == {c.channel for c in rig.cameras} and all(0 <= o < 50_000 for o in off.values())
    # The revolution starts facing backwards and turns clockwise: the front camera after half a turn.
    assert abs(off["CAM_FRONT"] - 25_000) < 1000
    assert off["CAM_BACK_LEFT"] < off["CAM_FRONT_LEFT"] < off["CAM_FRONT"] < off["CAM_FRONT_RIGHT"] \
        < off["CAM_BACK_RIGHT"]
    for c in rig.cameras:
        times = tl.camera_times(c.channel)
        assert off[c.channel] == round(camera_trigger_offset(c, rig.lidar) * 1e6)
        np.testing.assert_array_equal(times[tl.camera_keyframe >= 0] - tl.keyframes, off[c.channel])
    with pytest.raises(ConfigError, match="camera_timing"):
        scene_timeline(None, 3.0, (12.0, 20.0, 2.0), "sometimes", rig, "s")


@dataclass(frozen=True)
class _Cam:
    channel: str
    times: tuple


@dataclass(frozen=True)
class _Recorded:
    keyframes: tuple
    lidar: tuple
    cameras: tuple
    epoch_us: int | None = 1_538_984_233_547_259


def test_recorded_times_are_kept_to_the_microsecond():
    lidar = tuple(round(0.0501 * i, 6) for i in range(21))
    keys = (lidar[0], lidar[10], lidar[20])
    cams = (_Cam("CAM_FRONT", tuple(round(0.012 + 0.0834 * j, 6) for j in range(13))),
            _Cam("CAM_BACK", tuple(round(0.040 + 0.0834 * j, 6) for j in range(14))))
    tl = explicit_timeline(_Recorded(keys, lidar, cams), 5.0, CAMS, "s")
    assert tl.keyframes.tolist() == [0, 501_000, 1_002_000] and tl.epoch_us == 1_538_984_233_547_259
    assert tl.camera_times("CAM_FRONT")[:2].tolist() == [12_000, 95_400]
    assert tl.camera_times("CAM_BACK")[0] == 40_000
    assert tl.camera_keyframe[tl.camera_keyframe >= 0].tolist() == [0, 1, 2]
    assert tl.n_camera_instants == 13  # CAM_BACK's image after its last keyframe image is dropped
    with pytest.raises(ConfigError, match="CAM_BACK_LEFT"):
        explicit_timeline(_Recorded(keys, lidar, cams), 5.0, (*CAMS, "CAM_BACK_LEFT"), "s")
    with pytest.raises(ConfigError, match="LiDAR sweep times"):
        explicit_timeline(_Recorded((0.0, 0.3), lidar, cams), 5.0, CAMS, "s")
    dropped = (_Cam("CAM_FRONT", cams[0].times[:4] + cams[0].times[5:]), cams[1])  # one frame lost
    tl = explicit_timeline(_Recorded(keys, lidar, dropped), 5.0, CAMS, "s")
    assert tl.camera_keyframe[tl.camera_keyframe >= 0].tolist() == [0, 1, 2] and tl.n_camera_instants == 12
    for c in range(2):  # every kept image is a recorded one, each keyframe's images in one instant
        assert set(tl.camera[c].tolist()) <= {round(t * 1e6) for t in (dropped[c].times)}
    key = tl.camera[:, tl.camera_keyframe >= 0]
    assert np.all(np.abs(key - tl.keyframes[None, :]) < 42_000)
    short = explicit_timeline(_Recorded(keys, lidar, cams), 0.6, CAMS, "s")
    assert short.keyframes.tolist() == [0, 501_000] and short.lidar[-1] == 501_000
