"""Condition maps from an occupancy grid alone (e.g. Occ3D labels of real nuScenes), by the sensor simulation's
voxel-grid ray caster (through anyscene.pipeline.sensors.OccupancyCameras): the labelled grid is the scene, the ego sits at the grid's origin, and each camera sees
the first occupied voxel along each pixel ray.

Occ3D labels carry no instance ids; the instance boundary channel then marks where the visible class changes
(a voxel face of another class), which outlines objects against their background as instance edges would.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import ConfigError
from .conditions import encode_maps


class OccupancyConditionRenderer:
    """Renders (CONDITION_CHANNELS, H, W) condition maps of cameras from Occ3D `labels.npz` files on `grid` (a
    preset name under configs/grid/ or a grid YAML file). The last grid's ray-casting scene is kept, so the
    cameras of one keyframe share it."""

    def __init__(self, grid: str = "occ3d"):
        from ...world import load_grid

        self.grid = load_grid(grid)
        self._last: tuple[Path, object] | None = None

    def scene(self, labels: str | Path):
        """The OccupancyCameras (anyscene.pipeline.sensors) of a labels file."""
        from ...pipeline.sensors import OccupancyCameras

        labels = Path(labels)
        if self._last is None or self._last[0] != labels:
            with np.load(labels) as z:
                if "semantics" not in z.files:
                    raise ConfigError(f"{labels}: no `semantics` array (expected an Occ3D labels.npz)")
                semantics = z["semantics"]
            if semantics.shape != self.grid.shape:
                raise ConfigError(f"{labels}: semantics {semantics.shape} do not match the grid {self.grid.shape} "
                                  f"(data.grid)")
            self._last = (labels, OccupancyCameras(semantics, self.grid))
        return self._last[1]

    def render(self, labels: str | Path, camera, height: int, width: int) -> np.ndarray:
        """The condition map of `camera` (any resolution; rendered at height×width) in the labels' grid."""
        frame = self.scene(labels).camera(camera.scaled(width, height))
        instance = frame.instance if np.any(frame.instance) else frame.semantic.astype(np.uint16)
        return encode_maps(frame.semantic, frame.depth, instance, height, width)
