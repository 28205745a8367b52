"""The ego-frame voxel grid an occupancy frame is sampled on."""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..errors import ConfigError
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


def load_grid(name_or_path: str) -> GridSpec:
    """A GridSpec from `configs/grid/NAME.yaml` or a YAML file path; unknown keys are errors."""
    from omegaconf import OmegaConf

    path = resolve("grid", name_or_path)
    raw = OmegaConf.to_container(OmegaConf.load(path))
    names = {f.name for f in fields(GridSpec)}
    unknown = set(raw) - names
    if unknown:
        raise ConfigError(f"{path}: unknown grid key(s) {sorted(unknown)}; known: {sorted(names)}")
    try:
        spec = GridSpec(**{k: (int(v) if k in ("nx", "ny", "nz") else float(v)) for k, v in raw.items()})
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{path}: {e}") from None
    if spec.voxel <= 0 or min(spec.shape) <= 0:
        raise ConfigError(f"{path}: voxel and sizes must be positive")
    return spec
