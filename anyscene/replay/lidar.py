"""Statistics of one LiDAR sweep (.pcd.bin, float32 N × 5: x, y, z, intensity, ring, in the LIDAR_TOP frame).

Real nuScenes sweeps hold one record per firing (32 × ~1080), with the firings that got no return stored at
the sensor's origin (range < 0.1 m, about a fifth of a sweep). Only returns at range ≥ MIN_RETURN_RANGE count
as points here; the histograms are over those returns.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

RANGE_BINS = np.arange(0.0, 102.0, 2.0)  # m
INTENSITY_BINS = np.arange(0.0, 264.0, 8.0)  # 0..255
RINGS = 32
MIN_RETURN_RANGE = 1.0  # m: closer records are no-returns (and the rig's minimum range)


@dataclass(frozen=True)
class SweepStats:
    """records: rows of the file; points: returns at range ≥ MIN_RETURN_RANGE; range_hist
    (len(RANGE_BINS) - 1,) returns by 3D range from the sensor (m); ring_points (RINGS,) returns per ring index;
    intensity_hist (len(INTENSITY_BINS) - 1,) returns by intensity."""

    records: int
    points: int
    range_hist: np.ndarray
    ring_points: np.ndarray
    intensity_hist: np.ndarray


def read_sweep(path: Path) -> np.ndarray:
    """(N, 5) float32 points of a .pcd.bin."""
    return np.fromfile(path, dtype=np.float32).reshape(-1, 5)


def sweep_stats(points: np.ndarray) -> SweepStats:
    r = np.linalg.norm(points[:, :3], axis=1)
    ret = points[r >= MIN_RETURN_RANGE]
    ring = np.clip(ret[:, 4].astype(np.int64), 0, RINGS - 1)
    return SweepStats(len(points), len(ret), np.histogram(r[r >= MIN_RETURN_RANGE], RANGE_BINS)[0],
                      np.bincount(ring, minlength=RINGS)[:RINGS], np.histogram(ret[:, 3], INTENSITY_BINS)[0])
