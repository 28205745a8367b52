"""Cameras and LiDAR on a plain occupancy grid (no layout), e.g. Occ3D labels."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from anyscene.classes import FREE, OCC3D_ID
from anyscene.sensors import VoxelScene, load_rig, render_camera, sweep_lidar
from anyscene.sensors.rig import look_rotation
from anyscene.sensors.types import Camera
from anyscene.world import EgoPose, GridSpec
from sensor_scenes import small_scene, small_world

REFERENCE = Path("/work/shared/reference/occ3d_labels_sample.npz")


def _grid_with_block():
    """Ground (driveable) in layer k = 2 and a car-class block at x ∈ [10, 12), y ∈ [-0.8, 0.8), z ∈ [0.2, 1.8)."""
    grid = GridSpec()
    sem = np.full(grid.shape, FREE, np.uint8)
    sem[:, :, grid.ground_layer] = OCC3D_ID["driveable_surface"]
    i0 = int(round((10 - grid.x_min) / grid.voxel))
    j0 = int(round((-0.8 - grid.y_min) / grid.voxel))
    sem[i0:i0 + 5, j0:j0 + 4, 3:7] = OCC3D_ID["car"]
    inst = np.zeros(grid.shape, np.uint16)
    inst[i0:i0 + 5, j0:j0 + 4, 3:7] = 7
    return grid, sem, inst


def _forward_camera(width=96, height=64):
    k = np.array([[80.0, 0, width / 2], [0, 80.0, height / 2], [0, 0, 1]])
    return Camera("CAM_TEST", width, height, k, np.array([0.0, 0.0, 1.0]), look_rotation(0.0, 0.0))


def test_camera_sees_a_known_voxel():
    grid, sem, inst = _grid_with_block()
    scene = VoxelScene.from_grid(sem, grid, instances=inst)
    cam = _forward_camera()
    f = render_camera(scene, cam, scene.ego, 0.0)
    v, u = cam.height // 2, cam.width // 2  # the pixel just below-right of the optical axis
    assert f.semantic[v, u] == OCC3D_ID["car"] and f.instance[v, u] == 7
    assert abs(f.depth[v, u] - 10.0) < 1e-4  # the block's front face at x = 10, camera at x = 0
    np.testing.assert_allclose(f.normal[v, u], [-1, 0, 0], atol=1e-6)
    # Bottom rows see the ground layer's top face (z = 0.2): depth = (1.0 - 0.2) / tan(angle below the axis).
    vb = cam.height - 1
    assert f.semantic[vb, 0] == OCC3D_ID["driveable_surface"] and f.instance[vb, 0] == 0
    expected = 0.8 * 80.0 / (vb + 0.5 - cam.height / 2)
    assert abs(f.depth[vb, 0] - expected) < 1e-4
    assert np.all(f.semantic[0] == FREE)  # the top row looks over the grid: sky


def test_ego_pose_places_the_grid():
    grid, sem, _ = _grid_with_block()
    pose = EgoPose(0.0, np.array([100.0, -50.0, 0.0]), np.pi / 2, np.zeros(2))
    scene = VoxelScene.from_grid(sem, grid, ego=pose)
    f = render_camera(scene, _forward_camera(), pose, 0.0)
    ref = render_camera(VoxelScene.from_grid(sem, grid), _forward_camera(), VoxelScene.from_grid(sem, grid).ego, 0.0)
    np.testing.assert_array_equal(f.semantic, ref.semantic)
    np.testing.assert_allclose(f.depth, ref.depth, atol=1e-3)


def test_occupancy_frame_renders_like_the_world():
    """A camera on the voxelised frame sees mostly what it sees in the exact world."""
    world = small_world()
    frame = world.frame(1.0)
    cam = load_rig("nuscenes", (200, 112)).camera("CAM_FRONT")
    vox = render_camera(VoxelScene.from_grid(frame.semantics, frame.grid, frame.instances, frame.ego), cam,
                        frame.ego, 1.0)
    exact = render_camera(small_scene(), cam, frame.ego, 1.0)
    both = (vox.semantic != FREE) & (exact.semantic != FREE)
    assert (vox.semantic[both] == exact.semantic[both]).mean() > 0.9


def test_real_occ3d_labels_render_and_sweep():
    with np.load(REFERENCE) as z:
        sem = z["semantics"]
    from anyscene.world import load_grid

    grid = load_grid("occ3d_aligned")  # the real labels' vertical alignment
    scene = VoxelScene.from_grid(sem, grid)
    rig = load_rig("nuscenes", (160, 90))
    f = render_camera(scene, rig.camera("CAM_FRONT"), scene.ego, 0.0)
    seen = set(np.unique(f.semantic)) - {FREE}
    assert OCC3D_ID["driveable_surface"] in seen and len(seen) >= 3 and np.all(f.instance == 0)
    s = sweep_lidar(scene, rig.lidar, None, 0.0, ego=scene.ego)
    assert s.points.shape[0] > 10_000
    assert set(np.unique(s.occ3d)) <= set(np.unique(sem)) - {FREE}
