"""Radar output in the nuScenes format: `.pcd` files as the devkit's RadarPointCloud.from_file reads them, the
scan instants of each radar channel, the sample_data records of a radar chain and `num_radar_pts` per box.

Integration (per scene): for every radar of `anyscene.sensors.radar.NUSCENES_RADARS`, the calibrated_sensor and
sensor records come from `radar_calibrated_sensor`; for each instant of `radar_times(duration, channel)`, scan with
`scan_radar(scene, radar, world, t, seed)`, write `write_radar_pcd(dataroot / rec["filename"], scan.points)` and
add the sample_data record `radar_sample_data(...)` (keyframe: the scan nearest each keyframe; fileformat "pcd",
width = height = 0) and its ego_pose. `num_radar_pts` of an annotation is `count_radar_points` over the five
keyframe scans of that sample (points after the devkit's default filters, inside the box; the devkit counts the
same with `points_in_box` on `RadarPointCloud.from_file_multisweep(..., nsweeps=1)` per channel).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..sensors.radar import FIELDS, RADAR_RATE, RadarModel

_TYPES = ("F", "F", "F", "I", "I", "F", "F", "F", "F", "F", "I", "I", "I", "I", "I", "I", "I", "I")
_SIZES = (4, 4, 4, 1, 2, 4, 4, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1)
_DTYPE = np.dtype([(n, ("<f4" if t == "F" else {1: "i1", 2: "<i2"}[s])) for n, t, s in zip(FIELDS, _TYPES, _SIZES)])


def write_radar_pcd(path: Path, points: np.ndarray) -> Path:
    """Write radar detections (N, 18) in FIELDS order as a binary PCD v0.7 file in the layout of the nuScenes
    radar files. An empty scan is one all-NaN point (the devkit's convention for empty clouds)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, len(FIELDS))
    if pts.shape[0] == 0:
        rec = np.zeros(1, _DTYPE)
        for n, t in zip(FIELDS, _TYPES):
            if t == "F":
                rec[n] = np.nan
    else:
        rec = np.zeros(pts.shape[0], _DTYPE)
        for k, (n, t) in enumerate(zip(FIELDS, _TYPES)):
            rec[n] = pts[:, k] if t == "F" else np.round(pts[:, k]).astype(np.int64)
    header = "\n".join([
        "# .PCD v0.7 - Point Cloud Data file format", "VERSION 0.7", "FIELDS " + " ".join(FIELDS),
        "SIZE " + " ".join(map(str, _SIZES)), "TYPE " + " ".join(_TYPES), "COUNT " + " ".join("1" * len(FIELDS)),
        f"WIDTH {len(rec)}", "HEIGHT 1", "VIEWPOINT 0 0 0 1 0 0 0", f"POINTS {len(rec)}", "DATA binary"]) + "\n"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The devkit's reader asserts that the data does not end at the last field: a trailing newline, as the
    # real files.
    path.write_bytes(header.encode("ascii") + rec.tobytes() + b"\n")
    return path


def radar_times(duration: float, channel: str, rate: float = RADAR_RATE) -> np.ndarray:
    """Scan instants (s) of one radar channel over [0, duration]: `rate` Hz with a fixed per-channel phase (the
    five radars are not synchronised with each other or with the LiDAR)."""
    phase = (sum(map(ord, channel)) % 97) / 97.0 / rate
    n = int(np.floor((duration - phase) * rate + 1e-9)) + 1
    return phase + np.arange(max(n, 0)) / rate


def keyframe_scans(times: np.ndarray, keyframes: np.ndarray) -> np.ndarray:
    """(K,) index into `times` of the scan nearest each keyframe time (the radar keyframe of that sample)."""
    return np.abs(times[None, :] - np.asarray(keyframes)[:, None]).argmin(axis=1)


def radar_calibrated_sensor(radar: RadarModel, token: str, sensor_token: str) -> dict:
    """The calibrated_sensor record of a radar (no camera intrinsic)."""
    return {"token": token, "sensor_token": sensor_token, "translation": [float(v) for v in radar.translation],
            "rotation": [float(v) for v in radar.rotation], "camera_intrinsic": []}


def radar_sample_data(token: str, sample_token: str, calibrated_sensor_token: str, timestamp_us: int, key: bool,
                      filename: str, prev: str, next_: str) -> dict:
    """A radar sample_data record (ego_pose_token = its own token, as the other channels)."""
    return {"token": token, "sample_token": sample_token, "ego_pose_token": token,
            "calibrated_sensor_token": calibrated_sensor_token, "timestamp": int(timestamp_us), "fileformat": "pcd",
            "is_key_frame": bool(key), "height": 0, "width": 0, "filename": filename, "prev": prev, "next": next_}


def default_filter(points: np.ndarray) -> np.ndarray:
    """Which detections (N, 18) pass the devkit's default RadarPointCloud filters (invalid_state 0, dyn_prop
    0..6, ambig_state 3)."""
    p = np.asarray(points)
    return (p[:, 14] == 0) & (p[:, 3] >= 0) & (p[:, 3] <= 6) & (p[:, 11] == 3)


def count_radar_points(world_points: list[np.ndarray], center: np.ndarray, size: np.ndarray, yaw: float) -> int:
    """num_radar_pts of one box: detections (each (N, 3) world xyz of one radar's filtered keyframe scan, at the
    radar's mounting height: the ARS408 reports z = 0 in its frame) inside the box (center (3,), size (l, w, h),
    yaw), as the devkit's points_in_box counts them."""
    n = 0
    c, s = np.cos(yaw), np.sin(yaw)
    for p in world_points:
        d = p - center
        lx, ly = c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1]
        n += int(((np.abs(lx) <= size[0] / 2) & (np.abs(ly) <= size[1] / 2) & (np.abs(d[:, 2]) <= size[2] / 2)).sum())
    return n
