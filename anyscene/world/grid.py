"""The ego-frame voxel grid an occupancy frame is sampled on."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..resources import config_dir, resolve

CONFIG_DIR = config_dir("grid")


@dataclass(frozen=True)
class GridSpec:
    """An axis-aligned grid in the ego frame, axis order (x, y, z).

    Voxel [i, j, k] is centred at (x_min + voxel·(i+0.5), y_min + voxel·(j+0.5), z_min + voxel·(k+0.5)), in
    metres, ego frame (x forward, y left, z up, origin on the ground under the rear axle). `z_min` sets the
    vertical alignment: the ground plane z = 0 falls in layer k = floor(-z_min / voxel).
    """

    x_min: float = -40.0  # m, lower x bound
    y_min: float = -40.0  # m, lower y bound
    z_min: float = -1.0  # m, lower z bound: the vertical alignment of the grid against the ground
    voxel: float = 0.4  # m, edge of a cubic voxel
    nx: int = 200  # voxels along x
    ny: int = 200  # voxels along y
    nz: int = 16  # voxels along z

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.nx, self.ny, self.nz)

    @property
    def upper(self) -> tuple[float, float, float]:
        """(x_max, y_max, z_max) in metres."""
        return (self.x_min + self.voxel * self.nx, self.y_min + self.voxel * self.ny,
                self.z_min + self.voxel * self.nz)

    @property
    def ground_layer(self) -> int:
        """Index k of the layer that contains the ground plane z = 0 (clamped into the grid)."""
        return int(np.clip(np.floor(-self.z_min / self.voxel), 0, self.nz - 1))

    def centers(self, axis: int) -> np.ndarray:
        """Voxel centre coordinates along axis 0 (x), 1 (y) or 2 (z), float64 metres."""
        lo = (self.x_min, self.y_min, self.z_min)[axis]
        n = self.shape[axis]
        return lo + self.voxel * (np.arange(n) + 0.5)

    def index_of(self, points: np.ndarray) -> np.ndarray:
        """Integer voxel indices (N, 3) of ego-frame points (N, 3); may fall outside [0, shape)."""
        lo = np.array([self.x_min, self.y_min, self.z_min])
        return np.floor((np.asarray(points) - lo) / self.voxel).astype(np.int64)


# Bounds of a grid config (docs/layout.md, "Limits"): every frame holds nx·ny·nz voxels of semantics,
# instances, flow and masks (about 14 bytes each).
MAX_VOXEL_COUNT = 16_000_000
VOXEL_RANGE = (0.01, 10.0)  # m
MAX_CELLS = {"nx": 4000, "ny": 4000, "nz": 512}
MAX_OFFSET = 1000.0  # m: |x_min|, |y_min|, |z_min|


def load_grid(name_or_path: str) -> GridSpec:
    """A GridSpec from `configs/grid/NAME.yaml` or a YAML file path; unknown keys, wrong types and values
    outside the bounds above are ConfigErrors naming FILE:LINE:COL."""
    from ..config import check_typed, load_config

    path = resolve("grid", name_or_path)
    doc = load_config(path, "grid config")
    check_typed(doc, doc.data, GridSpec, "", "configs/grid/occ3d.yaml")
    spec = GridSpec(**{k: (int(v) if k in ("nx", "ny", "nz") else float(v)) for k, v in doc.data.items()})
    lo, hi = VOXEL_RANGE
    if not lo <= spec.voxel <= hi:
        raise doc.error("voxel", f"{spec.voxel:g} m is outside the allowed {lo:g}..{hi:g} m")
    for name, most in MAX_CELLS.items():
        n = getattr(spec, name)
        if not 1 <= n <= most:
            raise doc.error(name, f"{n} voxels; allowed: 1..{most}")
    for name in ("x_min", "y_min", "z_min"):
        if abs(getattr(spec, name)) > MAX_OFFSET:
            raise doc.error(name, f"{getattr(spec, name):g} m; allowed: -{MAX_OFFSET:g}..{MAX_OFFSET:g} m")
    count = spec.nx * spec.ny * spec.nz
    if count > MAX_VOXEL_COUNT:
        raise doc.error("nx", f"the grid has {count:,} voxels ({spec.nx}×{spec.ny}×{spec.nz}); at most "
                              f"{MAX_VOXEL_COUNT:,} are allowed")
    return spec
