"""Meshes: raster structures, agent shapes and voxel faces as labelled triangles."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.classes import FREE, OCC3D_ID
from anyscene.sensors.meshes import TEMPLATES, agent_mesh, merge_rectangles, structure_mesh, voxel_mesh
from anyscene.sensors.raycast import SceneSnapshot, _Layer
from anyscene.world import GridSpec
from anyscene.world.static import StaticMap
from anyscene.world.voxelize import shape_contains


def test_merge_rectangles_covers_exactly_the_mask():
    rng = np.random.default_rng(3)
    mask = rng.random((3, 17, 23)) < 0.6
    key = rng.integers(0, 3, mask.shape)
    a, b0, b1, c0, c1, k = merge_rectangles(mask, [key])
    cover = np.zeros(mask.shape, int)
    for ai, bb0, bb1, cc0, cc1, kk in zip(a, b0, b1, c0, c1, k):
        cover[ai, bb0:bb1, cc0:cc1] += 1
        assert np.all(key[ai, bb0:bb1, cc0:cc1] == kk)
    np.testing.assert_array_equal(cover, mask.astype(int))
    assert len(a) < mask.sum()  # runs were merged


def _static_map():
    """A 10 m × 10 m raster (0.1 m) with a 12 m building, a 3 m block touching it and a 1 m hedge."""
    n = 100
    cls = np.full((n, n), FREE, np.uint8)
    top = np.zeros((n, n), np.float32)
    cls[20:50, 20:60], top[20:50, 20:60] = OCC3D_ID["manmade"], 12.0
    cls[50:70, 30:40], top[50:70, 30:40] = OCC3D_ID["manmade"], 3.0
    cls[80:82, 5:95], top[80:82, 5:95] = OCC3D_ID["vegetation"], 1.0
    ground = np.full((n, n), OCC3D_ID["terrain"], np.uint8)
    return StaticMap(0.0, 0.0, 0.1, ground, cls, top)


def test_structure_mesh_reproduces_the_raster_columns():
    st = _static_map()
    mesh = structure_mesh(st)
    assert mesh.num_triangles < 60  # merged into a few quads
    snap = SceneSnapshot(_Layer(mesh), None, None)
    xs = (np.arange(100) + 0.5) * 0.1
    gx, gy = np.meshgrid(xs, xs, indexing="ij")
    # Straight down onto every cell centre: the top height and class of the column.
    rays = np.zeros((gx.size, 6), np.float32)
    rays[:, 0], rays[:, 1], rays[:, 2], rays[:, 5] = gx.ravel(), gy.ravel(), 50.0, -1.0
    hits = snap.cast(rays)
    raised = st.struct_cls.ravel() != FREE
    np.testing.assert_allclose(50.0 - hits.distance[raised], st.struct_top.ravel()[raised], atol=1e-4)
    np.testing.assert_array_equal(hits.occ3d[raised], st.struct_cls.ravel()[raised])
    assert np.all(np.isinf(hits.distance[~raised]))
    np.testing.assert_allclose(hits.normal[raised], np.tile([0, 0, 1], (raised.sum(), 1)))
    # Along +x at 2 m height on the row y = 3.55: the building's wall at x = 2.0, facing -x.
    ray = np.array([[0.05, 3.55, 2.0, 1.0, 0.0, 0.0]], np.float32)
    h = snap.cast(ray)
    assert abs(h.distance[0] - 1.95) < 1e-5 and h.occ3d[0] == OCC3D_ID["manmade"]
    np.testing.assert_allclose(h.normal[0], [-1, 0, 0])
    # Along -x at 2 m height on the row y = 3.55 from x = 9: the block's far wall at x = 7.0 (it is 3 m tall).
    ray = np.array([[9.0, 3.55, 2.0, -1.0, 0.0, 0.0]], np.float32)
    assert abs(snap.cast(ray).distance[0] - 2.0) < 1e-5
    # Above the block (z = 5) the ray reaches the building's wall at x = 5.0.
    ray = np.array([[9.0, 3.55, 5.0, -1.0, 0.0, 0.0]], np.float32)
    assert abs(snap.cast(ray).distance[0] - 4.0) < 1e-5


@pytest.mark.parametrize("shape", ["box", "cylinder", "cone"])
def test_agent_meshes_lie_in_their_shapes(shape):
    size = np.array([[4.0, 2.0, 1.5]])
    center = np.array([[3.0, -2.0, 0.75]])
    yaw = np.array([0.7])
    mesh = agent_mesh(center, size, yaw, [shape], np.array([4]), np.array([9]))
    assert mesh.num_triangles == TEMPLATES[shape][0].shape[0]
    assert np.all(mesh.instance == 9) and np.all(mesh.occ3d == 4)
    d = mesh.vertices.astype(np.float64) - center
    c, s = np.cos(yaw[0]), np.sin(yaw[0])
    local = np.stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1], d[:, 2]], axis=1)
    # vertices lie on the shape's surface: inside a 1 mm larger shape
    assert shape_contains(shape, local, size[0] + 2e-3).all()
    # outward normals: from the shape's centre towards each face
    tri = mesh.vertices[mesh.triangles].mean(axis=1) - center
    assert np.all(np.sum(tri * mesh.normal, axis=1) > 0)
    np.testing.assert_allclose(np.linalg.norm(mesh.normal, axis=1), 1.0, atol=1e-5)


def test_single_agent_mesh_is_bit_identical_inside_a_crowd():
    rng = np.random.default_rng(1)
    n = 5
    args = (rng.uniform(-10, 10, (n, 3)), rng.uniform(0.5, 4, (n, 3)), rng.uniform(-3, 3, n),
            ["box", "cylinder", "cone", "box", "cylinder"], np.arange(n), np.arange(1, n + 1))
    crowd = agent_mesh(*args)
    for i in range(n):
        one = agent_mesh(*(a[i:i + 1] if isinstance(a, np.ndarray) else a[i:i + 1] for a in args))
        np.testing.assert_array_equal(one.vertices, crowd.vertices[np.repeat(crowd.instance == i + 1, 3)])


def test_voxel_mesh_faces():
    grid = GridSpec(x_min=0, y_min=0, z_min=0, voxel=0.5, nx=4, ny=4, nz=4)
    sem = np.full(grid.shape, FREE, np.uint8)
    sem[1, 1, 1] = 4
    mesh = voxel_mesh(sem, grid)
    assert mesh.num_triangles == 12 and np.all(mesh.occ3d == 4)
    np.testing.assert_allclose(mesh.vertices.min(axis=0), [0.5, 0.5, 0.5])
    np.testing.assert_allclose(mesh.vertices.max(axis=0), [1.0, 1.0, 1.0])
    sem[1:3, 1, 1] = 4  # two voxels: 10 exposed faces, merged into 6 rectangles
    assert voxel_mesh(sem, grid).num_triangles == 12
    sem[2, 1, 1] = 5  # different classes are not merged
    assert voxel_mesh(sem, grid).num_triangles == 20
