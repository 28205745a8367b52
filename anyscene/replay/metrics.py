"""The replay comparison's sensor metrics, each a pure function of arrays: Chamfer distance between two point
clouds, the static points of a sweep (outside every annotated box), per-ring return rate, the distance between
two intensity histograms, and PSNR / SSIM of two images over a pixel mask.
"""
from __future__ import annotations

import numpy as np

FIRINGS_PER_RING = 1085  # firings of one ring per revolution (HDL-32E at 20 Hz; the nuscenes rig's azimuth_steps)
SSIM_SIGMA = 1.5  # px: the Gaussian window of SSIM (Wang et al. 2004)
SSIM_C1, SSIM_C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2


def nearest_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each point of `a` (N, 3) the distance (m) to its nearest point of `b` (M, 3); (N,) float64."""
    from scipy.spatial import cKDTree

    if not len(a):
        return np.zeros(0)
    if not len(b):
        return np.full(len(a), np.inf)
    return cKDTree(np.asarray(b, np.float64)).query(np.asarray(a, np.float64), k=1)[0]


def chamfer(a: np.ndarray, b: np.ndarray) -> dict:
    """Symmetric Chamfer statistics of two clouds (N, 3) and (M, 3): the nearest-neighbour distances of a to b and
    of b to a, pooled: {"median", "p90", "mean"} in m (inf when one cloud is empty and the other is not)."""
    return distance_stats(chamfer_distances(a, b))


def chamfer_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The pooled nearest-neighbour distances (N + M,) of a to b and of b to a, m."""
    return np.concatenate([nearest_distances(a, b), nearest_distances(b, a)])


def distance_stats(d: np.ndarray) -> dict:
    """{"median", "p90", "mean", "points"} of pooled distances (`chamfer_distances`)."""
    if not d.size:
        return {"median": 0.0, "p90": 0.0, "mean": 0.0, "points": 0}
    return {"median": float(np.median(d)), "p90": float(np.percentile(d, 90)), "mean": float(np.mean(d)),
            "points": int(d.size)}


def static_mask(points: np.ndarray, boxes: list) -> np.ndarray:
    """(N,) bool: the points (N, 3, in the boxes' frame) inside none of `boxes` (devkit `Box`es)."""
    from nuscenes.utils.geometry_utils import points_in_box
    from scipy.spatial import cKDTree

    keep = np.ones(len(points), bool)
    if not len(points) or not boxes:
        return keep
    tree = cKDTree(points[:, :3])
    for box in boxes:  # only the points within the box's circumscribed sphere can be inside it
        near = np.asarray(tree.query_ball_point(box.center, float(np.linalg.norm(box.wlh)) / 2 + 1e-6), np.int64)
        if near.size:
            keep[near[points_in_box(box, points[near, :3].T)]] = False
    return keep


def ring_return_rate(points: np.ndarray, rings: int = 32, firings: int = FIRINGS_PER_RING,
                     min_range: float = 1.0) -> np.ndarray:
    """(rings,) returns of each ring over its firings per revolution: points (N, 5) with the ring index in
    column 4; rows nearer than `min_range` m are no-returns (real sweeps store them at the origin)."""
    r = np.linalg.norm(points[:, :3], axis=1)
    ring = np.clip(points[r >= min_range, 4].astype(np.int64), 0, rings - 1)
    return np.bincount(ring, minlength=rings)[:rings] / float(firings)


def histogram_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Total-variation distance of two histograms (counts, same bins), each normalised: 0 identical, 1 disjoint."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    if p.sum() <= 0 or q.sum() <= 0:
        return float("nan")
    return float(0.5 * np.abs(p / p.sum() - q / q.sum()).sum())


def _gray(im: np.ndarray) -> np.ndarray:
    im = np.asarray(im, np.float64)
    return im @ np.array([0.299, 0.587, 0.114]) if im.ndim == 3 else im


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """PSNR (dB) of 8-bit images `a`, `b` (H, W[, 3]) over the pixels of `mask` (H, W) bool; inf when equal there,
    nan for an empty mask."""
    m = np.asarray(mask, bool)
    if not m.any():
        return float("nan")
    mse = float(np.mean((np.asarray(a, np.float64)[m] - np.asarray(b, np.float64)[m]) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """Mean SSIM of the luma of `a`, `b` (8-bit, H × W [× 3]) over the pixels of `mask`: local statistics in a
    Gaussian window (sigma SSIM_SIGMA), constants of Wang et al. 2004; 1 for equal images, nan for an empty mask."""
    from scipy.ndimage import gaussian_filter

    m = np.asarray(mask, bool)
    if not m.any():
        return float("nan")
    x, y = _gray(a), _gray(b)
    f = lambda v: gaussian_filter(v, SSIM_SIGMA, truncate=3.5)  # noqa: E731
    mx, my = f(x), f(y)
    vx, vy, cxy = f(x * x) - mx * mx, f(y * y) - my * my, f(x * y) - mx * my
    s = ((2 * mx * my + SSIM_C1) * (2 * cxy + SSIM_C2)) / ((mx * mx + my * my + SSIM_C1) * (vx + vy + SSIM_C2))
    return float(s[m].mean())
