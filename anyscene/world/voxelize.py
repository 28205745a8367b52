"""Filling agents into an ego-frame grid: the class fills the agent's shape inside its box."""
from __future__ import annotations

import math

import numpy as np

from .grid import GridSpec


def _inside(shape: str, lx: np.ndarray, ly: np.ndarray, lz: np.ndarray, size) -> np.ndarray:
    """Shape membership of box-local coordinates (x along the length, origin at the box centre); the three
    arrays broadcast against each other.

    box: the whole box. cylinder: the upright elliptic cylinder inscribed in it. cone: an elliptic cone
    inscribed in it, full footprint at the bottom, a quarter of it at the top.
    """
    hl, hw, hh = size[0] / 2, size[1] / 2, size[2] / 2
    inz = np.abs(lz) <= hh
    if shape == "box":
        return ((np.abs(lx) <= hl) & (np.abs(ly) <= hw)) & inz
    r2 = (lx / hl) ** 2 + (ly / hw) ** 2
    if shape == "cylinder":
        return (r2 <= 1.0) & inz
    if shape == "cone":
        frac = 1.0 - 0.75 * np.clip((lz + hh) / (2 * hh), 0.0, 1.0)
        return (r2 <= frac * frac) & inz
    raise ValueError(f"unknown shape {shape!r}")


def shape_contains(shape: str, local: np.ndarray, size) -> np.ndarray:
    """Whether box-local points (N, 3) lie inside the agent's shape (see `_inside`)."""
    return _inside(shape, local[:, 0], local[:, 1], local[:, 2], size)


def fill_agent(grid: GridSpec, semantics: np.ndarray, instances: np.ndarray, flow: np.ndarray | None,
               center: np.ndarray, yaw: float, size: np.ndarray, shape: str, cls: int, instance: int,
               velocity: np.ndarray) -> None:
    """Write one agent into the grid arrays in place. All inputs are in the ego frame.

    The agent occupies every voxel whose centre lies inside its shape, and always the voxel that contains its
    centre, so that thin agents never vanish. `velocity` (2,) m/s goes into `flow`.
    """
    c, s = math.cos(yaw), math.sin(yaw)
    ext = (abs(c) * size[0] / 2 + abs(s) * size[1] / 2, abs(s) * size[0] / 2 + abs(c) * size[1] / 2, size[2] / 2)
    lo = (grid.x_min, grid.y_min, grid.z_min)
    v = grid.voxel
    i0 = [max(math.floor((center[a] - ext[a] - lo[a]) / v), 0) for a in range(3)]
    i1 = [min(math.floor((center[a] + ext[a] - lo[a]) / v) + 1, grid.shape[a]) for a in range(3)]
    if any(b <= a for a, b in zip(i0, i1)):
        return
    xs = lo[0] + v * (np.arange(i0[0], i1[0]) + 0.5) - center[0]
    ys = lo[1] + v * (np.arange(i0[1], i1[1]) + 0.5) - center[1]
    zs = lo[2] + v * (np.arange(i0[2], i1[2]) + 0.5) - center[2]
    lx = c * xs[:, None, None] + s * ys[None, :, None]
    ly = -s * xs[:, None, None] + c * ys[None, :, None]
    inside = _inside(shape, lx, ly, zs[None, None, :], size)
    inside = np.broadcast_to(inside, (len(xs), len(ys), len(zs))).copy()
    ci = [math.floor((center[a] - lo[a]) / v) - i0[a] for a in range(3)]
    if all(0 <= ci[a] < inside.shape[a] for a in range(3)):
        inside[ci[0], ci[1], ci[2]] = True
    sl = (slice(i0[0], i1[0]), slice(i0[1], i1[1]), slice(i0[2], i1[2]))
    semantics[sl][inside] = cls
    instances[sl][inside] = instance
    if flow is not None:
        flow[sl][inside] = velocity
