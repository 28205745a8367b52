"""Triangle meshes of what the sensors see: the static raster's raised structure, agent shapes posed at a time,
and the exposed faces of an occupancy grid. Pure numpy; every mesh carries per-triangle labels.

Flat faces of rasters and grids are merged into rectangles (runs along one axis, then equal runs across the
next) so that a building of a few hundred cells is a handful of quads, not thousands.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..classes import FREE

GROUND_LOOKUP = 255  # per-triangle class meaning "look the class up in the static ground raster at the hit"
CYLINDER_SEGMENTS = 32  # polygon sides of cylinders and cones (inscribed: every hit lies inside the shape)


@dataclass(frozen=True)
class TriangleMesh:
    """T triangles over V vertices with labels.

    vertices (V, 3) float32 m; triangles (T, 3) uint32 vertex indices; occ3d (T,) uint8 Occ3D class of each
    triangle (GROUND_LOOKUP: from the ground raster at the hit); instance (T,) uint16 (0 for stuff); normal
    (T, 3) float32 outward unit face normals; vertex_normal (T, 3, 3) float32 per-corner normals for smooth
    shading of curved shapes, or None where every face is flat; material (T,) uint8 surface material ids
    (anyscene.shapes.materials; None: all "default", the class's own material). Recorded surfaces (a
    reconstructed background) also carry `colour` (T, 3, 4) uint8, the sRGB colour seen by the recording's
    cameras at each corner, alpha 255 where recorded (0 elsewhere), and `intensity` (T,) float32, the recorded
    LiDAR intensity (nan where none); both None when no triangle is recorded. `transmit` (T,) float32 is the
    share of LiDAR beams that pass through each triangle (a porous recorded surface), None where all are solid.
    """

    vertices: np.ndarray
    triangles: np.ndarray
    occ3d: np.ndarray
    instance: np.ndarray
    normal: np.ndarray
    vertex_normal: np.ndarray | None = None
    material: np.ndarray | None = None
    colour: np.ndarray | None = None
    intensity: np.ndarray | None = None
    transmit: np.ndarray | None = None

    @property
    def num_triangles(self) -> int:
        return int(self.triangles.shape[0])

    @staticmethod
    def empty() -> "TriangleMesh":
        return TriangleMesh(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint32), np.zeros(0, np.uint8),
                            np.zeros(0, np.uint16), np.zeros((0, 3), np.float32))


def concat_meshes(meshes: list[TriangleMesh]) -> TriangleMesh:
    """One mesh holding all triangles, in order."""
    meshes = [m for m in meshes if m.num_triangles]
    if not meshes:
        return TriangleMesh.empty()
    offs = np.cumsum([0] + [m.vertices.shape[0] for m in meshes[:-1]])
    smooth = any(m.vertex_normal is not None for m in meshes)
    vn = None
    if smooth:
        vn = np.concatenate([m.vertex_normal if m.vertex_normal is not None
                             else np.repeat(m.normal[:, None, :], 3, axis=1) for m in meshes])
    mat = None
    if any(m.material is not None for m in meshes):
        mat = np.concatenate([m.material if m.material is not None else np.zeros(m.num_triangles, np.uint8)
                              for m in meshes])
    colour = intensity = None
    if any(m.colour is not None for m in meshes):
        colour = np.concatenate([m.colour if m.colour is not None else np.zeros((m.num_triangles, 3, 4), np.uint8)
                                 for m in meshes])
    if any(m.intensity is not None for m in meshes):
        intensity = np.concatenate([m.intensity if m.intensity is not None
                                    else np.full(m.num_triangles, np.nan, np.float32) for m in meshes])
    transmit = None
    if any(m.transmit is not None for m in meshes):
        transmit = np.concatenate([m.transmit if m.transmit is not None else np.zeros(m.num_triangles, np.float32)
                                   for m in meshes])
    return TriangleMesh(
        np.concatenate([m.vertices for m in meshes]),
        np.concatenate([m.triangles + np.uint32(o) for m, o in zip(meshes, offs)]),
        np.concatenate([m.occ3d for m in meshes]), np.concatenate([m.instance for m in meshes]),
        np.concatenate([m.normal for m in meshes]), vn, mat, colour, intensity, transmit)


def select_triangles(mesh: TriangleMesh, keep: np.ndarray) -> TriangleMesh:
    """The triangles of `mesh` where `keep` (T,) bool is set, with their labels (vertices shared as before)."""
    def sub(a):
        return None if a is None else a[keep]

    return TriangleMesh(mesh.vertices, mesh.triangles[keep], mesh.occ3d[keep], mesh.instance[keep],
                        mesh.normal[keep], sub(mesh.vertex_normal), sub(mesh.material), sub(mesh.colour),
                        sub(mesh.intensity), sub(mesh.transmit))


# ---------------------------------------------------------------------------------------------------------
# Rectangles from boolean face masks


def merge_rectangles(mask: np.ndarray, keys: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Cover the True cells of `mask` (A, B, C) with rectangles of equal key values inside each plane a.

    Cells are first joined into runs along C, then equal runs in consecutive rows b are stacked. Returns
    (a, b0, b1, c0, c1, *key_values) arrays of length R, ranges half-open in cell units.
    """
    A, B, C = mask.shape
    m = mask.reshape(A * B, C)
    ks = [k.reshape(A * B, C) for k in keys]
    diff = np.zeros_like(m)
    for k in ks:
        diff[:, 1:] |= k[:, 1:] != k[:, :-1]
    start = m.copy()
    start[:, 1:] &= ~m[:, :-1] | diff[:, 1:]
    end = m.copy()
    end[:, :-1] &= ~m[:, 1:] | diff[:, 1:]
    row, c0 = np.nonzero(start)
    _, c1 = np.nonzero(end)
    c1 = c1 + 1
    vals = [k[row, c] for k, c in zip(ks, [c0] * len(ks))]
    a, b = row // B, row % B
    if row.size == 0:
        return (a, b, b, c0, c1, *vals)
    # Stack runs with equal (a, c0, c1, keys) in consecutive rows b.
    order = np.lexsort([b] + [v for v in reversed(vals)] + [c1, c0, a])
    a, b, c0, c1 = a[order], b[order], c0[order], c1[order]
    vals = [v[order] for v in vals]
    same = (a[1:] == a[:-1]) & (c0[1:] == c0[:-1]) & (c1[1:] == c1[:-1]) & (b[1:] == b[:-1] + 1)
    for v in vals:
        same &= v[1:] == v[:-1]
    first = np.concatenate([[True], ~same])
    group = np.cumsum(first) - 1
    last_b = np.zeros(int(group[-1]) + 1, dtype=b.dtype)
    np.maximum.at(last_b, group, b)
    f = np.flatnonzero(first)
    return (a[f], b[f], last_b + 1, c0[f], c1[f], *[v[f] for v in vals])


def quads(axes: tuple[int, int, int], pos: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray, c_lo: np.ndarray,
          c_hi: np.ndarray, sign: np.ndarray, occ3d: np.ndarray, instance: np.ndarray | None = None) -> TriangleMesh:
    """Axis-aligned rectangles, two triangles each: the plane `axes[0]` = pos, spanning [b_lo, b_hi] along
    axes[1] and [c_lo, c_hi] along axes[2] (metres), outward normal `sign` (±1) along axes[0]."""
    q = pos.shape[0]
    corners = np.zeros((q, 4, 3), dtype=np.float64)
    a, b, c = axes
    corners[:, :, a] = pos[:, None]
    corners[:, :, b] = np.stack([b_lo, b_hi, b_hi, b_lo], axis=1)
    corners[:, :, c] = np.stack([c_lo, c_lo, c_hi, c_hi], axis=1)
    base = (np.arange(q, dtype=np.uint32) * 4)[:, None]
    tris = np.concatenate([base + np.array([0, 1, 2], np.uint32), base + np.array([0, 2, 3], np.uint32)], axis=1)
    normal = np.zeros((q, 3), dtype=np.float32)
    normal[:, a] = sign
    inst = np.zeros(q, np.uint16) if instance is None else instance.astype(np.uint16)
    return TriangleMesh(corners.reshape(-1, 3).astype(np.float32), tris.reshape(-1, 3),
                        np.repeat(occ3d.astype(np.uint8), 2), np.repeat(inst, 2), np.repeat(normal, 2, axis=0))


# ---------------------------------------------------------------------------------------------------------
# Static world


def ground_mesh(extent: tuple[float, float, float, float], margin: float) -> TriangleMesh:
    """The ground plane z = 0 over `extent` (xmin, ymin, xmax, ymax) grown by `margin` m; its class is looked up
    in the ground raster at each hit (clamped to the raster's edge beyond it)."""
    x0, y0, x1, y1 = extent
    return quads((2, 0, 1), np.zeros(1), np.array([x0 - margin]), np.array([x1 + margin]),
                 np.array([y0 - margin]), np.array([y1 + margin]), np.ones(1), np.array([GROUND_LOOKUP]))


def structure_mesh(static) -> TriangleMesh:
    """The exposed faces of the raised raster cells of a StaticMap: tops at `struct_top` and the walls between
    neighbouring cells of different height (belonging to the taller cell, class `struct_cls` of it). The same
    columns the occupancy fills, so a hit's class is the class of the column it hits."""
    raised = (static.struct_cls != FREE) & (static.struct_top > 0)
    if not raised.any():
        return TriangleMesh.empty()
    ii, jj = np.nonzero(raised.any(axis=1))[0], np.nonzero(raised.any(axis=0))[0]
    i0, i1, j0, j1 = ii[0], ii[-1] + 1, jj[0], jj[-1] + 1
    # One empty cell of padding on every side, so the outer walls come out like the inner ones.
    top = np.zeros((i1 - i0 + 2, j1 - j0 + 2), dtype=np.float32)
    cls = np.full(top.shape, FREE, dtype=np.uint8)
    sub = raised[i0:i1, j0:j1]
    top[1:-1, 1:-1] = np.where(sub, static.struct_top[i0:i1, j0:j1], 0.0)
    cls[1:-1, 1:-1] = np.where(sub, static.struct_cls[i0:i1, j0:j1], FREE)
    res = static.res
    ox, oy = static.x0 + (i0 - 1) * res, static.y0 + (j0 - 1) * res  # corner of padded cell [0, 0]
    parts = []
    # Tops: rectangles of equal (height, class).
    a, b0, b1, c0, c1, h, k = merge_rectangles((top > 0)[None], [top[None], cls[None]])
    parts.append(quads((2, 0, 1), h.astype(np.float64), ox + b0 * res, ox + b1 * res, oy + c0 * res,
                       oy + c1 * res, np.ones(h.size), k))
    # Walls between cells [i, j] and [i + 1, j] (plane x = const), then [i, j] / [i, j + 1] (plane y = const).
    for axis in (0, 1):
        lo_t, hi_t = (top[:-1], top[1:]) if axis == 0 else (top[:, :-1].T, top[:, 1:].T)
        lo_c, hi_c = (cls[:-1], cls[1:]) if axis == 0 else (cls[:, :-1].T, cls[:, 1:].T)
        wall = lo_t != hi_t
        first_taller = lo_t > hi_t
        z_lo, z_hi = np.minimum(lo_t, hi_t), np.maximum(lo_t, hi_t)
        wcls = np.where(first_taller, lo_c, hi_c)
        sign = np.where(first_taller, 1, -1).astype(np.int8)
        # boundary index p (plane), runs along the other axis q
        p, _, _, q0, q1, zl, zh, wc, sg = merge_rectangles(
            wall[:, None, :], [z_lo[:, None, :], z_hi[:, None, :], wcls[:, None, :], sign[:, None, :]])
        o_p, o_q = (ox, oy) if axis == 0 else (oy, ox)
        other = 1 - axis
        parts.append(quads((axis, 2, other), o_p + (p + 1) * res, zl.astype(np.float64), zh.astype(np.float64),
                           o_q + q0 * res, o_q + q1 * res, sg.astype(np.float32), wc))
    return concat_meshes(parts)


# ---------------------------------------------------------------------------------------------------------
# Agents


def _prism_template(top_scale: float, segments: int = CYLINDER_SEGMENTS):
    """Unit-footprint prism/frustum (radius 0.5 at the bottom, 0.5·top_scale at the top, z ∈ [-0.5, 0.5]),
    sides and top: agents stand on the ground, which closes them from below.
    Returns corner positions (T, 3, 3), face normals (T, 3) and corner normals (T, 3, 3) in template units."""
    ang = 2 * np.pi * np.arange(segments) / segments
    ca, sa = np.cos(ang), np.sin(ang)
    cb, sb = np.roll(ca, -1), np.roll(sa, -1)
    r0, r1 = 0.5, 0.5 * top_scale
    lo = lambda c, s: np.stack([r0 * c, r0 * s, np.full_like(c, -0.5)], -1)  # noqa: E731
    hi = lambda c, s: np.stack([r1 * c, r1 * s, np.full_like(c, 0.5)], -1)  # noqa: E731
    slope = r0 - r1  # radial inset over the unit height: side normals tilt up by it
    side_n = lambda c, s: np.stack([c, s, np.full_like(c, slope)], -1)  # noqa: E731
    tris, vnorm = [], []
    tris.append(np.stack([lo(ca, sa), lo(cb, sb), hi(cb, sb)], 1))
    vnorm.append(np.stack([side_n(ca, sa), side_n(cb, sb), side_n(cb, sb)], 1))
    tris.append(np.stack([lo(ca, sa), hi(cb, sb), hi(ca, sa)], 1))
    vnorm.append(np.stack([side_n(ca, sa), side_n(cb, sb), side_n(ca, sa)], 1))
    zero = np.zeros(segments)
    ctop = np.stack([zero, zero, zero + 0.5], -1)
    tris.append(np.stack([ctop, hi(ca, sa), hi(cb, sb)], 1))
    vnorm.append(np.broadcast_to([0.0, 0.0, 1.0], (segments, 3, 3)))
    tris, vnorm = np.concatenate(tris), np.concatenate(vnorm)
    e1, e2 = tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]
    fn = np.cross(e1, e2)
    # Orient face normals outward (caps away from the centre along z, sides away from the axis).
    cent = tris.mean(axis=1)
    cap = np.abs(fn[:, 2]) > 0.99 * np.linalg.norm(fn, axis=1)
    out = np.where(cap[:, None], cent * [0.0, 0.0, 1.0], cent * [1.0, 1.0, 0.0])
    fn = np.where((np.sum(fn * out, axis=1) < 0)[:, None], -fn, fn)
    return tris, fn, vnorm


def _box_template():
    faces = []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            b, c = [d for d in range(3) if d != axis]
            q = np.zeros((4, 3))
            q[:, axis] = 0.5 * sign
            q[:, b] = [-0.5, 0.5, 0.5, -0.5]
            q[:, c] = [-0.5, -0.5, 0.5, 0.5]
            n = np.zeros(3)
            n[axis] = sign
            faces.append((q[[0, 1, 2]], n))
            faces.append((q[[0, 2, 3]], n))
    tris = np.stack([f[0] for f in faces])
    fn = np.stack([f[1] for f in faces])
    return tris, fn, None  # flat faces: no corner normals


TEMPLATES = {"box": _box_template(), "cylinder": _prism_template(1.0), "cone": _prism_template(0.25)}


@lru_cache(maxsize=4096)
def _local_normals(shape: str, length: float, width: float, height: float):
    """Unit face normals (T, 3) and corner normals (T, 3, 3) or None of a shape template stretched to a size:
    template normals scaled by the inverse size, renormalised (agents keep their size, so this is cached)."""
    _, fn, vn = TEMPLATES[shape]
    inv = 1.0 / np.array([length, width, height])
    unit = lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True)  # noqa: E731
    return unit(fn * inv), None if vn is None else unit(vn * inv)


def agent_mesh(center: np.ndarray, size: np.ndarray, yaw: np.ndarray, shapes, occ3d: np.ndarray,
               instance: np.ndarray) -> TriangleMesh:
    """Meshes of N agents in the world frame: `center` (N, 3) m (box centre), `size` (N, 3) length/width/height
    m, `yaw` (N,) rad, `shapes` N names from box/cylinder/cone (as `voxelize.shape_contains`), labels (N,).

    Each agent's triangles are computed from its own values only, elementwise, so a mesh of one agent has
    bit-identical vertices to the same agent inside a mesh of many (visibility relies on it).
    """
    parts = []
    shapes = np.asarray(shapes)
    for name, (tris, fn, vn) in TEMPLATES.items():
        idx = np.flatnonzero(shapes == name)
        if idx.size == 0:
            continue
        s = size[idx][:, None, None, :]  # (n, 1, 1, 3)
        local = tris[None] * s  # (n, T, 3, 3)
        # Scalar libm per agent: vectorised sin/cos may round differently depending on the array's length.
        c = np.array([math.cos(y) for y in yaw[idx]])[:, None, None]
        sn = np.array([math.sin(y) for y in yaw[idx]])[:, None, None]
        ctr = center[idx]
        wx = c * local[..., 0] - sn * local[..., 1] + ctr[:, 0, None, None]
        wy = sn * local[..., 0] + c * local[..., 1] + ctr[:, 1, None, None]
        wz = local[..., 2] + ctr[:, 2, None, None]
        verts = np.stack([wx, wy, wz], -1).astype(np.float32)  # (n, T, 3, 3)

        def rot(v):  # turn normals (n, ..., 3) with each agent's yaw
            cc, ss = c.reshape((-1,) + (1,) * (v.ndim - 2)), sn.reshape((-1,) + (1,) * (v.ndim - 2))
            return np.stack([cc * v[..., 0] - ss * v[..., 1], ss * v[..., 0] + cc * v[..., 1], v[..., 2]],
                            -1).astype(np.float32)

        local_n = [_local_normals(name, *map(float, size[i])) for i in idx]
        n, t = idx.size, tris.shape[0]
        parts.append(TriangleMesh(
            verts.reshape(-1, 3), np.arange(n * t * 3, dtype=np.uint32).reshape(-1, 3),
            np.repeat(occ3d[idx].astype(np.uint8), t), np.repeat(instance[idx].astype(np.uint16), t),
            rot(np.stack([f for f, _ in local_n])).reshape(-1, 3),
            None if vn is None else rot(np.stack([v for _, v in local_n])).reshape(-1, 3, 3)))
    return concat_meshes(parts)


def posed_shapes(shapes, center: np.ndarray, yaw: np.ndarray, occ3d: np.ndarray,
                 instance: np.ndarray) -> TriangleMesh:
    """Meshes of N agents from the shape library in the world frame: `shapes` N box-local ShapeMeshes
    (anyscene.shapes.shape_mesh), `center` (N, 3) m box centres, `yaw` (N,) rad, labels (N,). Flat faces, with
    each triangle's material.

    Each agent's triangles are computed from its own values only, so a mesh of one agent has bit-identical
    vertices to the same agent inside a mesh of many (visibility relies on it).
    """
    parts = []
    for k, sm in enumerate(shapes):
        c, sn = math.cos(float(yaw[k])), math.sin(float(yaw[k]))
        v = sm.vertices
        ctr = center[k]
        verts = np.empty(v.shape, np.float32)
        verts[:, 0] = c * v[:, 0] - sn * v[:, 1] + ctr[0]
        verts[:, 1] = sn * v[:, 0] + c * v[:, 1] + ctr[1]
        verts[:, 2] = v[:, 2] + ctr[2]
        fn = sm.normals
        normal = np.empty(fn.shape, np.float32)
        normal[:, 0] = c * fn[:, 0] - sn * fn[:, 1]
        normal[:, 1] = sn * fn[:, 0] + c * fn[:, 1]
        normal[:, 2] = fn[:, 2]
        t = sm.num_triangles
        parts.append(TriangleMesh(verts, sm.triangles.astype(np.uint32), np.full(t, occ3d[k], np.uint8),
                                  np.full(t, instance[k], np.uint16), normal, None, np.asarray(sm.material, np.uint8)))
    return concat_meshes(parts)


# ---------------------------------------------------------------------------------------------------------
# Occupancy grids


def voxel_mesh(semantics: np.ndarray, grid, instances: np.ndarray | None = None) -> TriangleMesh:
    """The exposed faces of the occupied voxels (class ≠ free) of a (nx, ny, nz) grid, in the grid's frame:
    every face between an occupied voxel and a free one (or the grid's border), with the voxel's class and
    instance, merged into rectangles per class."""
    occ = semantics != FREE
    inst = np.zeros(semantics.shape, np.uint16) if instances is None else instances.astype(np.uint16)
    lo = (grid.x_min, grid.y_min, grid.z_min)
    v = grid.voxel
    parts = []
    for axis in range(3):
        # Move `axis` first; the other two keep their order (b, c).
        others = [d for d in range(3) if d != axis]
        o = np.moveaxis(occ, axis, 0)
        s = np.moveaxis(semantics, axis, 0)
        k = np.moveaxis(inst, axis, 0)
        pad = np.zeros((1,) + o.shape[1:], bool)
        for sign in (1, -1):
            nb = np.concatenate([o[1:], pad]) if sign > 0 else np.concatenate([pad, o[:-1]])
            face = o & ~nb
            if not face.any():
                continue
            p, b0, b1, c0, c1, cl, ins = merge_rectangles(face, [s, k])
            plane = lo[axis] + v * (p + (1 if sign > 0 else 0))
            parts.append(quads((axis, others[0], others[1]), plane, lo[others[0]] + v * b0,
                               lo[others[0]] + v * b1, lo[others[1]] + v * c0, lo[others[1]] + v * c1,
                               np.full(p.size, float(sign)), cl, ins))
    return concat_meshes(parts)
