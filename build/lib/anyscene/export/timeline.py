"""When each sensor fires in a scene, in integer microseconds from the scene start.

Keyframes ("samples") come at multiples of 1 / keyframe_rate; both sensor rates are whole multiples of the
keyframe rate, so at every keyframe instant the LiDAR sweeps and all six cameras fire together, and the sample
timestamp is the LIDAR_TOP keyframe timestamp. Cameras fire together at every camera instant. Times are rounded
to the microsecond (1/12 s is not a whole number of them) and the world is simulated at exactly `us / 1e6`
seconds, so the tables' integer timestamps and the states the world is evaluated at agree to the bit. The
timeline ends at the last keyframe, so every non-keyframe belongs to a following keyframe (a sweep's
`sample_token` is the next keyframe's sample).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

# Scenes start in 2024 at an hour drawn from the scene name: stable, and distinct for most scene pairs.
EPOCH_BASE_US = int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()) * 1_000_000
EPOCH_HOURS = 24 * 365


@dataclass(frozen=True)
class Timeline:
    """Firing times of one scene, µs from the scene start (int64, ascending).

    lidar (L,) and camera (C,) sensor times; lidar_keyframe (L,) / camera_keyframe (C,) bool; keyframes (K,)
    the sample times (each is in both `lidar` and `camera`); `epoch_us` the absolute start (µs since 1970).
    """

    lidar: np.ndarray
    lidar_keyframe: np.ndarray
    camera: np.ndarray
    camera_keyframe: np.ndarray
    keyframes: np.ndarray
    epoch_us: int

    @property
    def events(self) -> list[tuple[int, bool, bool]]:
        """Every firing instant in order: (µs, cameras fire, LiDAR fires)."""
        cams, lids = set(self.camera.tolist()), set(self.lidar.tolist())
        return [(t, t in cams, t in lids) for t in sorted(cams | lids)]

    def keyframe_index(self, us: int) -> int:
        """Index of the first keyframe at or after time `us` (the sample a frame belongs to)."""
        return int(np.searchsorted(self.keyframes, us, side="left"))

    @property
    def n_frames(self) -> tuple[int, int]:
        """(camera instants, LiDAR sweeps)."""
        return len(self.camera), len(self.lidar)


def seconds(us: int) -> float:
    """Simulation time (s) of a µs timestamp relative to the scene start."""
    return float(us) / 1e6


def build_timeline(duration: float, camera_rate: float, lidar_rate: float, keyframe_rate: float,
                   scene_name: str) -> Timeline:
    """The firing times of a scene of `duration` seconds; see the module docstring."""
    n_key = int(np.floor(duration * keyframe_rate + 1e-9)) + 1

    def series(rate: float) -> tuple[np.ndarray, np.ndarray]:
        step = int(round(rate / keyframe_rate))
        k = np.arange((n_key - 1) * step + 1)
        return np.round(k * (1e6 / rate)).astype(np.int64), k % step == 0

    lidar, lidar_key = series(lidar_rate)
    camera, camera_key = series(camera_rate)
    keyframes = lidar[lidar_key]
    assert np.array_equal(keyframes, camera[camera_key])
    return Timeline(lidar, lidar_key, camera, camera_key, keyframes, scene_epoch(scene_name))


def scene_epoch(scene_name: str) -> int:
    """Absolute start time (µs since 1970) of a scene: 2024-01-01 plus a whole number of hours from its name."""
    hours = int(hashlib.md5(scene_name.encode("utf-8")).hexdigest()[:8], 16) % EPOCH_HOURS
    return EPOCH_BASE_US + hours * 3_600_000_000
