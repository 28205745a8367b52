"""Occ3D visibility masks and per-agent visibility."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.classes import FREE
from anyscene.sensors import (VoxelScene, agent_visibility, load_rig, occupancy_masks, project, render_cameras,
                              sweep_lidar, sweep_to_world)
from anyscene.sensors.camera import pixel_rays
from anyscene.sensors.visibility import camera_mask, camera_mask_stride, points_in_box, visibility_level
from sensor_scenes import WALL_LAYOUT, WALL_X, scene_of, small_scene, small_world, world_of

RIG = load_rig("nuscenes", (400, 225))


@pytest.fixture(scope="module")
def wall_masks():
    world, scene = world_of(WALL_LAYOUT), scene_of(WALL_LAYOUT)
    frame = world.frame(0.0)
    return frame, occupancy_masks(frame, world, RIG, 0.0, scene)


def test_masks_are_binary_uint8(wall_masks):
    frame, (mask_lidar, mask_camera) = wall_masks
    for m in (mask_lidar, mask_camera):
        assert m.dtype == np.uint8 and m.shape == frame.grid.shape
        assert set(np.unique(m)) == {0, 1}


def test_nothing_behind_a_wall_is_seen(wall_masks):
    """The wall covers the grid's whole width and rises above it: voxels beyond it are hidden from every
    camera and from the LiDAR, voxels in front of it are seen."""
    frame, (mask_lidar, mask_camera) = wall_masks
    xs = frame.grid.centers(0)
    behind = xs > WALL_X + 1.0 + frame.grid.voxel
    assert frame.semantics[behind].size and not mask_camera[behind].any() and not mask_lidar[behind].any()
    wall = frame.semantics != FREE
    assert mask_camera[(xs > 5) & (xs < WALL_X - 1)].mean() > 0.5
    # the wall's near face is seen by the front camera and hit by the LiDAR
    face = np.zeros_like(wall)
    face[np.argmax(wall[:, 100, 8]), 90:110, 4:12] = True
    assert mask_camera[face].all() and mask_lidar[face].mean() > 0.5


def test_first_hit_voxels_of_cast_pixels_are_in_the_camera_mask():
    """For every pixel the mask casts, the first occupied voxel along its ray (found independently by ray
    casting the voxel faces with a BVH) is in mask_camera, as is the free voxel halfway to it. Hits within
    1 mm of a voxel edge are left out: which of the voxels sharing that edge comes first is a matter of
    rounding."""
    world = small_world()
    frame = world.frame(1.0)
    grid = frame.grid
    mask = camera_mask(frame, RIG.cameras)
    faces = VoxelScene.from_grid(frame.semantics, grid)  # the grid's frame is this scene's world frame
    lo = np.array([grid.x_min, grid.y_min, grid.z_min])
    checked = ambiguous = 0
    for cam in RIG.cameras:
        s = camera_mask_stride(cam, grid.voxel)
        assert s == max(1, int(cam.intrinsic[0, 0] * grid.voxel / 40))
        u, v = np.meshgrid(np.arange(s // 2, cam.width, s), np.arange(s // 2, cam.height, s))
        rays = pixel_rays(cam, faces.ego, u.ravel(), v.ravel())  # ego-frame rays
        hits = faces.snapshot(0.0).cast(rays)
        ok = np.isfinite(hits.distance)
        o, d, t, n = rays[ok, :3], rays[ok, 3:], hits.distance[ok][:, None], hits.normal[ok]
        frac = (hits.points[ok] - lo) / grid.voxel
        near_edge = (np.abs(frac - np.round(frac)) * grid.voxel < 1e-3) & (np.abs(n) < 0.5)
        clear = ~near_edge.any(axis=1)
        first = grid.index_of(o + (t + 1e-3) * d)
        halfway = grid.index_of(o + 0.5 * t * d)
        for ijk, occupied in ((first, True), (halfway, False)):
            inside = clear & np.all((ijk >= 0) & (ijk < np.array(grid.shape)), axis=1)
            idx = tuple(ijk[inside].T)
            assert np.all((frame.semantics[idx] != FREE) == occupied)
            assert mask[idx].all(), cam.channel
            checked += int(inside.sum())
        ambiguous += int((~clear).sum())
    assert checked > 20_000 and ambiguous < 0.005 * checked


def test_lidar_mask_holds_the_hit_voxels():
    world, scene = small_world(), small_scene()
    frame = world.frame(2.0)
    mask_lidar, _ = occupancy_masks(frame, world, RIG, 2.0, scene)
    s = sweep_lidar(scene, RIG.lidar, world, 2.0)
    ego_pts = frame.ego.to_ego(sweep_to_world(s))
    ijk = frame.grid.index_of(ego_pts)
    inside = np.all((ijk >= 0) & (ijk < np.array(frame.grid.shape)), axis=1)
    assert inside.sum() > 10_000
    # A return on a face shared by two voxels may mark either side: allow a sliver.
    assert mask_lidar[tuple(ijk[inside].T)].mean() > 0.99
    more, _ = occupancy_masks(frame, world, RIG, 2.0, scene, lidar_sweeps=3)
    assert np.all(more >= mask_lidar) and more.sum() > mask_lidar.sum()


def test_visibility_levels():
    assert [visibility_level(f) for f in (0.0, 0.39, 0.4, 0.59, 0.6, 0.79, 0.8, 1.0)] == [1, 1, 2, 2, 3, 3, 4, 4]


OCCLUSION_LAYOUT = """\
name: occlusion
duration: 2
map:
  ground: other_flat
  props:
    - {id: front_car, class: car, xy: [12, 0], yaw: 1.5708}
    - {id: hidden_truck, class: truck, xy: [22, 0], yaw: 1.5708}
    - {id: side_car, class: car, xy: [14, 9], yaw: 0.0}
    - {id: behind_wall_ped, class: pedestrian, xy: [31, 0]}
  buildings:
    - {id: wall, footprint: [[28, -20], [29, -20], [29, 20], [28, 20]], height: 8}
"""


def test_agent_visibility_with_occlusion():
    world, scene = world_of(OCCLUSION_LAYOUT), scene_of(OCCLUSION_LAYOUT)
    st = world.states(0.0)
    frames = render_cameras(scene, RIG, world, 0.0)
    sweep = sweep_lidar(scene, RIG.lidar, world, 0.0)
    vis = agent_visibility(world, st, frames, sweep)
    ids = {tr.id: tr.instance for tr in world.agents}
    front, truck, side, ped = (vis[ids[k]] for k in ("front_car", "hidden_truck", "side_car", "behind_wall_ped"))
    assert front.visible_fraction == 1.0 and front.level == 4
    assert side.visible_fraction == 1.0 and side.level == 4
    assert 0.0 < truck.visible_fraction < 0.6 and truck.level in (1, 2)  # only its top shows over the car
    assert ped.visible_fraction == 0.0 and ped.level == 1 and ped.num_lidar_pts == 0
    # The same with the rig passed explicitly and the frames as a list.
    again = agent_visibility(world, st, list(frames.values()), sweep, rig=RIG)
    assert again == vis
    # num_lidar_pts counts the points in the box: all of the agent's labelled points (its shape lies inside its
    # box), plus whatever else its box holds (the ground under a car between its wheels).
    pts = sweep_to_world(sweep)
    for inst, v in vis.items():
        a = int(np.flatnonzero(st.instance == inst)[0])
        assert v.num_lidar_pts == int(points_in_box(pts, st.center[a], st.size[a], st.yaw[a]).sum())
        mine = sweep.instance == inst
        assert points_in_box(pts[mine], st.center[a], st.size[a], st.yaw[a], margin=0.0).all()
        assert v.num_lidar_pts >= int(mine.sum())
    assert front.num_lidar_pts > 100 and side.num_lidar_pts > 50


def test_agent_visibility_on_the_small_crossing():
    world, scene = small_world(), small_scene()
    t = 1.0
    st = world.states(t)
    frames = render_cameras(scene, RIG, world, t)
    sweep = sweep_lidar(scene, RIG.lidar, world, t)
    vis = agent_visibility(world, st, frames, sweep)
    assert set(vis) == set(int(i) for i in st.instance[st.present])
    for inst, v in vis.items():
        assert 0.0 <= v.visible_fraction <= 1.0 and v.level == visibility_level(v.visible_fraction)
        # A shape leaves parts of its box to whatever is behind or below them, and a moving agent's points are
        # where it was at their firing times: its points inside its box at t are among those counted.
        a = int(np.flatnonzero(st.instance == inst)[0])
        mine = sweep_to_world(sweep)[sweep.instance == inst]
        assert v.num_lidar_pts >= int(points_in_box(mine, st.center[a], st.size[a], st.yaw[a]).sum())


def test_silhouette_pixel_count_equals_ray_casting():
    """The unoccluded pixel count from the clipped, projected convex mesh equals casting every pixel's ray at
    the agent alone, also for a car beside the ego that reaches behind the front cameras' image planes."""
    from anyscene.sensors.raycast import _Layer, world_agent_mesh
    from anyscene.sensors.camera import image_rays
    from anyscene.sensors.visibility import _unoccluded_pixels

    text = ("name: beside\nduration: 2\nmap:\n  ground: other_flat\n  props:\n"
            "    - {id: beside, class: car, xy: [1.0, 3.0]}\n    - {id: cone, class: traffic_cone, xy: [6, -2]}\n"
            "    - {id: ped, class: pedestrian, xy: [-5, 1.5]}\n")
    world = world_of(text)
    st, ego = world.states(0.0), world.ego_pose(0.0)
    rig = load_rig("nuscenes", (200, 112))
    compared = 0
    for a in range(len(world.agents)):
        mesh = world_agent_mesh(world, st, [a])
        for cam in rig.cameras:
            t_hit, _, _ = _Layer(mesh).cast(image_rays(cam, ego).reshape(-1, 6))
            cast = int(np.isfinite(t_hit).sum())
            assert abs(_unoccluded_pixels(mesh, cam, ego) - cast) <= max(2, 0.002 * cast), (a, cam.channel)
            compared += cast > 0
            if a == 0 and cam.channel == "CAM_FRONT_LEFT":  # the car reaches behind this camera's image plane
                _, z = project(cam, ego, mesh.vertices.astype(np.float64))
                assert z.min() < 0 < z.max() and cast > 1000
    assert compared >= 4
