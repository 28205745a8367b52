"""The typed records a scene stream yields, instant by instant, in time order. No file I/O happens here.

Times are integer µs from the scene start (the timeline's); `ego` is the ego pose at the record's own time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..world.world import EgoPose, OccupancyFrame
from .boxes import KeyframeBox


@dataclass(frozen=True)
class CameraShot:
    """One camera image: rig camera `camera` (a sensors Camera), image `index` of its chain, fired at `us`;
    `keyframe` the keyframe index it is the image of (-1 for none), `sample` the keyframe it belongs to (its
    own, else the next); `frame` the CameraFrame (semantic, depth, instance, normal maps) at that time."""

    camera: object
    index: int
    us: int
    keyframe: int
    sample: int
    ego: EgoPose
    frame: object

    @property
    def channel(self) -> str:
        return self.camera.channel


@dataclass(frozen=True)
class CameraInstant:
    """Camera instant `index`: one shot per rig camera (rig order) and their RGB images, (H, W, 3) uint8 each,
    or None when the stream renders no images."""

    index: int
    shots: tuple[CameraShot, ...]
    images: tuple[np.ndarray, ...] | None


@dataclass(frozen=True)
class LidarRecord:
    """LiDAR sweep `index` at `us`: `keyframe` its keyframe index (-1 for none), `sample` the keyframe it
    belongs to; `sweep` the LidarScan; `points` (N, 5) float32 x, y, z, intensity, ring in the LiDAR frame."""

    index: int
    us: int
    keyframe: int
    sample: int
    ego: EgoPose
    sweep: object
    points: np.ndarray


@dataclass(frozen=True)
class RadarRecord:
    """Scan `index` of rig radar `radar` (a sensors RadarModel) at `us`: `keyframe` its keyframe index (-1 for
    none), `sample` the keyframe it belongs to; `scan` the RadarScan (detections (N, 18) in the radar frame)."""

    radar: object
    index: int
    us: int
    keyframe: int
    sample: int
    ego: EgoPose
    scan: object

    @property
    def channel(self) -> str:
        return self.radar.channel


@dataclass(frozen=True)
class KeyframeRecord:
    """Keyframe `index` at `us` (its LiDAR sweep's time), complete once its sweep and every camera's keyframe
    image (and radar scan) exist: `lidar` that sweep's record, `shots` channel -> keyframe CameraShot,
    `radar` channel -> keyframe RadarRecord (empty for a rig without radars); `boxes` the candidate
    boxes (instance order) with `visibility` per box (visible fraction 0..1 over all cameras, nuScenes level
    1..4); `occupancy` the ego-frame OccupancyFrame and its `mask_lidar` / `mask_camera` uint8 0/1 (None when
    the stream computes no occupancy)."""

    index: int
    us: int
    lidar: LidarRecord
    shots: dict[str, CameraShot]
    radar: dict[str, RadarRecord]
    boxes: tuple[KeyframeBox, ...]
    visibility: tuple[tuple[float, int], ...]
    occupancy: OccupancyFrame | None
    mask_lidar: np.ndarray | None
    mask_camera: np.ndarray | None


Record = CameraInstant | LidarRecord | RadarRecord | KeyframeRecord
