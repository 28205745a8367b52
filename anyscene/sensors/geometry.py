"""Rotations and projections shared by the sensors. Quaternions are [w, x, y, z]."""
from __future__ import annotations

import math

import numpy as np


def vector_norm(v) -> float:
    """The Euclidean norm of a short vector, summed exactly (math.fsum): the same bits on every machine, where
    np.linalg.norm's BLAS dot may sum in another order (and round the last bit differently) on another CPU."""
    return math.sqrt(math.fsum(float(x) * float(x) for x in np.ravel(v)))


def quat_to_matrix(q) -> np.ndarray:
    """3×3 rotation of a (not necessarily normalised) quaternion [w, x, y, z]."""
    w, x, y, z = np.asarray(q, dtype=np.float64) / vector_norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def matrix_to_quat(m: np.ndarray) -> np.ndarray:
    """[w, x, y, z] (w ≥ 0) of a 3×3 rotation matrix."""
    m = np.asarray(m, dtype=np.float64)
    tr = np.trace(m)
    if tr > 0:
        s = np.sqrt(tr + 1.0) * 2
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = np.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = [(m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s]
    elif m[1, 1] > m[2, 2]:
        s = np.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = [(m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s]
    else:
        s = np.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = [(m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s]
    q = np.array(q)
    q /= vector_norm(q)
    return q if q[0] >= 0 else -q


def yaw_quaternion(yaw: float) -> np.ndarray:
    """[w, x, y, z] of a rotation by `yaw` about +z."""
    return np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])
