"""Static props are shapes that every sensor sees the same way: a pole shadows the LiDAR's view and shows in the
ray-cast and GL camera maps, the radar and the occupancy; a tree's crown returns part of the beams that cross
it and lets the others through."""
from __future__ import annotations

import numpy as np
import pytest
from sensor_scenes import scene_of, world_of

from anyscene.classes import LIDARSEG_INDEX, OCC3D_ID

WALL = "    - {id: wall, footprint: [[20, -60], [21, -60], [21, 60], [20, 60]], height: 10}\n"
POLE_XY = (6.0, 0.0)
TREE_XY = (8.0, -8.0)
TREE_SIZE = (3.0, 3.0, 3.5)
BASE = "name: props\nduration: 2\nmap:\n  ground: other_flat\n  buildings:\n" + WALL
PROPS = BASE + (
    "  props:\n"
    f"    - {{id: pole_1, class: pole, xy: [{POLE_XY[0]}, {POLE_XY[1]}], shape: plain}}\n"
    f"    - {{id: tree_1, class: tree, xy: [{TREE_XY[0]}, {TREE_XY[1]}], size: [3.0, 3.0, 3.5], shape: round}}\n")


def _lidar():
    from anyscene.sensors.rig import load_rig

    return load_rig("nuscenes").lidar


def _sweep(text):
    from anyscene.sensors.lidar import EXACT, sweep_lidar, sweep_to_world

    world = world_of(text)
    s = sweep_lidar(scene_of(text), _lidar(), world, 0.0, realism=EXACT)
    return s, sweep_to_world(s)


def test_pole_casts_a_shadow_in_the_point_cloud():
    # Ground points straight behind the pole (as seen from the sensor) exist without it and vanish with it.
    sensor_xy = np.array([0.9437, 0.0])
    behind = []
    for text in (BASE, PROPS):
        s, p = _sweep(text)
        rel = p[:, :2] - sensor_xy
        az = np.arctan2(rel[:, 1], rel[:, 0])
        rng = np.hypot(rel[:, 0], rel[:, 1])
        shadow = (np.abs(az) < 0.01) & (rng > POLE_XY[0] + 0.5) & (rng < 19.0)
        ground = s.occ3d == OCC3D_ID["other_flat"]
        behind.append(int((shadow & ground).sum()))
        if text is PROPS:
            on_pole = (np.abs(az) < 0.03) & (np.abs(rng - (POLE_XY[0] - sensor_xy[0])) < 0.3) & (p[:, 2] > 0.2)
            assert on_pole.sum() > 20
            assert np.all(s.occ3d[on_pole] == OCC3D_ID["manmade"])
            assert np.all(s.lidarseg[on_pole] == LIDARSEG_INDEX["static.manmade"])
            assert np.all(s.instance[on_pole] == 0)
    assert behind[0] > 10 and behind[1] == 0, behind


def _crown_crossings(rays):
    """Per ray: the distance at which it enters and leaves the tree's crown ellipsoid shrunk to 80 % (nan where
    it misses it)."""
    L, W, H = TREE_SIZE  # the crown's proportions as anyscene.shapes.props.build_tree places it
    c = np.array([TREE_XY[0], TREE_XY[1], 0.7 * H])
    r = 0.8 * np.array([0.5 * L, 0.5 * W, 0.3 * H])
    o = (rays[:, :3] - c) / r
    d = rays[:, 3:] / r
    a, b, cc = (d * d).sum(1), 2 * (o * d).sum(1), (o * o).sum(1) - 1
    disc = b * b - 4 * a * cc
    with np.errstate(invalid="ignore"):
        t0, t1 = (-b - np.sqrt(disc)) / (2 * a), (-b + np.sqrt(disc)) / (2 * a)
    miss = ~(disc > 0) | (t0 < 0)
    t0[miss] = t1[miss] = np.nan
    return t0, t1


def test_tree_crown_returns_some_beams_and_lets_others_through():
    from anyscene.sensors.lidar import lidar_rays
    from anyscene.sensors.raycast import identity_pose

    rays = lidar_rays(_lidar(), identity_pose())
    hits = scene_of(PROPS).snapshot(0.0).cast(rays)
    t_in, t_out = _crown_crossings(rays.astype(np.float64))
    crossing = np.flatnonzero(np.isfinite(t_in))
    assert crossing.size > 200
    veg = hits.occ3d[crossing] == OCC3D_ID["vegetation"]
    stopped = veg & (hits.distance[crossing] <= t_out[crossing])
    frac = stopped.mean()
    assert 0.2 < frac < 0.8, frac
    # The beams the crown lets through reach the wall or the ground behind it.
    through = crossing[~veg]
    assert through.size > 0.1 * crossing.size
    assert np.isin(hits.occ3d[through], [OCC3D_ID["manmade"], OCC3D_ID["other_flat"]]).all()
    assert np.all(hits.distance[through] > t_out[through])
    # The same in the LiDAR's output: vegetation points, labelled static.vegetation.
    s, _ = _sweep(PROPS)
    v = s.occ3d == OCC3D_ID["vegetation"]
    assert v.sum() > 50 and np.all(s.lidarseg[v] == LIDARSEG_INDEX["static.vegetation"])


def test_tree_crown_is_deterministic_per_seed():
    from anyscene.shapes import shape_mesh

    a = shape_mesh("tree", TREE_SIZE, "round", instance=2, seed=5)
    b = shape_mesh("tree", TREE_SIZE, "round", instance=2, seed=5)
    c = shape_mesh("tree", TREE_SIZE, "round", instance=2, seed=6)
    assert np.array_equal(a.vertices, b.vertices)
    assert a.vertices.shape != c.vertices.shape or not np.array_equal(a.vertices, c.vertices)


def _pole_pixel(cam):
    """Pixel (u, v) and camera depth of a point on the pole's axis 2 m above the ground."""
    p = np.array([POLE_XY[0], POLE_XY[1], 2.0, 1.0])
    x, y, z = (np.linalg.inv(cam.cam2ego) @ p)[:3]
    k = cam.intrinsic
    return int(k[0, 0] * x / z + k[0, 2]), int(k[1, 1] * y / z + k[1, 2]), z


def test_pole_shows_in_the_camera_maps_ray_cast_and_gl():
    from anyscene.sensors.camera import render_camera
    from anyscene.sensors.rig import load_rig

    world, scene = world_of(PROPS), scene_of(PROPS)
    cam = next(c for c in load_rig("nuscenes", (320, 180)).cameras if c.channel == "CAM_FRONT")
    ego = world.ego_pose(0.0)
    u, v, z = _pole_pixel(cam)
    frames = [render_camera(scene, cam, ego, 0.0)]
    try:
        from anyscene.sensors.gl import GLWorldCameras, create_context

        frames.append(GLWorldCameras(scene, create_context()).render(cam, ego, 0.0))
    except RuntimeError:  # no EGL here: the ray-cast maps are still checked
        pass
    for f in frames:
        assert f.semantic[v, u] == OCC3D_ID["manmade"] and f.instance[v, u] == 0
        assert abs(float(f.depth[v, u]) - z) < 0.3


def test_pole_shows_in_the_radar_and_the_occupancy():
    from anyscene.sensors.radar import radar_rays
    from anyscene.sensors.rig import load_rig

    world, scene = world_of(PROPS), scene_of(PROPS)
    radar = next(r for r in load_rig("nuscenes").radars if r.channel == "RADAR_FRONT")
    rays, _ = radar_rays(radar, world.ego_pose(0.0))
    hits = scene.snapshot(0.0).cast(rays)
    on = hits.occ3d == OCC3D_ID["manmade"]
    assert on.any() and np.all(np.abs(hits.points[on & (hits.distance < 10), 0] - POLE_XY[0]) < 0.3)
    frame = world.frame(0.0)
    g = frame.grid
    i = int((POLE_XY[0] - g.x_min) // g.voxel)
    j = int((POLE_XY[1] - g.y_min) // g.voxel)
    column = frame.semantics[i, j]
    k_lo, k_hi = int((0.5 - g.z_min) // g.voxel), int((5.0 - g.z_min) // g.voxel)
    assert np.all(column[k_lo:k_hi] == OCC3D_ID["manmade"])
    ti = int((TREE_XY[0] - g.x_min) // g.voxel)
    tj = int((TREE_XY[1] - g.y_min) // g.voxel)
    k0, k1 = int((1.6 - g.z_min) // g.voxel), int((3.3 - g.z_min) // g.voxel)
    crown = frame.semantics[ti - 3:ti + 4, tj - 3:tj + 4, k0:k1]
    veg = (crown == OCC3D_ID["vegetation"]).mean()
    assert 0.1 < veg < 0.95, veg  # leaf clusters and the gaps between them


@pytest.mark.parametrize("cls", ["traffic_light", "bush", "bollard", "sign", "bench", "hydrant"])
def test_every_static_prop_class_is_a_labelled_shape(cls):
    from anyscene.classes import STATIC_PROPS

    text = BASE + f"  props:\n    - {{id: p, class: {cls}, xy: [5.0, 0.0]}}\n"
    world = world_of(text)
    (prop,) = world.props
    assert prop.occ3d == OCC3D_ID[STATIC_PROPS[cls][0]]
    mesh = scene_of(text).static.mesh
    corners = mesh.vertices[mesh.triangles]  # (T, 3, 3)
    near = np.all(np.hypot(corners[..., 0] - 5.0, corners[..., 1]) < 2.0, axis=1)
    assert near.sum() == prop.mesh.num_triangles
    assert np.all(mesh.occ3d[near] == prop.occ3d) and np.all(mesh.instance[near] == 0)
