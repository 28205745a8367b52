"""A spinning LiDAR (HDL-32E pattern by default) cast against the scene.

Simplification: the whole revolution is cast at the sweep's timestamp t, from the ego pose at t; the motion of
the ego and the agents during the 50 ms revolution (rolling shutter) is not simulated. The labels are exact
for that instant, which is what the consistency guarantees are checked against.

Firing order: azimuth steps in time order, all rings at each step. The revolution starts facing backwards
(ego -x) and turns clockwise seen from above, as the HDL-32E does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classes import OCC3D_ID
from .types import LidarModel, LidarSweep

# Base reflectivity (0..255) of each Occ3D class; the intensity of a return is this times a Lambertian-like
# incidence factor, so it is deterministic. Cones and barriers carry retro-reflective strips.
REFLECTIVITY: dict[str, float] = {
    "others": 40, "barrier": 120, "bicycle": 45, "bus": 60, "car": 55, "construction_vehicle": 60,
    "motorcycle": 50, "pedestrian": 30, "traffic_cone": 180, "trailer": 60, "truck": 60,
    "driveable_surface": 18, "other_flat": 25, "sidewalk": 35, "terrain": 28, "manmade": 70, "vegetation": 45,
}
_REFLECTIVITY = np.zeros(256, np.float32)
for _name, _value in REFLECTIVITY.items():
    _REFLECTIVITY[OCC3D_ID[_name]] = _value
AZIMUTH_START = -np.pi / 2  # rad in the LiDAR frame (x right, y forward): facing backwards


@dataclass(frozen=True)
class LidarScan(LidarSweep):
    """A LidarSweep that also carries the `lidar` model (and so its extrinsics) it was cast with."""

    lidar: LidarModel


def firing_azimuths(lidar: LidarModel) -> np.ndarray:
    """(A,) azimuth of each firing step in the LiDAR frame, rad, in time order (clockwise from behind)."""
    return AZIMUTH_START - 2 * np.pi * np.arange(lidar.azimuth_steps) / lidar.azimuth_steps


_DIRECTIONS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def lidar_directions(lidar: LidarModel) -> tuple[np.ndarray, np.ndarray]:
    """Unit ray directions (A·R, 3) float32 in the LiDAR frame, firing order, and the ring (A·R,) int of each.
    Computed once per pattern (read-only arrays)."""
    key = (lidar.azimuth_steps, tuple(np.asarray(lidar.elevations, dtype=np.float64).tolist()))
    if key not in _DIRECTIONS:
        az = firing_azimuths(lidar)[:, None]
        el = np.asarray(lidar.elevations, dtype=np.float64)[None, :]
        d = np.stack(np.broadcast_arrays(np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)), -1)
        ring = np.broadcast_to(np.arange(el.size), (az.size, el.size))
        d, ring = d.reshape(-1, 3).astype(np.float32), ring.reshape(-1).copy()
        d.flags.writeable = ring.flags.writeable = False
        _DIRECTIONS[key] = (d, ring)
    return _DIRECTIONS[key]


def lidar_rays(lidar: LidarModel, ego) -> np.ndarray:
    """World-frame rays (A·R, 6) float32 [origin, unit direction] of every firing, for the ego pose `ego`."""
    l2e = lidar.lidar2ego
    d_lidar, _ = lidar_directions(lidar)
    rot = (ego.rotation @ l2e[:3, :3]).astype(np.float32)
    rays = np.empty((d_lidar.shape[0], 6), np.float32)
    rays[:, :3] = ego.to_world(l2e[:3, 3][None])[0]
    rays[:, 3:] = d_lidar @ rot.T
    return rays


def ego_box_contains(ego_spec, points_ego: np.ndarray) -> np.ndarray:
    """Whether ego-frame points (N, 3) lie inside the ego car's box (size l/w/h, rear axle at the origin)."""
    length, width, height = ego_spec.size
    x0 = -ego_spec.rear_overhang
    p = points_ego
    return ((p[:, 0] >= x0) & (p[:, 0] <= x0 + length) & (np.abs(p[:, 1]) <= width / 2)
            & (p[:, 2] >= 0) & (p[:, 2] <= height))


def sweep_lidar(scene, lidar: LidarModel, world, t: float, *, ego=None) -> LidarScan:
    """One revolution of `lidar` at time t (s) from the ego pose at t (`world.ego_pose(t)`, or `ego` where given,
    e.g. for a VoxelScene with `world=None`). Returns the returns within [min_range, max_range] that do not lie
    inside the ego car's box, in the LiDAR frame, with intensity, ring, lidarseg index, Occ3D id and instance."""
    from ..world.world import DEFAULT_EGO

    if ego is None:
        ego = world.ego_pose(t)
    ego_spec = world.ego_spec if world is not None else DEFAULT_EGO
    l2e = lidar.lidar2ego
    d_lidar, ring = lidar_directions(lidar)
    rays = lidar_rays(lidar, ego)
    hits = scene.snapshot(t).cast(rays)
    r = hits.distance
    keep = np.isfinite(r) & (r >= lidar.min_range) & (r <= lidar.max_range)
    idx = np.flatnonzero(keep)
    pts = d_lidar[idx] * r[idx, None]
    inside = ego_box_contains(ego_spec, pts @ l2e[:3, :3].T.astype(np.float32) + l2e[:3, 3].astype(np.float32))
    if inside.any():
        idx, pts = idx[~inside], pts[~inside]
    occ3d, instance = hits.occ3d[idx], hits.instance[idx]
    cos_inc = np.abs(np.einsum("ij,ij->i", hits.normal[idx], rays[idx, 3:]))
    intensity = np.round(_REFLECTIVITY[occ3d] * (0.3 + 0.7 * cos_inc))
    points = np.empty((idx.size, 5), np.float32)
    points[:, :3] = pts
    points[:, 3] = intensity
    points[:, 4] = ring[idx]
    return LidarScan(t=float(t), ego=ego, points=points, lidarseg=scene.lidarseg(occ3d, instance).astype(np.uint8),
                     occ3d=occ3d, instance=instance, lidar=lidar)


def sweep_to_world(sweep: LidarSweep, lidar: LidarModel | None = None) -> np.ndarray:
    """World-frame xyz (N, 3) float64 of a sweep's points (lidar: the sweep's own model when it carries one)."""
    lidar = lidar if lidar is not None else sweep.lidar
    l2e = lidar.lidar2ego
    p = sweep.points[:, :3].astype(np.float64) @ l2e[:3, :3].T + l2e[:3, 3]
    return sweep.ego.to_world(p)
