"""The scene stream: typed records in time order, no file I/O, cameras at their own (staggered) times."""
from __future__ import annotations

import os

import numpy as np
import pytest

from anyscene.pipeline.config import StreamConfig
from anyscene.pipeline.records import CameraInstant, KeyframeRecord, LidarRecord
from anyscene.pipeline.sensors import SensorSuite, check_sensors
from anyscene.pipeline.stream import scene_stream
from anyscene.pipeline.timeline import scene_timeline


def _stream(layout, timing: str, images: bool = True, occupancy: bool = True):
    import dataclasses

    from anyscene.world import World

    world = World.compile(dataclasses.replace(layout, duration=1.0))
    rig = check_sensors("nuscenes", (160, 90), "occ3d", "raster", None)
    cfg = StreamConfig(camera_timing=timing, images=images, occupancy=occupancy, workers=1)
    tl = scene_timeline(world.layout, 1.0, cfg.rates, timing, rig, "s")
    return rig, tl, list(scene_stream(world, rig, tl, SensorSuite(world, rig, cfg), cfg))


@pytest.fixture(scope="module")
def staggered(tmp_path_factory):
    from anyscene.layout import parse_layout

    from testdata import SMALL_LAYOUT

    cwd = os.getcwd()
    here = tmp_path_factory.mktemp("stream")
    os.chdir(here)
    try:
        layout, _ = parse_layout(SMALL_LAYOUT, "small.yaml")
        result = _stream(layout, "staggered")
    finally:
        os.chdir(cwd)
    assert list(here.iterdir()) == []  # the stream writes no files
    return result


def test_every_sensor_frame_comes_once_with_its_own_time(staggered):
    rig, tl, records = staggered
    cams = [r for r in records if isinstance(r, CameraInstant)]
    sweeps = [r for r in records if isinstance(r, LidarRecord)]
    keys = [r for r in records if isinstance(r, KeyframeRecord)]
    assert [c.index for c in cams] == list(range(tl.n_camera_instants)) and tl.n_camera_instants == 13
    assert [s.index for s in sweeps] == list(range(len(tl.lidar))) and [k.index for k in keys] == [0, 1, 2]
    for c in cams:
        assert [s.channel for s in c.shots] == [cam.channel for cam in rig.cameras]
        assert [s.us for s in c.shots] == tl.camera[:, c.index].tolist()
        assert len({s.us for s in c.shots}) == 6  # staggered: six different times
        assert all(im.shape == (90, 160, 3) and im.dtype == np.uint8 for im in c.images)
        assert all(s.frame.t == s.us / 1e6 for s in c.shots)
    for k in keys:
        assert k.us == tl.keyframes[k.index] == k.lidar.us and k.lidar.keyframe == k.index
        assert sorted(k.shots) == sorted(tl.channels) and all(s.keyframe == k.index for s in k.shots.values())
        assert len(k.boxes) == len(k.visibility) and k.occupancy is not None
        assert k.mask_lidar.shape == k.occupancy.semantics.shape


def test_records_come_in_a_usable_order(staggered):
    _rig, _tl, records = staggered
    seen_sweeps = set()
    for r in records:
        if isinstance(r, LidarRecord):
            seen_sweeps.add(r.index)
        if isinstance(r, KeyframeRecord):
            assert r.lidar.index in seen_sweeps  # a keyframe's sweep record comes before it


def test_without_images_and_occupancy(small_world):
    _rig, _tl, records = _stream(small_world.layout, "synchronous", images=False, occupancy=False)
    cams = [r for r in records if isinstance(r, CameraInstant)]
    keys = [r for r in records if isinstance(r, KeyframeRecord)]
    assert cams and all(c.images is None for c in cams) and all(k.occupancy is None for k in keys)
    assert all(len({s.us for s in c.shots}) == 1 for c in cams)  # synchronous cameras
