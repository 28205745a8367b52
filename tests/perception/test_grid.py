"""The voxeliser against hand-computed cells."""
from __future__ import annotations

import math

import pytest
import torch

from anyscene.errors import ConfigError
from anyscene.perception.grid import BevGrid, voxelise

# 4 x 4 cells of 1 m over [-2, 2)^2, two 1 m height slices over z in [-1, 1)
G = BevGrid(-2, 2, -2, 2, -1, 1, 1.0, 2, 1)


def test_counts_height_and_lag_per_cell():
    pts = torch.tensor([[0.5, 0.5, 0.2, 0.0],    # cell (2, 2), upper slice
                        [0.6, 0.4, 0.7, 0.1],    # cell (2, 2), upper slice, highest there
                        [0.5, 0.5, -0.5, 0.3],   # cell (2, 2), lower slice
                        [-1.5, 1.5, 0.9, 0.0],   # cell (0, 3), upper slice
                        [5.0, 0.0, 0.0, 0.0],    # outside in x: dropped
                        [0.0, 0.0, 1.5, 0.0]])   # above z_max in cell (2, 2): dropped, not its highest point
    f = voxelise(pts, G, max_lag=0.5)
    assert f.shape == (4, 4, 4)
    expect = torch.zeros(4, 4, 4)
    expect[1, 2, 2], expect[0, 2, 2] = math.log(3), math.log(2)
    expect[1, 0, 3] = math.log(2)
    expect[2, 2, 2], expect[2, 0, 3] = (0.7 + 1) / 2, (0.9 + 1) / 2
    expect[3, 2, 2] = (0.0 + 0.1 + 0.3) / 3 / 0.5
    assert torch.allclose(f, expect, atol=1e-6)


def test_empty_cloud_and_cell_edges():
    assert voxelise(torch.zeros(0, 4), G).abs().sum() == 0
    # x = -2 lies in cell 0; x = 2 (the range's end) is outside
    f = voxelise(torch.tensor([[-2.0, -2.0, -1.0, 0.0], [2.0, 0.0, 0.0, 0.0]]), G)
    assert f[0, 0, 0] == pytest.approx(math.log(2)) and f[:2].sum() == pytest.approx(math.log(2))


def test_default_grid_and_bad_grids():
    g = BevGrid().validate()
    assert (g.nx, g.ny, g.out_shape, g.channels) == (256, 256, (128, 128), 7)
    with pytest.raises(ConfigError):
        BevGrid(-10, 10, -10, 10, cell=0.3).validate()  # not a whole number of cells
    with pytest.raises(ConfigError):
        BevGrid(stride=3).validate()
