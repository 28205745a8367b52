"""Per-camera condition maps of the diffusion renderer, and camera features for its camera embedding.

A condition map is a float32 tensor (CONDITION_CHANNELS, H, W) built from what a camera sees of the occupancy
world (a `CameraFrame`, an exported `conditions/<CHANNEL>/<token>.npz`, or a camera rendered from an Occ3D grid):

- channels 0..17: one-hot Occ3D semantics (17 = free: sky / nothing hit),
- channel 18: normalised inverse depth `clip(DEPTH_NEAR / depth, 0, 1)`, 0 where nothing was hit,
- channel 19: instance boundaries, 1 where a pixel's instance id differs from one of its 4 neighbours.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from ...classes import FREE, OCC3D_NAMES

if TYPE_CHECKING:
    import torch

    from ...sensors.types import Camera, CameraFrame

NUM_CLASSES = len(OCC3D_NAMES)  # 18 Occ3D ids, 17 = free
DEPTH_CHANNEL = NUM_CLASSES
BOUNDARY_CHANNEL = NUM_CLASSES + 1
CONDITION_CHANNELS = NUM_CLASSES + 2
DEPTH_NEAR = 1.0  # m: inverse depth is 1 at this distance and nearer
CAMERA_FEATURES = 16  # length of `camera_features`


def instance_boundaries(instance: np.ndarray) -> np.ndarray:
    """(H, W) float32: 1 where the instance id differs from a 4-neighbour (up, down, left, right), else 0."""
    inst = np.asarray(instance)
    edge = np.zeros(inst.shape, dtype=bool)
    dv = inst[1:, :] != inst[:-1, :]
    dh = inst[:, 1:] != inst[:, :-1]
    edge[1:, :] |= dv
    edge[:-1, :] |= dv
    edge[:, 1:] |= dh
    edge[:, :-1] |= dh
    return edge.astype(np.float32)


def encode_conditions_np(semantic: np.ndarray, depth: np.ndarray, instance: np.ndarray) -> np.ndarray:
    """The condition map (CONDITION_CHANNELS, H, W) float32 of one camera image, as a numpy array.

    semantic (H, W) uint8 Occ3D ids (ids ≥ 18 are treated as free); depth (H, W) float metres along the
    optical axis (≤ 0 or non-finite where nothing was hit); instance (H, W) integer instance ids (0 for stuff).
    """
    sem = np.asarray(semantic)
    if sem.ndim != 2 or np.shape(depth) != sem.shape or np.shape(instance) != sem.shape:
        raise ValueError(f"semantic, depth and instance must be (H, W) maps of one shape, got "
                         f"{sem.shape}, {np.shape(depth)}, {np.shape(instance)}")
    h, w = sem.shape
    out = np.zeros((CONDITION_CHANNELS, h, w), dtype=np.float32)
    cls = np.where(sem < NUM_CLASSES, sem, FREE).astype(np.intp)
    np.put_along_axis(out[:NUM_CLASSES], cls[None], 1.0, axis=0)
    d = np.asarray(depth, dtype=np.float32)
    hit = np.isfinite(d) & (d > 0)
    out[DEPTH_CHANNEL] = np.where(hit, np.clip(DEPTH_NEAR / np.where(hit, d, 1.0), 0.0, 1.0), 0.0)
    out[BOUNDARY_CHANNEL] = instance_boundaries(instance)
    return out


def encode_conditions(semantic: np.ndarray, depth: np.ndarray, instance: np.ndarray) -> "torch.Tensor":
    """The condition map of one camera image as a torch tensor (CONDITION_CHANNELS, H, W) float32; see
    `encode_conditions_np` for the inputs."""
    import torch

    return torch.from_numpy(encode_conditions_np(semantic, depth, instance))


def _nearest_index(n_in: int, n_out: int) -> np.ndarray:
    return np.minimum(((np.arange(n_out) + 0.5) * n_in / n_out).astype(np.intp), n_in - 1)


def resize_nearest(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """A (H, W, ...) map sampled at the centres of a height×width grid (no blending of labels or depths)."""
    img = np.asarray(image)
    if img.shape[:2] == (height, width):
        return img
    return img[_nearest_index(img.shape[0], height)][:, _nearest_index(img.shape[1], width)]


def encode_maps(semantic: np.ndarray, depth: np.ndarray, instance: np.ndarray, height: int,
                width: int) -> np.ndarray:
    """Resize the three maps to height×width (nearest) and encode them: (CONDITION_CHANNELS, height, width)."""
    return encode_conditions_np(resize_nearest(semantic, height, width), resize_nearest(depth, height, width),
                                resize_nearest(instance, height, width))


def encode_camera_frame(frame: "CameraFrame", height: int | None = None, width: int | None = None) -> np.ndarray:
    """The condition map (CONDITION_CHANNELS, height, width) float32 of a `CameraFrame`, resized (nearest) to
    height×width when given (default: the frame's own resolution)."""
    h, w = frame.semantic.shape
    return encode_maps(frame.semantic, frame.depth, frame.instance, height or h, width or w)


def load_condition_npz(path, height: int, width: int) -> np.ndarray:
    """The condition map of an exported `conditions/<CHANNEL>/<sample_data_token>.npz` (keys `semantic` uint8,
    `depth` float16 metres, `instance` uint16, each (H, W)), resized to height×width."""
    with np.load(path) as z:
        return encode_maps(z["semantic"], z["depth"].astype(np.float32), z["instance"], height, width)


def camera_features(camera: "Camera") -> np.ndarray:
    """(CAMERA_FEATURES,) float32 describing a camera independently of its resolution: fx/W, fy/H, cx/W, cy/H,
    the 3×3 camera→ego rotation (row-major) and the camera→ego translation in units of 2 m."""
    k = np.asarray(camera.intrinsic, dtype=np.float64)
    m = camera.cam2ego
    intr = [k[0, 0] / camera.width, k[1, 1] / camera.height, k[0, 2] / camera.width, k[1, 2] / camera.height]
    return np.concatenate([intr, m[:3, :3].ravel(), m[:3, 3] / 2.0]).astype(np.float32)


def camera_azimuths(cameras: Sequence["Camera"]) -> np.ndarray:
    """(V,) azimuth (rad, counter-clockwise from the ego's +x) of each camera's optical axis."""
    axes = np.stack([c.cam2ego[:3, 2] for c in cameras])
    return np.arctan2(axes[:, 1], axes[:, 0])


def rig_neighbors(cameras: Sequence["Camera"]) -> np.ndarray:
    """(V, 2) int64 indices of each camera's left (next counter-clockwise) and right (next clockwise) neighbour
    by the azimuth of its optical axis, so that any rig layout works. A single camera is its own neighbour."""
    az = camera_azimuths(cameras)
    order = np.argsort(az, kind="stable")  # counter-clockwise order
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    v = len(order)
    left = order[(rank + 1) % v]
    right = order[(rank - 1) % v]
    return np.stack([left, right], axis=1).astype(np.int64)
