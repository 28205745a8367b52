"""A reconstructed background's recorded appearance reaches the sensors: the GL renderer shows its recorded
colours (and its own material where no image coloured it), the LiDAR returns its recorded intensity, and an
agent inserted in front of it hides both. The background is a small synthetic file: flat orange ground (a
strip left uncoloured) and a green wall of surfels 15 m ahead of the ego."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.world.background import Background, save_background

GROUND_RGB = (200, 60, 30)
WALL_RGB = (30, 200, 60)
GROUND_INTENSITY, WALL_INTENSITY = 12.0, 77.0

LAYOUT = """\
name: recorded
duration: 2
map:
  background: scene.background.npz
  roads:
    - {id: r, centerline: [[-60, 0], [60, 0]], lanes: {forward: 1, backward: 1}}
ego:
  trajectory:
    waypoints:
      - {t: 0, xy: [0, -1.75], velocity: [0.0, 0.0], yaw: 0}
      - {t: 2, xy: [0.01, -1.75], velocity: [0.0, 0.0], yaw: 0}
agents: AGENTS
"""
CAR = """
  - id: car_in_front
    class: car
    size: [4.5, 1.9, 1.6]
    trajectory:
      waypoints:
        - {t: 0, xy: [9.0, -1.75], velocity: [0.0, 0.0], yaw: 0}
        - {t: 2, xy: [9.01, -1.75], velocity: [0.0, 0.0], yaw: 0}
"""


def _background() -> Background:
    res, n = 0.5, 120  # 60 m square centred on the origin
    origin = np.array([-30.0, -30.0])
    z = np.zeros((n, n), np.float32)
    colour = np.tile(np.array(GROUND_RGB, np.uint8), (n, n, 1))
    coloured = np.ones((n, n), bool)
    coloured[:, :56] = False  # y < -2 m: no image saw it
    # The wall: 0.25 m surfels (radius 0.125) facing the ego at x = 15 m, y in [-6, 6], z in [0.2, 4].
    ys, zs = np.meshgrid(np.arange(-6.0, 6.0, 0.25) + 0.125, np.arange(0.2, 4.0, 0.25) + 0.125, indexing="ij")
    s = ys.size
    center = np.stack([np.full(s, 15.0), ys.ravel(), zs.ravel()], 1).astype(np.float32)
    normal = np.tile(np.array([-1.0, 0.0, 0.0], np.float32), (s, 1))
    from anyscene.classes import OCC3D_ID

    return Background(
        ground_origin=origin, ground_res=res, ground_z=z,
        ground_cls=np.full((n, n), OCC3D_ID["driveable_surface"], np.uint8), ground_colour=colour,
        ground_intensity=np.full((n, n), GROUND_INTENSITY, np.float32),
        surfel_center=center, surfel_normal=normal, surfel_radius=np.full(s, 0.13, np.float32),
        surfel_cls=np.full(s, OCC3D_ID["manmade"], np.uint8), surfel_pole=np.zeros(s, bool),
        surfel_colour=np.tile(np.array(WALL_RGB, np.uint8), (s, 1)),
        surfel_intensity=np.full(s, WALL_INTENSITY, np.float32),
        ground_coloured=coloured, surfel_coloured=np.ones(s, bool))


def _world(tmp_path, with_car: bool):
    from anyscene.layout import load_layout
    from anyscene.world import World

    save_background(_background(), tmp_path / "scene.background.npz")
    path = tmp_path / f"scene_{int(with_car)}.yaml"
    path.write_text(LAYOUT.replace("AGENTS", CAR if with_car else "[]"))
    layout, _ = load_layout(path)
    return World.compile(layout)


def _front(world, t: float = 1.0):
    from anyscene.render.gl_renderer import GLRenderConfig, GLRenderer
    from anyscene.sensors.gl import GLWorldCameras, shared_context
    from anyscene.sensors.raycast import WorldScene
    from anyscene.sensors.rig import load_rig

    try:
        shared_context()
    except RuntimeError as e:
        pytest.skip(str(e))
    scene = WorldScene(world)
    cam = next(c for c in load_rig("nuscenes", (320, 180)).cameras if c.channel == "CAM_FRONT")
    frame = GLWorldCameras(scene).render(cam, world.ego_pose(t), t)
    return GLRenderer(world, [cam], GLRenderConfig(), seed=0, scene=scene).render(frame, cam), frame


def _near(img, mask, rgb, tol=6.0) -> float:
    """Fraction of `mask`'s pixels within `tol` (mean over channels) of `rgb`."""
    d = np.abs(img[mask].astype(np.float32) - np.array(rgb, np.float32)).mean(axis=1)
    return float((d <= tol).mean())


def test_gl_shows_the_recorded_colours_and_an_inserted_car_hides_them(tmp_path):
    from anyscene.classes import OCC3D_ID

    img, frame = _front(_world(tmp_path, with_car=False))
    sem = frame.semantic
    wall = sem == OCC3D_ID["manmade"]
    assert wall.mean() > 0.05
    assert _near(img, wall, WALL_RGB) > 0.95
    # The ground: orange where an image coloured it (y >= -2 m, the ego's left), the renderer's own asphalt
    # where none did (the ego's lane, y < -2 m).
    ground = sem == OCC3D_ID["driveable_surface"]
    y = frame.points[..., 1]
    assert _near(img, ground & (y > -1.5), GROUND_RGB) > 0.95
    assert _near(img, ground & (y < -2.5), GROUND_RGB) < 0.05

    img_car, frame_car = _front(_world(tmp_path, with_car=True))
    car = frame_car.semantic == OCC3D_ID["car"]
    assert car.mean() > 0.02
    assert _near(img_car, car, WALL_RGB, tol=20) < 0.05 and _near(img_car, car, GROUND_RGB, tol=20) < 0.05
    assert (car & wall).sum() > 0.25 * car.sum()  # the car stands where the wall was seen
    assert _near(img_car, wall & ~car, WALL_RGB) > 0.95


def test_lidar_returns_the_recorded_intensity_and_an_inserted_car_hides_it(tmp_path):
    from anyscene.classes import OCC3D_ID
    from anyscene.sensors.lidar import sweep_lidar, sweep_to_world
    from anyscene.sensors.raycast import WorldScene
    from anyscene.sensors.rig import load_rig

    lidar = load_rig("nuscenes").lidar
    scans = {}
    for with_car in (False, True):
        world = _world(tmp_path, with_car)
        scans[with_car] = sweep_lidar(WorldScene(world), lidar, world, 1.0)
    bare, car = scans[False], scans[True]
    wall = bare.occ3d == OCC3D_ID["manmade"]
    ground = bare.occ3d == OCC3D_ID["driveable_surface"]
    assert wall.sum() > 100 and ground.sum() > 1000
    # the recorded mean, with the sensor's relative spread (log-normal: the median stays)
    assert abs(np.median(bare.points[wall, 3]) - WALL_INTENSITY) <= 3
    assert abs(np.median(bare.points[ground, 3]) - GROUND_INTENSITY) <= 1
    assert np.std(bare.points[wall, 3]) > 5  # not one value
    # The car hides part of the wall (fewer wall returns) and its own returns keep the car's own model.
    on_car = car.occ3d == OCC3D_ID["car"]
    assert on_car.sum() > 50
    def behind_car(scan):  # wall returns in the car's direction (world y within the car's half width)
        xyz = sweep_to_world(scan)
        return int(((scan.occ3d == OCC3D_ID["manmade"]) & (np.abs(xyz[:, 1] + 1.75) < 0.6)
                    & (xyz[:, 2] < 1.4)).sum())

    assert behind_car(bare) > 30 and behind_car(car) < 0.2 * behind_car(bare)
    assert abs(np.median(car.points[on_car, 3]) - WALL_INTENSITY) > 5
