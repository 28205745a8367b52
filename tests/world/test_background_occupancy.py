"""A reconstructed background fills the occupancy: the recorded ground replaces the map's flat ground layer at
its recorded height (in the full ego frame, pitch included), and every surfel fills the voxels its square
crosses with its own class. Hand-made background: ground rising 0.1 m per metre beyond x = 10 m, a manmade wall
of surfels at x = 15 m and a vegetation clump."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.classes import OCC3D_ID
from anyscene.world.background import Background, save_background
from anyscene.world.grid import GridSpec

LAYOUT = """\
name: bg_occupancy
duration: 2
map:
  background: scene.background.npz
  roads:
    - {id: r, centerline: [[-60, 0], [60, 0]], lanes: {forward: 1, backward: 1}}
ego:
  trajectory:
    waypoints:
      - {t: 0, xy: [0, 0], velocity: [0.0, 0.0], yaw: 0, pitch: PITCH}
      - {t: 2, xy: [0.01, 0], velocity: [0.0, 0.0], yaw: 0, pitch: PITCH}
agents: []
"""
RES, N = 0.5, 120  # 60 m square centred on the origin


def _background(slope: float) -> Background:
    origin = np.array([-30.0, -30.0])
    xc = origin[0] + RES * (np.arange(N) + 0.5)
    z = np.tile((slope * np.maximum(xc - 10.0, 0.0))[:, None], (1, N)).astype(np.float32)
    z[:, :20] = np.nan  # y < -20 m: no recorded ground, the map's flat ground stays
    cls = np.full((N, N), OCC3D_ID["driveable_surface"], np.uint8)
    cls[:, 80:] = OCC3D_ID["terrain"]  # y >= 10 m
    # The wall: 0.4 m square surfels (half side 0.2) facing the ego at x = 15 m, y in [-6, 6], z in [0.5, 3.7].
    ys, zs = np.meshgrid(np.arange(-6.0, 6.0, 0.4) + 0.2, np.arange(0.5, 3.7, 0.4) + 0.2, indexing="ij")
    wall = np.stack([np.full(ys.size, 15.0), ys.ravel(), zs.ravel()], 1)
    clump = np.array([[-12.1, 6.1, 1.5], [-12.3, 6.3, 1.9]])
    center = np.vstack([wall, clump]).astype(np.float32)
    s = len(center)
    normal = np.tile(np.array([-1.0, 0.0, 0.0], np.float32), (s, 1))
    surfel_cls = np.full(s, OCC3D_ID["manmade"], np.uint8)
    surfel_cls[-2:] = OCC3D_ID["vegetation"]
    return Background(
        ground_origin=origin, ground_res=RES, ground_z=z, ground_cls=cls,
        ground_colour=np.full((N, N, 3), 128, np.uint8), ground_intensity=np.full((N, N), 10.0, np.float32),
        surfel_center=center, surfel_normal=normal, surfel_radius=np.full(s, 0.2, np.float32),
        surfel_cls=surfel_cls, surfel_pole=np.zeros(s, bool), surfel_colour=np.full((s, 3), 128, np.uint8),
        surfel_intensity=np.full(s, 20.0, np.float32))


def _frame(tmp_path, slope: float = 0.1, pitch: float = 0.0, background: bool = True):
    from anyscene.layout import load_layout
    from anyscene.world import World

    save_background(_background(slope), tmp_path / "scene.background.npz")
    text = LAYOUT.replace("PITCH", repr(pitch))
    if not background:
        text = text.replace("  background: scene.background.npz\n", "")
    path = tmp_path / "scene.yaml"
    path.write_text(text)
    layout, _ = load_layout(path)
    return World.compile(layout).frame(1.0, GridSpec(), with_flow=False)


def _index(x: float, y: float, z: float) -> tuple[int, int, int]:
    i, j, k = GridSpec().index_of(np.array([[x, y, z]]))[0]
    return int(i), int(j), int(k)


def test_recorded_ground_replaces_the_flat_layer_at_its_height(tmp_path):
    sem = _frame(tmp_path).semantics
    ground = {OCC3D_ID[c] for c in ("driveable_surface", "sidewalk", "terrain", "other_flat")}
    for x, y, want in ((5.0, 0.0, "driveable_surface"), (25.0, 0.0, "driveable_surface"), (25.0, 15.0, "terrain"),
                       (-30.0 + 0.25, 3.0, "driveable_surface")):
        z = 0.1 * max(x - 10.0, 0.0)  # the recorded height under the column's centre cell
        i, j, k = _index(x, y, z)
        column = sem[i, j]
        assert column[k] == OCC3D_ID[want], (x, y)
        # the one ground voxel of the column: the map's flat layer at z = 0 is gone where the ground rose
        assert sum(int(c in ground) for c in column) == 1, (x, y, column)
    # x = 25 m: the recorded ground is 1.5 m up (its cell's centre 1.525 m), four layers above the map's
    assert _index(25.0, 0.0, 1.525)[2] - GridSpec().ground_layer == 4


def test_map_ground_stays_where_the_background_has_none(tmp_path):
    with_bg = _frame(tmp_path).semantics
    without = _frame(tmp_path, background=False).semantics
    i, j, k = _index(5.0, -25.0, 0.0)  # y < -20 m: no recorded ground
    assert with_bg[i, j, k] == without[i, j, k] != OCC3D_ID["free"]


def test_surfels_fill_the_voxels_they_cross_with_their_class(tmp_path):
    sem = _frame(tmp_path).semantics
    g = GridSpec()
    i = _index(15.0, 0.0, 0.0)[0]
    js = range(_index(0, -5.8, 0)[1], _index(0, 5.8, 0)[1] + 1)
    ks = range(_index(0, 0, 0.55)[2], _index(0, 0, 3.65)[2] + 1)
    wall = sem[i][np.ix_(list(js), list(ks))]
    assert np.all(wall == OCC3D_ID["manmade"])  # a closed wall: no voxel between its surfels stays free
    assert np.count_nonzero(sem[i + 2] == OCC3D_ID["manmade"]) == 0  # and only as thick as a surfel
    assert sem[_index(-12.1, 6.1, 1.5)] == OCC3D_ID["vegetation"]
    assert sem[_index(-12.3, 6.3, 1.9)] == OCC3D_ID["vegetation"]
    assert g.nz == sem.shape[2]


@pytest.mark.parametrize("pitch", [0.05, -0.05])
def test_ground_follows_the_full_ego_frame(tmp_path, pitch):
    """Flat recorded ground, the ego pitched: an ego-frame point (x, 0, z) is at world height z cos p − x sin p
    (R = Ry(pitch)), so the ground under the column at ego x lies at ego z ≈ x sin p cos p (hand-computed:
    ±0.909 m at x = 18.2 m, a voxel centre, for p = ±0.05: the layer two above or below the flat one)."""
    sem = _frame(tmp_path, slope=0.0, pitch=pitch).semantics
    for x in (-18.2, 0.2, 18.2):
        z = x * np.sin(pitch) * np.cos(pitch)
        i, j, k = _index(x, 0.0, z)
        assert sem[i, j, k] == OCC3D_ID["driveable_surface"], (x, z, sem[i, j])
    k = _index(18.2, 0.0, 0.909 * np.sign(pitch))[2]
    assert abs(k - GridSpec().ground_layer) == 2 and sem[_index(18.2, 0.0, 0.0)[:2]][k] != OCC3D_ID["free"]
