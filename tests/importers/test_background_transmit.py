"""The transmittance of reconstructed surfels, on hand-made sweeps: the share of recorded beams that crossed a
surfel's square and returned from beyond it, or returned nothing."""
from __future__ import annotations

import numpy as np

from anyscene.classes import OCC3D_ID
from anyscene.importers.nuscenes.background import Sweep, _miss_directions, _transmittance
from anyscene.world.background import Background


def _one_surfel(x: float = 10.0, half: float = 0.5) -> Background:
    n = 4
    return Background(
        ground_origin=np.array([-1.0, -1.0]), ground_res=0.5, ground_z=np.zeros((n, n), np.float32),
        ground_cls=np.full((n, n), OCC3D_ID["sidewalk"], np.uint8), ground_colour=np.zeros((n, n, 3), np.uint8),
        ground_intensity=np.zeros((n, n), np.float32),
        surfel_center=np.array([[x, 0.0, 1.0]], np.float32), surfel_normal=np.array([[-1.0, 0.0, 0.0]], np.float32),
        surfel_radius=np.array([half], np.float32), surfel_cls=np.array([OCC3D_ID["vegetation"]], np.uint8),
        surfel_pole=np.zeros(1, bool), surfel_colour=np.zeros((1, 3), np.uint8),
        surfel_intensity=np.zeros(1, np.float32))


def test_beams_through_a_surfel_and_beams_ending_on_it_give_its_transmittance():
    origin = np.array([0.0, 0.0, 1.0])
    through = np.array([[20.0, 0.2, 1.0], [20.0, -0.3, 1.2], [15.0, 0.0, 0.8]])  # cross the square, end beyond
    on = np.array([[10.05, 0.1, 1.1]])  # ends on it (within HIT_BAND)
    aside = np.array([[20.0, 5.0, 1.0]])  # misses the square: counts for nothing
    misses = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # the first crosses it, the second does not
    pts = np.vstack([through, on, aside])
    sweep = Sweep(0.0, pts, np.zeros(len(pts), np.float32), origin, True, misses)
    tau = _transmittance(_one_surfel(), [sweep])
    # passes: 3 returns beyond + 1 empty firing; hits: 1 return on it + the prior hit
    np.testing.assert_allclose(tau, [4.0 / 6.0], rtol=1e-6)
    # a surfel nothing crossed stays solid
    assert _transmittance(_one_surfel(x=-10.0), [sweep])[0] == 0.0


def test_empty_firings_take_their_azimuth_and_their_rings_elevation():
    el = np.radians([-10.0, 0.0, 5.0])
    az = np.radians([0.0, 90.0])
    rows = []
    for a in az:  # firing order: every ring at one azimuth step, then the next
        for k, e in enumerate(el):
            d = np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
            rows.append([*(10.0 * d), 7.0, k])
    pts = np.array(rows, np.float32)
    pts[4, :3] = 0.0  # azimuth 90, ring 1 (elevation 0) returned nothing
    dirs = _miss_directions(pts)
    np.testing.assert_allclose(dirs, [[0.0, 1.0, 0.0]], atol=1e-6)
    # files not in firing order (rings not counting up) give none
    shuffled = pts[[0, 3, 1, 4, 2, 5]]
    assert _miss_directions(shuffled).shape == (0, 3)
