"""The scene stream: world + rig + timeline + renderer, instant by instant, as typed records. No file I/O.

`scene_stream(world, rig, timeline, suite, config)` walks the timeline's events in time order. Each camera
fires at its own time and its frame is simulated then (`CameraShot`); once every camera of a camera instant has
fired, the instant goes to the renderer, and the stream yields it with its images (`CameraInstant`). Each
LiDAR sweep and radar scan is simulated at its time (`LidarRecord`, `RadarRecord`). A keyframe is complete once its sweep and every camera's
keyframe image (and radar scan) exist; the stream then adds its boxes, their visibility and, when asked, the occupancy and its
masks (`KeyframeRecord`).

Only what is still needed is held: the shots of instants not yet rendered (one instant for the raster
renderer, one chunk for the diffusion renderer) and the parts of the keyframe being completed, so memory
does not grow with the scene's duration. The order of the records is deterministic.
"""
from __future__ import annotations

import dataclasses
from collections import deque
from typing import Iterator

import numpy as np

from .boxes import keyframe_candidates
from .config import StreamConfig
from .records import CameraInstant, CameraShot, KeyframeRecord, LidarRecord, RadarRecord, Record
from .timeline import Timeline, seconds


@dataclasses.dataclass
class _PendingKeyframe:
    lidar: LidarRecord | None = None
    shots: dict = dataclasses.field(default_factory=dict)
    radar: dict = dataclasses.field(default_factory=dict)


def scene_stream(world, rig, timeline: Timeline, suite, config: StreamConfig) -> Iterator[Record]:
    """The records of one scene (see the module docstring). `suite` is the world's SensorSuite for `rig`."""
    cameras = list(rig.cameras)
    radars = list(getattr(rig, "radars", ()))
    if tuple(c.channel for c in cameras) != timeline.channels or len(radars) != len(timeline.radar):
        raise ValueError("scene_stream: the timeline's camera channels are not the rig's")
    out: deque[Record] = deque()
    shots: dict[int, dict[int, CameraShot]] = {}
    ready: dict[int, tuple[CameraShot, ...]] = {}
    keyframes: dict[int, _PendingKeyframe] = {}

    def keyframe_done(k: int) -> None:
        p = keyframes[k]
        if p.lidar is None or len(p.shots) < len(cameras) or len(p.radar) < len(radars):
            return
        del keyframes[k]
        out.append(_keyframe(world, suite, config, k, p))

    def instants():
        for us, fired, lidar_i, scanned in timeline.events:
            for c, j in fired:
                shot = _shot(world, suite, timeline, cameras[c], j)
                shots.setdefault(j, {})[c] = shot
                if shot.keyframe >= 0:
                    keyframes.setdefault(shot.keyframe, _PendingKeyframe()).shots[shot.channel] = shot
                    keyframe_done(shot.keyframe)
            if lidar_i >= 0:
                rec = _lidar(world, suite, timeline, lidar_i)
                out.append(rec)
                if rec.keyframe >= 0:
                    keyframes.setdefault(rec.keyframe, _PendingKeyframe()).lidar = rec
                    keyframe_done(rec.keyframe)
            for r, i in scanned:
                rec = _radar(world, suite, timeline, radars[r], r, i)
                out.append(rec)
                if rec.keyframe >= 0:
                    keyframes.setdefault(rec.keyframe, _PendingKeyframe()).radar[rec.channel] = rec
                    keyframe_done(rec.keyframe)
            for j in sorted(j for j, got in shots.items() if len(got) == len(cameras)):
                got = shots.pop(j)
                done = tuple(got[c] for c in range(len(cameras)))
                ready[j] = done
                yield j, int(done[0].us), [s.frame for s in done]

    for j, _us, images in suite.render_stream(instants(), images=config.images):
        while out:
            yield out.popleft()
        yield CameraInstant(j, ready.pop(j), None if images is None else tuple(images))
    while out:
        yield out.popleft()


def _shot(world, suite, timeline: Timeline, camera, j: int) -> CameraShot:
    us = int(timeline.camera_times(camera.channel)[j])
    t = seconds(us)
    return CameraShot(camera, j, us, int(timeline.camera_keyframe[j]), timeline.camera_sample(j),
                      world.ego_pose(t), suite.camera(camera, t))


def _lidar(world, suite, timeline: Timeline, i: int) -> LidarRecord:
    us = int(timeline.lidar[i])
    t = seconds(us)
    sweep = suite.lidar(t)
    key = int(np.searchsorted(timeline.keyframes, us)) if timeline.lidar_keyframe[i] else -1
    return LidarRecord(i, us, key, timeline.keyframe_index(us), world.ego_pose(t), sweep,
                       np.ascontiguousarray(sweep.points, dtype=np.float32))


def _radar(world, suite, timeline: Timeline, radar, r: int, i: int) -> RadarRecord:
    us = int(timeline.radar[r][i])
    t = seconds(us)
    return RadarRecord(radar, i, us, int(timeline.radar_keyframe[r][i]), timeline.radar_sample(r, i),
                       world.ego_pose(t), suite.radar(radar, t))


def _keyframe(world, suite, config: StreamConfig, k: int, p: _PendingKeyframe) -> KeyframeRecord:
    us = p.lidar.us
    t = seconds(us)
    boxes = keyframe_candidates(world, t, config.max_distance, config.stopped_speed)
    vis = suite.visibility(t, [s.frame for s in p.shots.values()], p.lidar.sweep, [b.instance for b in boxes])
    occ = mask_lidar = mask_camera = None
    if config.occupancy:
        occ = world.frame(t, suite.grid)
        mask_lidar, mask_camera = suite.occupancy_masks(occ, t)
    return KeyframeRecord(k, us, p.lidar, dict(p.shots), dict(p.radar), tuple(boxes),
                          tuple(vis.get(b.instance, (0.0, 1)) for b in boxes), occ, mask_lidar, mask_camera)
