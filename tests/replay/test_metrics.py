"""The comparison's sensor metrics on hand-made cases whose values are known."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.replay.metrics import (FIRINGS_PER_RING, chamfer, histogram_distance, psnr, ring_return_rate, ssim,
                                     static_mask)


def _grid() -> np.ndarray:
    g = np.arange(10.0)
    return np.stack(np.meshgrid(g, g, [0.0, 1.0]), axis=-1).reshape(-1, 3)  # 1 m spacing


def test_chamfer_of_a_cloud_with_itself_is_zero_and_of_a_shifted_cloud_the_shift():
    a = _grid()
    assert chamfer(a, a) == {"median": 0.0, "p90": 0.0, "mean": 0.0, "points": 2 * len(a)}
    shift = np.array([0.1, 0.2, 0.0])
    c = chamfer(a, a + shift)
    assert c["median"] == pytest.approx(np.linalg.norm(shift)) and c["p90"] == pytest.approx(np.linalg.norm(shift))
    far = chamfer(a, a[:1])  # one point: the median distance to it is that of the grid's points
    assert far["p90"] > far["median"] > 0


def test_static_points_are_those_outside_every_box():
    from nuscenes.utils.data_classes import Box
    from pyquaternion import Quaternion

    pts = np.array([[0.0, 0.0, 0.5], [5.0, 0.0, 0.5], [5.9, 0.0, 0.5], [20.0, 0.0, 0.5]])
    boxes = [Box([5.0, 0.0, 0.5], [2.0, 4.0, 2.0], Quaternion(axis=[0, 0, 1], angle=0.0))]  # w, l, h: 4 m along x
    assert static_mask(pts, boxes).tolist() == [True, False, False, True]
    assert static_mask(pts, []).all()


def test_ring_return_rate_counts_returns_per_firing():
    ring = np.repeat(np.arange(32), FIRINGS_PER_RING)
    pts = np.zeros((ring.size, 5), np.float32)
    pts[:, 0], pts[:, 4] = 10.0, ring
    pts[ring == 3, :3] = 0.0  # ring 3 got no returns (stored at the origin, as in real sweeps)
    rate = ring_return_rate(pts)
    assert rate[3] == 0.0 and np.all(np.delete(rate, 3) == 1.0)
    assert np.all(ring_return_rate(pts[::2]) [np.arange(32) != 3] == pytest.approx(0.5, abs=1e-3))


def test_histogram_distance_is_zero_for_equal_and_one_for_disjoint():
    assert histogram_distance([1, 2, 3], [2, 4, 6]) == 0.0
    assert histogram_distance([1, 0], [0, 5]) == 1.0
    assert histogram_distance([1, 1], [1, 0]) == pytest.approx(0.5)
    assert np.isnan(histogram_distance([0, 0], [1, 0]))


def test_psnr_and_ssim_over_a_mask():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 60, 3)).astype(np.uint8)
    mask = np.zeros((40, 60), bool)
    mask[10:30, 10:50] = True
    assert psnr(a, a, mask) == np.inf and ssim(a, a, mask) == pytest.approx(1.0)
    exact = a.copy()  # an error of 10 on every covered pixel: PSNR = 20 log10(255 / 10)
    exact[mask] = np.where(a[mask] > 245, a[mask] - 10, a[mask] + 10)
    assert psnr(a, exact, mask) == pytest.approx(20 * np.log10(255 / 10))
    outside = a.copy()
    outside[~mask] = 0  # differences outside the mask do not count for PSNR
    assert psnr(a, outside, mask) == np.inf
    noisy = np.clip(a + rng.normal(0, 40, a.shape), 0, 255).astype(np.uint8)
    assert 0 < ssim(a, noisy, mask) < 0.9
    assert np.isnan(psnr(a, a, np.zeros_like(mask)))
