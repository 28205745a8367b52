"""Annotation boxes moved into a sensor frame and tested against points, with the nuScenes devkit's own
arithmetic (`Box.translate/rotate/corners`, `points_in_box`, `view_points`), so the numbers written into the
tables are what the devkit recomputes from them, without importing the devkit (slow to import) while
generating."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Corner signs of the devkit's Box.corners: the first four face forward.
_X = np.array([1, 1, 1, 1, -1, -1, -1, -1])
_Y = np.array([1, -1, -1, 1, 1, -1, -1, 1])
_Z = np.array([1, 1, -1, -1, 1, 1, -1, -1])


@dataclass
class SensorBox:
    """A box in a sensor frame: `center` (3,) m, `wlh` (3,) m, `orientation` a pyquaternion Quaternion."""

    center: np.ndarray
    wlh: np.ndarray
    orientation: object

    def corners(self) -> np.ndarray:
        """(3, 8) corners, as the devkit's Box.corners()."""
        w, l, h = self.wlh
        corners = np.vstack((l / 2 * _X, w / 2 * _Y, h / 2 * _Z))
        corners = np.dot(self.orientation.rotation_matrix, corners)
        x, y, z = self.center
        corners[0, :] = corners[0, :] + x
        corners[1, :] = corners[1, :] + y
        corners[2, :] = corners[2, :] + z
        return corners

    @property
    def yaw(self) -> float:
        """The devkit's `orientation.yaw_pitch_roll[0]`."""
        return float(self.orientation.yaw_pitch_roll[0])


def box_in_sensor(record: dict, ego_pose: dict, sensor: dict) -> SensorBox:
    """A global-frame annotation (`translation`, `size`, `rotation`) in the frame of a sensor whose
    calibrated_sensor record is `sensor`, at the ego pose `ego_pose` (as `NuScenes.get_sample_data` does)."""
    from pyquaternion import Quaternion

    center = np.array(record["translation"])
    orientation = Quaternion(record["rotation"])
    center += -np.array(ego_pose["translation"])
    q = Quaternion(ego_pose["rotation"]).inverse
    center = np.dot(q.rotation_matrix, center)
    orientation = q * orientation
    center += -np.array(sensor["translation"])
    q = Quaternion(sensor["rotation"]).inverse
    center = np.dot(q.rotation_matrix, center)
    orientation = q * orientation
    return SensorBox(center, np.array(record["size"]), orientation)


def points_in_box(box: SensorBox, points: np.ndarray) -> np.ndarray:
    """(N,) bool: which points (3, N) lie inside the box, as the devkit's points_in_box."""
    corners = box.corners()
    p1 = corners[:, 0]
    i = corners[:, 4] - p1
    j = corners[:, 1] - p1
    k = corners[:, 3] - p1
    v = points - p1.reshape((-1, 1))
    iv, jv, kv = np.dot(i, v), np.dot(j, v), np.dot(k, v)
    return ((0 <= iv) & (iv <= np.dot(i, i)) & (0 <= jv) & (jv <= np.dot(j, j))
            & (0 <= kv) & (kv <= np.dot(k, k)))


def view_points(points: np.ndarray, view: np.ndarray, normalize: bool) -> np.ndarray:
    """The devkit's view_points: (3, N) points through a ≤ 4×4 view matrix, optionally divided by depth."""
    viewpad = np.eye(4)
    viewpad[:view.shape[0], :view.shape[1]] = view
    n = points.shape[1]
    out = np.dot(viewpad, np.concatenate((points, np.ones((1, n)))))[:3, :]
    if normalize:
        out = out / out[2:3, :].repeat(3, 0).reshape(3, n)
    return out


def count_points_in_boxes(points: np.ndarray, records: list[dict], ego_pose: dict, lidar_cs: dict) -> list[int]:
    """Points of a sweep inside each annotation box, exactly as the devkit counts them.

    `points` (N, 3) float32 in the LiDAR frame as stored in the .pcd.bin; `records` sample_annotation-like
    dicts (translation, size, rotation, global frame); `ego_pose` and `lidar_cs` the sweep's ego_pose and
    calibrated_sensor records. Each box is moved into the LiDAR frame and tested with the devkit's arithmetic
    (boxes.py); points far from the box are skipped first (the test is per point).
    """
    pts = np.asarray(points, dtype=np.float32)
    counts = []
    for rec in records:
        box = box_in_sensor(rec, ego_pose, lidar_cs)
        reach = 0.5 * float(np.linalg.norm(box.wlh)) + 1e-3
        near = np.flatnonzero(np.sum((pts - box.center.astype(np.float32)) ** 2, axis=1) <= reach * reach)
        counts.append(int(points_in_box(box, pts[near].T).sum()) if near.size else 0)
    return counts
