"""The BEV grid and the voxeliser: points (ego frame) -> a dense bird's-eye-view feature tensor.

Voxelisation uses only `torch.unique`, `bincount` and `scatter_reduce`, so it runs anywhere torch runs (CPU or
GPU) without compiled extensions.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from ..errors import ConfigError


@dataclass(frozen=True)
class BevGrid:
    """A square-celled BEV grid in the keyframe's ego frame (x forward, y left, z up; metres).

    Cell [i, j] covers x in [x_min + i*cell, x_min + (i+1)*cell), y likewise; points with z outside
    [z_min, z_max) are dropped and the rest binned into `z_bins` equal height slices. `stride` is the
    detection head's output stride: the head predicts on cells of `cell * stride` metres."""

    x_min: float = -51.2   # m
    x_max: float = 51.2    # m
    y_min: float = -51.2   # m
    y_max: float = 51.2    # m
    z_min: float = -1.0    # m (ground is z = 0 in the ego frame)
    z_max: float = 4.0     # m
    cell: float = 0.4      # m, BEV cell side
    z_bins: int = 5        # height slices
    stride: int = 2        # head output stride (cells)

    @property
    def nx(self) -> int:
        return int(round((self.x_max - self.x_min) / self.cell))

    @property
    def ny(self) -> int:
        return int(round((self.y_max - self.y_min) / self.cell))

    @property
    def dz(self) -> float:
        return (self.z_max - self.z_min) / self.z_bins

    @property
    def channels(self) -> int:
        """Feature channels: one log-count per height slice, then the cell's max height and mean time lag."""
        return self.z_bins + 2

    @property
    def out_shape(self) -> tuple[int, int]:
        return self.nx // self.stride, self.ny // self.stride

    def validate(self) -> "BevGrid":
        if not (self.x_max > self.x_min and self.y_max > self.y_min and self.z_max > self.z_min and self.cell > 0):
            raise ConfigError(f"BEV grid: empty range or cell size in {asdict(self)}")
        for n, name in ((self.nx, "x"), (self.ny, "y")):
            if n % (4 * self.stride) or abs(n * self.cell - getattr(self, f"{name}_max") + getattr(self, f"{name}_min")) > 1e-6:
                raise ConfigError(f"BEV grid: the {name} range must hold a whole number of cells, a multiple of "
                                  f"{4 * self.stride} (got {n})")
        if not (1 <= self.z_bins <= 64 and self.stride in (1, 2)):
            raise ConfigError("BEV grid: z_bins must be 1..64 and stride 1 or 2")
        return self

    def to_dict(self) -> dict:
        return asdict(self)


TINY_GRID = BevGrid(-25.6, 25.6, -25.6, 25.6, -1.0, 4.0, 0.8, 5, 1)  # tests and --quick: 64 x 64 cells


def voxelise(points: torch.Tensor, grid: BevGrid, max_lag: float = 0.5) -> torch.Tensor:
    """BEV features of one point cloud.

    points: float (N, 4) x, y, z (m, ego frame) and time lag (s, >= 0: how much older the point's sweep is
    than the keyframe). Returns float32 (grid.channels, nx, ny): channels 0..z_bins-1 are log(1 + points)
    per height slice, then the highest point's height above z_min as a fraction of the z range (0 where the
    cell is empty), then the cell's mean time lag / max_lag (0 when empty)."""
    dev = points.device
    x, y, z, lag = points[:, 0], points[:, 1], points[:, 2], points[:, 3]
    ix = torch.floor((x - grid.x_min) / grid.cell).long()
    iy = torch.floor((y - grid.y_min) / grid.cell).long()
    iz = torch.floor((z - grid.z_min) / grid.dz).long()
    keep = (ix >= 0) & (ix < grid.nx) & (iy >= 0) & (iy < grid.ny) & (iz >= 0) & (iz < grid.z_bins)
    ix, iy, iz, z, lag = ix[keep], iy[keep], iz[keep], z[keep], lag[keep]
    ncell = grid.nx * grid.ny
    cell = ix * grid.ny + iy
    feats = torch.zeros(grid.channels, ncell, device=dev)
    # points per (cell, slice): unique voxel ids and their counts
    voxel = iz * ncell + cell
    vox_ids, inverse = torch.unique(voxel, return_inverse=True)
    counts = torch.bincount(inverse, minlength=len(vox_ids)).float()
    feats[:grid.z_bins].view(-1)[vox_ids] = torch.log1p(counts)
    if len(cell):
        top = torch.full((ncell,), float(grid.z_min), device=dev).scatter_reduce(0, cell, z.float(), "amax",
                                                                           include_self=True)
        feats[grid.z_bins] = (top - grid.z_min) / (grid.z_max - grid.z_min)
        mean_lag = torch.zeros(ncell, device=dev).scatter_reduce(0, cell, lag.float(), "mean", include_self=False)
        feats[grid.z_bins + 1] = mean_lag / max_lag
    return feats.view(grid.channels, grid.nx, grid.ny)


def cell_of(grid: BevGrid, x: float, y: float, stride: int = 1) -> tuple[int, int]:
    """The (i, j) cell holding ego-frame point (x, y) at `stride` (1: input cells, grid.stride: head cells)."""
    s = grid.cell * stride
    return math.floor((x - grid.x_min) / s), math.floor((y - grid.y_min) / s)
