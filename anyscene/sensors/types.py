"""Sensor data types shared by the sensor simulation, the renderers and the exporters."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    """A pinhole camera (OpenCV model, no distortion).

    `intrinsic` (3, 3) float64 in pixels for an image `width`×`height`; `translation` (3,) m and `rotation`
    [w, x, y, z] are the sensor's pose in the ego frame: p_ego = R · p_cam + t. Camera frame: x right, y down,
    z forward.
    """

    channel: str
    width: int
    height: int
    intrinsic: np.ndarray
    translation: np.ndarray
    rotation: np.ndarray

    @property
    def cam2ego(self) -> np.ndarray:
        """4×4 camera→ego transform."""
        from .geometry import quat_to_matrix

        m = np.eye(4)
        m[:3, :3], m[:3, 3] = quat_to_matrix(self.rotation), self.translation
        return m

    def scaled(self, width: int, height: int) -> "Camera":
        """The same camera at another resolution, intrinsics scaled consistently."""
        sx, sy = width / self.width, height / self.height
        k = self.intrinsic.copy()
        k[0] *= sx
        k[1] *= sy
        return Camera(self.channel, width, height, k, self.translation, self.rotation)


OCCLUSION_BINS = 360  # 1° LiDAR-frame azimuth bins of a LiDAR's self-occlusion mask


@dataclass(frozen=True)
class LidarModel:
    """A spinning LiDAR: `elevations` (R,) rad one per ring (ring 0 lowest), `azimuth_steps` firings per
    revolution, `rate` Hz, `max_range`/`min_range` m; pose in the ego frame (`translation` (3,) m, `rotation`
    [w, x, y, z]). LiDAR frame as nuScenes LIDAR_TOP: x right of the car, y forward, z up.

    Per-beam constants (measured on a real car by tools/lidar_beams.py; None: not modelled):
    `self_occlusion` (R, OCCLUSION_BINS) bool, True where the ego's own body blocks ring r's beams in the 1°
    LiDAR-frame azimuth bin b (atan2(y, x) in [-180 + b, -179 + b) degrees); `ring_dropout` (R, B) float64
    probability that a beam of ring r reaching a surface in range bin b returns nothing, the bins split at
    `dropout_ranges` (B - 1,) m."""

    channel: str
    elevations: np.ndarray
    azimuth_steps: int
    rate: float
    max_range: float
    min_range: float
    translation: np.ndarray
    rotation: np.ndarray
    self_occlusion: np.ndarray | None = None
    ring_dropout: np.ndarray | None = None
    dropout_ranges: np.ndarray | None = None

    @property
    def lidar2ego(self) -> np.ndarray:
        from .geometry import quat_to_matrix

        m = np.eye(4)
        m[:3, :3], m[:3, 3] = quat_to_matrix(self.rotation), self.translation
        return m


@dataclass(frozen=True)
class SensorRig:
    """The cameras, the LiDAR and the radars (anyscene.sensors.radar.RadarModel, possibly none) of one car;
    `name` is the rig config's name."""

    name: str
    cameras: tuple[Camera, ...]
    lidar: LidarModel
    radars: tuple = ()

    def camera(self, channel: str) -> Camera:
        for c in self.cameras:
            if c.channel == channel:
                return c
        raise KeyError(channel)


@dataclass(frozen=True)
class CameraFrame:
    """What one camera sees at time t (s). All maps are (H, W), row-major image order.

    semantic uint8 Occ3D ids (17 = sky / nothing hit); depth float32 metres along the optical axis (0 where
    nothing hit); instance uint16 world instance ids (0 for stuff); normal (H, W, 3) float32 unit surface normals
    in the world frame; points (H, W, 3) float32 world-frame hit points (nan where nothing hit).
    `ego` is the ego pose at t (an anyscene.world.EgoPose).
    """

    channel: str
    t: float
    ego: object
    semantic: np.ndarray
    depth: np.ndarray
    instance: np.ndarray
    normal: np.ndarray
    points: np.ndarray


@dataclass(frozen=True)
class LidarSweep:
    """One LiDAR revolution starting at time t (s), N points, in the LiDAR frame of the pose at t.

    points (N, 5) float32: x, y, z (m), intensity (0..255), ring index; lidarseg (N,) uint8 nuScenes lidarseg
    general indices; occ3d (N,) uint8 Occ3D ids; instance (N,) uint16 world instance ids (0 for stuff).
    """

    t: float
    ego: object
    points: np.ndarray
    lidarseg: np.ndarray
    occ3d: np.ndarray
    instance: np.ndarray
