"""When a camera fires relative to the LiDAR's spin (the nuScenes trigger scheme).

On the nuScenes car each camera is triggered when the spinning LiDAR passes the centre of its view. The
LiDAR starts its revolution facing backwards and turns clockwise seen from above (lidar.AZIMUTH_START), so
each camera fires a fixed offset after the sweep's start. The scene's timeline (anyscene.pipeline.timeline)
uses these offsets for `camera_timing: staggered`.
"""
from __future__ import annotations

import numpy as np

from .lidar import AZIMUTH_START


def camera_trigger_offset(camera, lidar) -> float:
    """Seconds after a sweep's start at which the LiDAR beam passes the camera's optical axis."""
    axis_ego = camera.cam2ego[:3, 2]
    axis_lidar = lidar.lidar2ego[:3, :3].T @ axis_ego
    azimuth = np.arctan2(axis_lidar[1], axis_lidar[0])
    swept = (AZIMUTH_START - azimuth) % (2 * np.pi)  # clockwise angle from the start to the camera
    return float(swept / (2 * np.pi) / lidar.rate)
