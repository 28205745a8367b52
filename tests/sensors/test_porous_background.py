"""Porous recorded surfaces: a surfel's `surfel_transmit` is the share of LiDAR beams that pass it. Cameras,
EXACT LiDARs and the occupancy see it whole."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.classes import OCC3D_ID
from anyscene.world.background import Background, BackgroundError, load_background, save_background

LAYOUT = """\
name: porous
duration: 2
map:
  background: scene.background.npz
  roads:
    - {id: r, centerline: [[-60, 0], [60, 0]], lanes: {forward: 1, backward: 1}}
ego:
  trajectory:
    waypoints:
      - {t: 0, xy: [0, 0], velocity: [0.0, 0.0], yaw: 0}
      - {t: 2, xy: [0.01, 0], velocity: [0.0, 0.0], yaw: 0}
agents: []
"""


def _wall(x: float, cls: str, step: float = 0.25):
    """Surfels of a wall facing the ego at x m, y in [-6, 6], z in [0.2, 4]."""
    ys, zs = np.meshgrid(np.arange(-6.0, 6.0, step) + step / 2, np.arange(0.2, 4.0, step) + step / 2,
                         indexing="ij")
    s = ys.size
    return (np.stack([np.full(s, x), ys.ravel(), zs.ravel()], 1).astype(np.float32),
            np.full(s, OCC3D_ID[cls], np.uint8))


def _background(transmit: float) -> Background:
    res, n = 0.5, 120
    (c1, k1), (c2, k2) = _wall(10.0, "vegetation"), _wall(20.0, "manmade")
    center, cls = np.vstack([c1, c2]), np.concatenate([k1, k2])
    s = len(cls)
    tr = np.concatenate([np.full(len(k1), transmit), np.zeros(len(k2))]).astype(np.float32)
    return Background(
        ground_origin=np.array([-30.0, -30.0]), ground_res=res, ground_z=np.zeros((n, n), np.float32),
        ground_cls=np.full((n, n), OCC3D_ID["driveable_surface"], np.uint8),
        ground_colour=np.full((n, n, 3), 128, np.uint8), ground_intensity=np.full((n, n), 10.0, np.float32),
        surfel_center=center, surfel_normal=np.tile(np.array([-1.0, 0.0, 0.0], np.float32), (s, 1)),
        surfel_radius=np.full(s, 0.13, np.float32), surfel_cls=cls, surfel_pole=np.zeros(s, bool),
        surfel_colour=np.full((s, 3), 128, np.uint8), surfel_intensity=np.full(s, 30.0, np.float32),
        surfel_transmit=tr)


def _world(tmp_path, transmit: float):
    from anyscene.layout import load_layout
    from anyscene.world import World

    folder = tmp_path / f"t{transmit}"
    folder.mkdir()
    save_background(_background(transmit), folder / "scene.background.npz")
    (folder / "scene.yaml").write_text(LAYOUT)
    layout, _ = load_layout(folder / "scene.yaml")
    return World.compile(layout)


def _far_share(world, realism=None, sweeps=4) -> float:
    """Share of the LiDAR's wall returns (front and back walls together) that come from the back wall, over
    the beams aimed at the back wall's middle (within 12 degrees of straight ahead, -3..+4 degrees of
    elevation): each meets the front wall first, so the share is the front wall's transmittance."""
    from anyscene.sensors.lidar import sweep_lidar
    from anyscene.sensors.raycast import WorldScene
    from anyscene.sensors.rig import load_rig

    lidar = load_rig("nuscenes").lidar
    scene = WorldScene(world)
    front = back = 0
    for k in range(sweeps):
        scan = sweep_lidar(scene, lidar, world, 0.05 * k, realism=realism)
        x, y, z = scan.points[:, 0], scan.points[:, 1], scan.points[:, 2]  # LiDAR frame: y forward
        az, el = np.degrees(np.arctan2(x, y)), np.degrees(np.arctan2(z, np.hypot(x, y)))
        aimed = (np.abs(az) < 12.0) & (el > -3.0) & (el < 4.0)
        front += int((aimed & (scan.occ3d == OCC3D_ID["vegetation"])).sum())
        back += int((aimed & (scan.occ3d == OCC3D_ID["manmade"])).sum())
    assert front + back > 500, front + back
    return back / (front + back)


def test_a_porous_surfel_wall_lets_its_share_of_beams_through(tmp_path):
    from anyscene.sensors.lidar import EXACT

    assert _far_share(_world(tmp_path, 0.0)) == 0.0
    half = _world(tmp_path, 0.5)
    share = _far_share(half)
    # ~ 700 beams: a binomial share of 0.5 stays within ±0.1 (5 sigma); the per-ring dropout is the same for
    # both walls, the back wall's longer range loses a little more
    assert 0.35 <= share <= 0.6, share
    assert _far_share(half, EXACT) == 0.0  # the exact scanner sees every surface whole


def test_cameras_and_the_occupancy_see_a_porous_wall_whole(tmp_path):
    from anyscene.sensors.camera import render_camera
    from anyscene.sensors.raycast import WorldScene
    from anyscene.sensors.rig import load_rig
    from anyscene.world.grid import GridSpec

    world = _world(tmp_path, 0.9)
    cam = next(c for c in load_rig("nuscenes", (160, 90)).cameras if c.channel == "CAM_FRONT")
    frame = render_camera(WorldScene(world), cam, world.ego_pose(1.0), 1.0)
    centre = frame.semantic[30:45, 60:100]  # above the horizon, straight ahead: the front wall
    assert (centre == OCC3D_ID["vegetation"]).mean() > 0.9
    occ = world.frame(1.0, GridSpec(), with_flow=False)
    assert (occ.semantics == OCC3D_ID["vegetation"]).sum() > 100


def test_the_transmittance_is_validated_and_saved(tmp_path):
    bg = _background(0.25)
    save_background(bg, tmp_path / "a.npz")
    np.testing.assert_array_equal(load_background(tmp_path / "a.npz").surfel_transmit, bg.surfel_transmit)
    import dataclasses

    for bad in (1.5, -0.1, np.nan):
        broken = dataclasses.replace(bg, surfel_transmit=np.full(bg.num_surfels, bad, np.float32))
        with pytest.raises(BackgroundError, match="surfel_transmit"):
            broken.validate("x.npz")
    solid = dataclasses.replace(bg, surfel_transmit=None)
    save_background(solid, tmp_path / "b.npz")
    assert load_background(tmp_path / "b.npz").surfel_transmit is None
