"""Pinhole cameras rendered by ray casting: per-pixel class, depth, instance, normal and 3D point.

Every pixel casts one ray through its centre (u + 0.5, v + 0.5). Ray directions are built elementwise from the
pixel coordinates, so the ray of a pixel is bit-identical whether it is cast alone or within a full image.
Directions have unit z in the camera frame, so the hit distance *is* the depth along the optical axis.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .raycast import RayHits
from .types import Camera, CameraFrame, SensorRig


@dataclass(frozen=True)
class CalibratedCameraFrame(CameraFrame):
    """A CameraFrame that also carries the `camera` (intrinsics and extrinsics) it was rendered with, and the
    `material` map (H, W) uint8 of surface material ids (anyscene.shapes.materials; 0 where none)."""

    camera: Camera
    material: np.ndarray | None = None


def camera_to_world(camera: Camera, ego) -> tuple[np.ndarray, np.ndarray]:
    """(3, 3) camera→world rotation and (3,) camera centre in the world, float64, for the ego pose `ego`."""
    cam2ego = camera.cam2ego
    return ego.rotation @ cam2ego[:3, :3], ego.to_world(cam2ego[:3, 3][None])[0]


def pixel_rays(camera: Camera, ego, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """World-frame rays (..., 6) float32 [origin, direction] through the centres of pixels (u, v) (integer
    column/row arrays, broadcastable); directions have unit depth (camera-frame z = 1).

    A pinhole's inverse intrinsic is upper triangular, so each direction component is a(u) + b(v): two 1-D
    tables evaluated per column and row in float64, added in float32 (the same values for any pixel subset).
    """
    rot, origin = camera_to_world(camera, ego)
    kinv = np.linalg.inv(camera.intrinsic)
    uc = np.asarray(u, dtype=np.float64) + 0.5
    vc = np.asarray(v, dtype=np.float64) + 0.5
    shape = np.broadcast_shapes(uc.shape, vc.shape)
    rays = np.empty(shape + (6,), dtype=np.float32)
    rays[..., :3] = origin.astype(np.float32)
    for k in range(3):
        a = (rot[k, 0] * kinv[0, 0] * uc).astype(np.float32)
        b = (rot[k, 0] * (kinv[0, 1] * vc + kinv[0, 2]) + rot[k, 1] * (kinv[1, 1] * vc + kinv[1, 2])
             + rot[k, 2]).astype(np.float32)
        np.add(a, b, out=rays[..., 3 + k])
    return rays


def image_rays(camera: Camera, ego) -> np.ndarray:
    """Rays (H, W, 6) float32 of every pixel of the camera, row-major."""
    return pixel_rays(camera, ego, np.arange(camera.width)[None, :], np.arange(camera.height)[:, None])


def cast_pixels(scene, camera: Camera, ego, t: float, u: np.ndarray, v: np.ndarray) -> RayHits:
    """First hits of the rays of pixels (u, v) (integer arrays, same shape N) at time t; `distance` is the
    depth along the optical axis. Casts only those rays: for checks on a few pixels at full resolution."""
    rays = pixel_rays(camera, ego, np.ravel(u), np.ravel(v))
    return scene.snapshot(t).cast(rays)


def render_camera(scene, camera: Camera, ego, t: float) -> CalibratedCameraFrame:
    """What `camera` sees at time t (s) from the ego pose `ego` (world.ego_pose(t), or `scene.ego` for a
    VoxelScene): every map of a CameraFrame, cast against `scene.snapshot(t)`."""
    h, w = camera.height, camera.width
    rays = image_rays(camera, ego).reshape(-1, 6)
    hits = scene.snapshot(t).cast(rays)
    depth = np.where(np.isinf(hits.distance), np.float32(0), hits.distance)
    return CalibratedCameraFrame(
        channel=camera.channel, t=float(t), ego=ego, semantic=hits.occ3d.reshape(h, w),
        depth=depth.reshape(h, w), instance=hits.instance.reshape(h, w), normal=hits.normal.reshape(h, w, 3),
        points=hits.points.reshape(h, w, 3), camera=camera,
        material=None if hits.material is None else hits.material.reshape(h, w))


def render_cameras(scene, rig: SensorRig, world, t_per_camera) -> dict[str, CalibratedCameraFrame]:
    """Every camera of the rig, each at its own time, from the world's ego pose at that time. `t_per_camera`
    is one time for all cameras, a mapping channel -> time, or a sequence in the rig's camera order.
    Returns frames by channel, in the rig's order."""
    if isinstance(t_per_camera, Mapping):
        times = [float(t_per_camera[c.channel]) for c in rig.cameras]
    elif np.ndim(t_per_camera) == 0:
        times = [float(t_per_camera)] * len(rig.cameras)
    else:
        times = [float(t) for t in t_per_camera]
        if len(times) != len(rig.cameras):
            raise ValueError(f"{len(times)} times for {len(rig.cameras)} cameras")
    return {c.channel: render_camera(scene, c, world.ego_pose(t), t) for c, t in zip(rig.cameras, times)}


def project(camera: Camera, ego, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World points (N, 3) to pixel coordinates (N, 2) (continuous, pixel centres at +0.5) and their depth (N,)
    along the optical axis (≤ 0: behind the camera)."""
    rot, origin = camera_to_world(camera, ego)
    pc = (np.asarray(points, dtype=np.float64) - origin) @ rot
    z = pc[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        uvw = pc @ camera.intrinsic.T
        uv = uvw[:, :2] / uvw[:, 2:3]
    return uv, z
