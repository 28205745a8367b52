"""The shape library: every class and variant is a closed mesh that fits inside its box and touches every face
within the margin, at default and extreme sizes; walking meshes follow the gait; results are deterministic."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.classes import AGENT_CLASSES, SHAPE_VARIANTS, STATIC_PROPS
from anyscene.shapes import FAMILIES, MARGIN, default_variant, shape_mesh, walks
from anyscene.shapes.materials import MATERIAL_NAMES

CASES = [(cls, v) for cls, vs in SHAPE_VARIANTS.items() for v in vs]


def default_size(cls):
    return AGENT_CLASSES[cls].size if cls in AGENT_CLASSES else STATIC_PROPS[cls][1]


def sizes_of(cls):
    """The default size and the extremes: every axis halved, doubled, and stretched unevenly."""
    s = np.array(default_size(cls))
    return [s, s * 0.5, s * 2.0, s * [2.0, 0.5, 1.0], s * [0.5, 1.5, 2.0]]


def test_every_class_and_prop_has_a_family_and_variants():
    assert set(FAMILIES) == set(AGENT_CLASSES) | set(STATIC_PROPS) == set(SHAPE_VARIANTS)
    for cls in SHAPE_VARIANTS:
        assert default_variant(cls, 7) in SHAPE_VARIANTS[cls]
    assert default_variant("bicycle", 1) == "with_rider" and default_variant("bicycle", 1, parked=True) == "without_rider"


def _closed(mesh) -> bool:
    """Every directed edge is met once in the opposite direction: each part is a closed, consistently oriented
    surface."""
    e = np.concatenate([mesh.triangles[:, [0, 1]], mesh.triangles[:, [1, 2]], mesh.triangles[:, [2, 0]]])
    fwd = {tuple(x) for x in e}
    return len(fwd) == len(e) and all((b, a) in fwd for a, b in fwd)


@pytest.mark.parametrize("cls,variant", CASES)
def test_meshes_are_closed_and_fit_their_boxes(cls, variant):
    phases = [None, 0.0, 2.0] if walks(cls) else [None]
    for size in sizes_of(cls):
        for phase in phases:
            m = shape_mesh(cls, size, variant, instance=3, phase=phase, articulation=0.3)
            assert m.num_triangles > 0 and _closed(m)
            half = size / 2
            # Inside the box, and touching each of its six faces within the margin (1-3 cm at sizes where the
            # margin fits; the margin shrinks to a quarter of a very thin box).
            margin = np.minimum(MARGIN, size / 4)
            lo, hi = m.bounds()
            np.testing.assert_allclose(hi, half - margin, atol=1e-9)
            np.testing.assert_allclose(lo, -half + margin, atol=1e-9)
            assert np.all(np.abs(m.vertices) <= half - np.minimum(0.01, size / 4) + 1e-9)
            assert np.all(margin <= 0.03)
            # Outward normals: each part's centroid lies behind all its faces.
            n, d, starts = m.planes()
            ends = np.r_[starts[1:], m.num_triangles]
            for a, b in zip(starts, ends):
                cen = m.vertices[np.unique(m.triangles[a:b])].mean(axis=0)
                assert np.all(n[a:b] @ cen - d[a:b] < 1e-9)
            assert m.material.max() < len(MATERIAL_NAMES)


def test_rays_meet_front_faces_only():
    """Rays cast from outside at the meshes see only faces turned towards them (the meshes are closed wherever a
    ray can reach them)."""
    import open3d as o3d

    rng = np.random.default_rng(0)
    for cls, variant in CASES:
        size = np.array(default_size(cls))
        m = shape_mesh(cls, size, variant)
        scene = o3d.t.geometry.RaycastingScene()
        scene.add_triangles(o3d.core.Tensor(m.vertices.astype(np.float32)), o3d.core.Tensor(m.triangles.astype(np.uint32)))
        d = rng.normal(size=(4000, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        target = rng.uniform(-0.5, 0.5, (4000, 3)) * size
        origin = target - d * (np.linalg.norm(size) + 1.0)
        out = scene.cast_rays(o3d.core.Tensor(np.c_[origin, d].astype(np.float32)))
        hit = np.isfinite(out["t_hit"].numpy())
        assert hit.sum() > 100, cls
        tri = out["primitive_ids"].numpy()[hit]
        facing = np.einsum("ij,ij->i", m.normals[tri], d[hit])
        assert np.all(facing < 1e-6), (cls, variant)


def test_walking_meshes_change_with_the_gait_and_standing_ones_do_not():
    size = AGENT_CLASSES["pedestrian"].size
    a = shape_mesh("pedestrian", size, "casual", phase=0.5)
    b = shape_mesh("pedestrian", size, "casual", phase=2.0)
    assert a.vertices.shape == b.vertices.shape and not np.allclose(a.vertices, b.vertices)
    s1 = shape_mesh("pedestrian", size, "casual", phase=None)
    s2 = shape_mesh("pedestrian", size, "casual", phase=None)
    assert np.array_equal(s1.vertices, s2.vertices)
    # Rigid classes ignore the phase.
    assert shape_mesh("car", (4.6, 1.9, 1.7), "sedan", phase=1.0) is shape_mesh("car", (4.6, 1.9, 1.7), "sedan")


def test_articulated_bus_bends():
    size = AGENT_CLASSES["bendy_bus"].size
    straight = shape_mesh("bendy_bus", size, articulation=0.0)
    bent = shape_mesh("bendy_bus", size, articulation=0.3)
    assert not np.allclose(straight.vertices, bent.vertices)


def test_deterministic_and_instance_dependent():
    size = (4.6, 1.9, 1.7)
    from anyscene.shapes import _cached

    a = shape_mesh("car", size, "sedan", instance=1)
    _cached.cache_clear()
    b = shape_mesh("car", size, "sedan", instance=1)
    assert a is not b and a.vertices.tobytes() == b.vertices.tobytes()
    c = shape_mesh("car", size, "sedan", instance=2)
    assert c.vertices.tobytes() != a.vertices.tobytes()


def test_contains_agrees_with_ray_parity():
    """`contains` (inside any convex part's face planes) matches an independent inside test: open3d's ray-parity
    occupancy of each closed part on its own (parts overlap, so the parity of the union is not used)."""
    import open3d as o3d

    m = shape_mesh("car", (4.6, 1.9, 1.7), "suv")
    rng = np.random.default_rng(1)
    pts = rng.uniform(-0.5, 0.5, (3000, 3)) * (4.6, 1.9, 1.7)
    inside = m.contains(pts)
    assert 0.2 < inside.mean() < 0.9
    occ = np.zeros(len(pts), bool)
    for p in np.unique(m.part):
        tri = m.triangles[m.part == p]
        scene = o3d.t.geometry.RaycastingScene()
        scene.add_triangles(o3d.core.Tensor(m.vertices.astype(np.float32)), o3d.core.Tensor(tri.astype(np.uint32)))
        occ |= scene.compute_occupancy(o3d.core.Tensor(pts.astype(np.float32)), nsamples=3).numpy() > 0.5
    assert (occ == inside).mean() > 0.998


def test_unknown_variant_is_an_error():
    with pytest.raises(ValueError, match="one of sedan"):
        shape_mesh("car", (4.6, 1.9, 1.7), "limousine")
