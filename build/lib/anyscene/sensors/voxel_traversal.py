"""Exact voxel traversal (Amanatides & Woo DDA) of many rays through a GridSpec, vectorised over the rays.

Rays step one voxel face at a time, all rays together; finished rays are dropped from the working set as they
end (at their end distance, at the grid's border, or on entering an occupied voxel).
"""
from __future__ import annotations

import numpy as np


def traverse(grid, origins: np.ndarray, directions: np.ndarray, t_end: np.ndarray | float,
             occupied: np.ndarray | None = None) -> np.ndarray:
    """Voxels (nx, ny, nz) bool that rays pass through, in the grid's frame.

    origins, directions (N, 3) (directions need not be unit; distances are in their units); a ray covers
    distances [0, t_end]. With `occupied` (nx, ny, nz) bool, a ray also stops in the first occupied voxel it
    enters (that voxel included). A ray starting outside the grid enters it where it crosses the border.
    """
    o = np.asarray(origins, dtype=np.float64).reshape(-1, 3)
    d = np.array(directions, dtype=np.float64).reshape(-1, 3)
    n = o.shape[0]
    shape = np.array(grid.shape)
    visited = np.zeros(int(np.prod(shape)), dtype=bool)
    if n == 0:
        return visited.reshape(grid.shape)
    lo = np.array([grid.x_min, grid.y_min, grid.z_min])
    hi = np.array(grid.upper)
    v = grid.voxel
    tiny = 1e-12
    d = np.where(np.abs(d) < tiny, tiny, d)
    inv = 1.0 / d
    t0, t1 = (lo - o) * inv, (hi - o) * inv
    t_in = np.maximum(np.minimum(t0, t1).max(axis=1), 0.0)
    t_out = np.minimum(np.maximum(t0, t1).min(axis=1), np.broadcast_to(np.asarray(t_end, np.float64), (n,)))
    live = np.flatnonzero(t_in < t_out)
    o, d, inv, t_in, t_out = o[live], d[live], inv[live], t_in[live], t_out[live]
    p = o + d * t_in[:, None]
    idx = np.clip(np.floor((p - lo) / v), 0, shape - 1).astype(np.int64)
    step = np.where(d > 0, 1, -1)
    t_next = (lo + (idx + (step > 0)) * v - o) * inv
    t_delta = np.abs(v * inv)
    strides = np.array([shape[1] * shape[2], shape[2], 1])
    # Per-axis columns: contiguous vectors keep every per-step operation a plain ufunc over the live rays.
    state = [np.ascontiguousarray(a[:, k]) for a in (idx, t_next, t_delta, step * strides) for k in range(3)]
    state += [idx @ strides, t_out]
    occ = None if occupied is None else np.asarray(occupied, dtype=bool).ravel()
    while state[0].size:
        ix, iy, iz, tx, ty, tz, dx, dy, dz, fx, fy, fz, flat, t_out = state
        visited[flat] = True
        on_x = (tx <= ty) & (tx <= tz)
        on_y = ~on_x & (ty <= tz)
        on_z = ~(on_x | on_y)
        t_cross = np.where(on_x, tx, np.where(on_y, ty, tz))
        go = t_cross < t_out
        if occ is not None:
            go &= ~occ[flat]
        sx, sy, sz = np.sign(fx), np.sign(fy), np.sign(fz)
        ix = ix + on_x * sx
        iy = iy + on_y * sy
        iz = iz + on_z * sz
        go &= (ix >= 0) & (ix < shape[0]) & (iy >= 0) & (iy < shape[1]) & (iz >= 0) & (iz < shape[2])
        flat = flat + np.where(on_x, fx, np.where(on_y, fy, fz))
        tx = tx + on_x * dx
        ty = ty + on_y * dy
        tz = tz + on_z * dz
        state = [ix, iy, iz, tx, ty, tz, dx, dy, dz, fx, fy, fz, flat, t_out]
        if not go.all():
            keep = np.flatnonzero(go)
            state = [a[keep] for a in state]
    return visited.reshape(grid.shape)
