"""When each sensor samples the world.

LiDAR sweeps run at `lidar_rate` from t = 0; keyframes ("samples") are the sweeps at multiples of
1/keyframe_rate. As on the nuScenes car, a camera is triggered when the spinning LiDAR passes the centre of its
view: each camera runs at `camera_rate` with a fixed offset within the revolution, so at every keyframe each
camera has a frame exactly when the keyframe's sweep passes it. The LiDAR starts its revolution facing
backwards and turns clockwise seen from above (lidar.AZIMUTH_START). Every sensor samples the world at its
own timestamp.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..world.world import frame_times


@dataclass(frozen=True)
class Timeline:
    """Sensor timestamps of a scene, float seconds from scene start.

    lidar (S,) sweep start times; keyframes (K,) keyframe times, each equal to a sweep time; keyframe_sweeps
    (K,) int index into `lidar` of each keyframe's sweep; camera (F,) the cameras' nominal frame times (from 0
    at camera_rate); camera_offsets: channel -> trigger offset (s) of that camera after the nominal time
    (empty without a rig); keyframe_camera_frames (K,) int index into `camera` of each keyframe's frame.
    """

    duration: float
    lidar: np.ndarray
    keyframes: np.ndarray
    keyframe_sweeps: np.ndarray
    camera: np.ndarray
    camera_offsets: dict[str, float]
    keyframe_camera_frames: np.ndarray

    def camera_times(self, channel: str | None = None) -> np.ndarray:
        """Frame times (F,) of one camera: the nominal times plus its trigger offset (which can carry the last
        frame up to one revolution past the duration)."""
        return self.camera + (self.camera_offsets.get(channel, 0.0) if channel is not None else 0.0)


def camera_trigger_offset(camera, lidar) -> float:
    """Seconds after a sweep's start at which the LiDAR beam passes the camera's optical axis."""
    from .lidar import AZIMUTH_START

    axis_ego = camera.cam2ego[:3, 2]
    axis_lidar = lidar.lidar2ego[:3, :3].T @ axis_ego
    azimuth = np.arctan2(axis_lidar[1], axis_lidar[0])
    swept = (AZIMUTH_START - azimuth) % (2 * np.pi)  # clockwise angle from the start to the camera
    return float(swept / (2 * np.pi) / lidar.rate)


def sensor_timeline(duration: float, camera_rate: float = 12, lidar_rate: float = 20, keyframe_rate: float = 2,
                    rig=None) -> Timeline:
    """Timestamps for a scene of `duration` s. With a `rig`, each camera's trigger offset follows the LiDAR's
    azimuth (and the LiDAR rate is the rig's); without one the cameras have no offsets (aligned 12 Hz times).
    `lidar_rate` must be a multiple of `keyframe_rate`, and 1/keyframe_rate a multiple of 1/camera_rate, so that
    keyframes fall on sweeps and camera frames."""
    if rig is not None:
        lidar_rate = rig.lidar.rate
    per_key = lidar_rate / keyframe_rate
    cam_per_key = camera_rate / keyframe_rate
    if abs(per_key - round(per_key)) > 1e-9 or abs(cam_per_key - round(cam_per_key)) > 1e-9:
        raise ValueError(f"rates must divide evenly: lidar {lidar_rate} Hz and camera {camera_rate} Hz by "
                         f"keyframe {keyframe_rate} Hz")
    lidar = frame_times(duration, lidar_rate)
    keyframes = frame_times(duration, keyframe_rate)
    keyframe_sweeps = np.arange(keyframes.size) * int(round(per_key))
    offsets = {}
    if rig is not None:
        offsets = {c.channel: camera_trigger_offset(c, rig.lidar) for c in rig.cameras}
    camera = frame_times(duration, camera_rate)
    key_frames = np.arange(keyframes.size) * int(round(cam_per_key))
    return Timeline(float(duration), lidar, keyframes, keyframe_sweeps, camera, offsets, key_frames)
