"""Synthetic round trip of the background reconstruction: generate a LiDAR-only dataset of a street with four
buildings and a parked car, import it back with `anyscene import nuscenes` (which reconstructs the background
from the generated sweeps), and the reconstructed structures stand where the buildings are.

BEV footprint of the reconstruction: the structure surfels' centres rasterised at 0.25 m, grouped into
connected components (after a 1 m closing of the gaps between surfels), each component's convex hull filled.
The ego drives past every building, so it sees each one's front and both sides; the back walls stay unseen,
which the hull closes. Scored against the layout's footprints by intersection over union.

The replay of the imported scene then carries the background into its labels: its Occ3D manmade voxels lie
on the original world's buildings, its ground on the original ground, and its lidarseg labels as many points
manmade as the original dataset's."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from anyscene.cli.main import main
from anyscene.world.background import Background

FOOTPRINTS = [[[-20, 10], [-8, 10], [-8, 20], [-20, 20]], [[12, 10], [26, 10], [26, 22], [12, 22]],
              [[-14, -10], [0, -10], [0, -19], [-14, -19]], [[20, -10], [32, -10], [32, -21], [20, -21]]]
HEIGHTS = [9, 12, 7, 10]
CAR = (5.0, -6.0, 4.5, 1.9)  # parked car: centre x, y, length, width (yaw 0)
LAYOUT = """\
name: buildings_rt
duration: 8
map:
  roads:
    - {id: ew, centerline: [[-150, 0], [150, 0]], lanes: {forward: 2, backward: 2}}
  buildings:
BUILDINGS
ego:
  trajectory: {lane: {road: ew, lane: 1, s: 120, speed: 10}}
agents:
  - id: parked
    class: car
    size: [4.5, 1.9, 1.6]
    trajectory:
      waypoints:
        - {t: 0, xy: [5.0, -6.0], velocity: [0, 0], yaw: 0}
        - {t: 8, xy: [5.0, -6.0], velocity: [0, 0], yaw: 0}
"""
RES = 0.25  # m, BEV raster
X0, Y0, NX, NY = -60.0, -40.0, 560, 320  # raster origin (m) and size (cells)


@pytest.fixture(scope="module")
def reconstructed(tmp_path_factory):
    from anyscene.world.background import load_background

    tmp = tmp_path_factory.mktemp("bg_round_trip")
    rows = "\n".join(f"    - {{id: b{i}, footprint: {fp}, height: {h}}}"
                     for i, (fp, h) in enumerate(zip(FOOTPRINTS, HEIGHTS)))
    src = tmp / "street.yaml"
    src.write_text(LAYOUT.replace("BUILDINGS", rows))
    gen = tmp / "gen"
    assert main(["generate", str(src), "--out", str(gen), "--sensors", "lidar", "--formats", "nuscenes,lidarseg",
                 "--no-progress"]) == 0
    back = tmp / "back"
    back.mkdir()
    # a LiDAR-only recording: the rig takes the default rig's cameras (with a warning)
    assert main(["import", "nuscenes", str(gen), "--version", "v1.0-anyscene", "--scene", "buildings_rt",
                 "--out", str(back / "scene.yaml"), "--rig-out", str(back / "rig.yaml")]) == 0
    return RoundTrip(src, gen, back, load_background(back / "scene.background.npz"))


@dataclass(frozen=True)
class RoundTrip:
    source: Path  # the layout with the buildings
    generated: Path  # its LiDAR-only dataset
    imported: Path  # the folder of the imported layout, background and rig
    background: Background


@pytest.fixture(scope="module")
def replay(reconstructed):
    out = reconstructed.imported / "replay"
    assert main(["generate", str(reconstructed.imported / "scene.yaml"), "--rig",
                 str(reconstructed.imported / "rig.yaml"), "--out", str(out), "--sensors", "lidar", "--formats",
                 "nuscenes,occ3d,lidarseg", "--no-progress"]) == 0
    return out


def _cells() -> np.ndarray:
    xs, ys = X0 + RES * (np.arange(NX) + 0.5), Y0 + RES * (np.arange(NY) + 0.5)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    return np.stack([X.ravel(), Y.ravel()], 1)


def _footprint_mask(polygons) -> np.ndarray:
    from matplotlib.path import Path as Polygon

    cells = _cells()
    mask = np.zeros(NX * NY, bool)
    for poly in polygons:
        mask |= Polygon(np.asarray(poly, float)).contains_points(cells)
    return mask.reshape(NX, NY)


def _reconstructed_mask(xy: np.ndarray) -> np.ndarray:
    from scipy import ndimage
    from scipy.spatial import ConvexHull

    occ = np.zeros((NX, NY), bool)
    ij = np.floor((xy - [X0, Y0]) / RES).astype(np.int64)
    ok = np.all((ij >= 0) & (ij < [NX, NY]), axis=1)
    occ[ij[ok, 0], ij[ok, 1]] = True
    labels, n = ndimage.label(ndimage.binary_closing(occ, iterations=4) | occ)
    hulls = []
    for k in range(1, n + 1):
        i, j = np.nonzero((labels == k) & occ)
        pts = np.stack([X0 + RES * (i + 0.5), Y0 + RES * (j + 0.5)], 1)
        if len(pts) >= 3 and np.ptp(pts, axis=0).min() > 0:
            hulls.append(pts[ConvexHull(pts).vertices])
    return _footprint_mask(hulls)


def test_reconstructed_buildings_overlap_the_originals(reconstructed):
    from anyscene.classes import OCC3D_ID

    bg = reconstructed.background
    structure = np.isin(bg.surfel_cls, [OCC3D_ID["manmade"], OCC3D_ID["vegetation"]])
    pred = _reconstructed_mask(bg.surfel_center[structure, :2].astype(np.float64))
    truth = _footprint_mask(FOOTPRINTS)
    iou = (pred & truth).sum() / (pred | truth).sum()
    assert iou >= 0.7, iou
    for fp in FOOTPRINTS:  # each building on its own: its footprint against the reconstruction within 2 m
        one = _footprint_mask([fp])
        assert (pred & one).sum() / ((pred & _grown(one)) | one).sum() >= 0.7, fp
    # walls are smooth planes: the rule calls them manmade
    assert np.mean(bg.surfel_cls[structure] == OCC3D_ID["manmade"]) >= 0.9
    # and solid: the simulated beams never crossed them, only the squares' overhanging edges let some by
    tr = bg.surfel_transmit[structure]
    assert np.median(tr) <= 0.1 and np.mean(tr) <= 0.2, (np.median(tr), np.mean(tr))


def _grown(mask: np.ndarray, metres: float = 2.0) -> np.ndarray:
    from scipy import ndimage

    return ndimage.binary_dilation(mask, iterations=int(metres / RES))


def test_reconstruction_keeps_heights_and_drops_the_agent(reconstructed):
    from matplotlib.path import Path as Polygon

    bg = reconstructed.background
    # the ground is the generated flat ground, outside the buildings (inside them, and in the unseen strips
    # behind them, it is filled from the nearest seen cells, wall bottoms included)
    nx, ny = bg.ground_z.shape
    gx = bg.ground_origin[0] + bg.ground_res * (np.arange(nx) + 0.5)
    gy = bg.ground_origin[1] + bg.ground_res * (np.arange(ny) + 0.5)
    cells = np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2)
    built = np.zeros(len(cells), bool)
    for fp in FOOTPRINTS:
        poly = Polygon(np.asarray(fp, float))
        built |= poly.contains_points(cells, radius=1.0) | poly.contains_points(cells, radius=-1.0)  # grown 1 m
    z = bg.ground_z.reshape(-1)[~built]
    z = z[np.isfinite(z)]
    assert len(z) > 0.8 * (~built).sum() and np.mean(np.abs(z) <= 0.05) >= 0.99
    # the structures reach up the walls, never above the tallest building
    assert bg.surfel_center[:, 2].max() <= max(HEIGHTS) + 0.3
    for fp, h in zip(FOOTPRINTS, HEIGHTS):
        poly, xy = Polygon(np.asarray(fp, float)), bg.surfel_center[:, :2]
        near = poly.contains_points(xy, radius=1.0) | poly.contains_points(xy, radius=-1.0)  # either winding
        assert near.any() and bg.surfel_center[near, 2].max() <= h + 0.3
    # no surfel stands in the parked car's box: its points were removed as an annotated object
    x, y, length, width = CAR
    inside = (np.abs(bg.surfel_center[:, 0] - x) <= length / 2) & (np.abs(bg.surfel_center[:, 1] - y) <= width / 2)
    assert not inside.any()


def test_lidar_only_recording_imports_with_the_default_cameras(reconstructed):
    from anyscene.sensors.rig import load_rig

    rig = load_rig(str(reconstructed.imported / "rig.yaml"))
    assert [c.channel for c in rig.cameras] == [c.channel for c in load_rig("nuscenes").cameras]


def test_replay_occupancy_holds_the_background(reconstructed, replay):
    """On every fourth keyframe: ≥ 95 % of the replay's manmade voxels lie within one voxel of the original
    world's buildings (the replay has their walls, the original fills them), and the replay has ground wherever
    the original has (≥ 99 % of those columns)."""
    import json

    from scipy import ndimage

    from anyscene.classes import OCC3D_ID
    from anyscene.layout import load_layout
    from anyscene.world import World

    original = World.compile(load_layout(reconstructed.source)[0])
    infos = json.loads((replay / "annotations.json").read_text())["scene_infos"]["buildings_rt"]
    tokens = list(infos)
    t0 = infos[tokens[0]]["timestamp"]
    manmade = OCC3D_ID["manmade"]
    flat = [OCC3D_ID[c] for c in ("driveable_surface", "sidewalk", "terrain", "other_flat")]
    for token in tokens[::4]:
        got = np.load(replay / infos[token]["gt_path"])["semantics"]
        want = original.frame((infos[token]["timestamp"] - t0) / 1e6, with_flow=False).semantics
        walls = got == manmade
        assert walls.sum() >= 1000
        assert (walls & ndimage.binary_dilation(want == manmade)).sum() >= 0.95 * walls.sum()
        ground = np.isin(want, flat).any(axis=2)
        assert (ground & np.isin(got, flat).any(axis=2)).sum() >= 0.99 * ground.sum()


def test_replay_lidarseg_labels_the_buildings(reconstructed, replay):
    import json

    from anyscene.classes import LIDARSEG_INDEX

    def manmade_share(root: Path) -> float:
        records = json.loads((root / "v1.0-anyscene" / "lidarseg.json").read_text())
        labels = np.concatenate([np.fromfile(root / r["filename"], dtype=np.uint8) for r in records])
        return float(np.mean(labels == LIDARSEG_INDEX["static.manmade"]))

    original, replayed = manmade_share(reconstructed.generated), manmade_share(replay)
    assert original > 0.1
    assert 0.8 <= replayed / original <= 1.2, (original, replayed)
