"""Filling agents into an ego-frame grid: the class fills the agent's shape inside its box."""
from __future__ import annotations

import numpy as np

from .grid import GridSpec


def shape_contains(shape: str, local: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Whether box-local points (N, 3) (x along length, origin at the box centre) lie inside the shape.

    box: the whole box. cylinder: the upright elliptic cylinder inscribed in it. cone: an elliptic cone
    inscribed in it, full footprint at the bottom, a quarter of it at the top.
    """
    hl, hw, hh = size[0] / 2, size[1] / 2, size[2] / 2
    inz = np.abs(local[:, 2]) <= hh
    if shape == "box":
        return inz & (np.abs(local[:, 0]) <= hl) & (np.abs(local[:, 1]) <= hw)
    r2 = (local[:, 0] / hl) ** 2 + (local[:, 1] / hw) ** 2
    if shape == "cylinder":
        return inz & (r2 <= 1.0)
    if shape == "cone":
        frac = 1.0 - 0.75 * np.clip((local[:, 2] + hh) / (2 * hh), 0.0, 1.0)
        return inz & (r2 <= frac * frac)
    raise ValueError(f"unknown shape {shape!r}")


def fill_agent(grid: GridSpec, semantics: np.ndarray, instances: np.ndarray, flow: np.ndarray | None,
               center: np.ndarray, yaw: float, size: np.ndarray, shape: str, cls: int, instance: int,
               velocity: np.ndarray) -> None:
    """Write one agent into the grid arrays in place. All inputs are in the ego frame.

    The agent occupies every voxel whose centre lies inside its shape, and always the voxel that contains its
    centre, so that thin agents never vanish. `velocity` (2,) m/s goes into `flow`.
    """
    c, s = np.cos(yaw), np.sin(yaw)
    hx = abs(c) * size[0] / 2 + abs(s) * size[1] / 2
    hy = abs(s) * size[0] / 2 + abs(c) * size[1] / 2
    lo = np.array([grid.x_min, grid.y_min, grid.z_min])
    ext = np.array([hx, hy, size[2] / 2])
    i0 = np.maximum(np.floor((center - ext - lo) / grid.voxel).astype(int), 0)
    i1 = np.minimum(np.floor((center + ext - lo) / grid.voxel).astype(int) + 1, grid.shape)
    if np.any(i1 <= i0):
        return
    xs = lo[0] + grid.voxel * (np.arange(i0[0], i1[0]) + 0.5) - center[0]
    ys = lo[1] + grid.voxel * (np.arange(i0[1], i1[1]) + 0.5) - center[1]
    zs = lo[2] + grid.voxel * (np.arange(i0[2], i1[2]) + 0.5) - center[2]
    gx, gy, gz = np.meshgrid(xs, ys, zs, indexing="ij")
    local = np.stack([c * gx + s * gy, -s * gx + c * gy, gz], axis=-1).reshape(-1, 3)
    inside = shape_contains(shape, local, size).reshape(gx.shape)
    ci = np.floor((center - lo) / grid.voxel).astype(int) - i0
    if np.all(ci >= 0) and np.all(ci < inside.shape):
        inside[tuple(ci)] = True
    sl = (slice(i0[0], i1[0]), slice(i0[1], i1[1]), slice(i0[2], i1[2]))
    semantics[sl][inside] = cls
    instances[sl][inside] = instance
    if flow is not None:
        flow[sl][inside] = velocity
