"""Shape meshes and the convex primitives they are built from.

A shape is a union of closed convex parts (boxes, extruded convex profiles, frusta, ellipsoids), each with its
own vertices, outward-facing triangles and per-triangle material. A union of closed parts is closed wherever a
ray can reach it, and a point lies inside the shape when it lies inside one of its parts (all of that part's
face planes): that is how the occupancy is voxelised from the mesh.

Frame: box-local, metres, x along the box's length (forward), y along its width (left), z up, origin at the box
centre. `fit_to_box` scales and shifts a built shape so that its bounding box is the authored box shrunk by a
margin on every side: the shape then lies strictly inside the box and touches every face within the margin.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

MARGIN = 0.025  # m between a shape and each face of its box (see docs/shapes.md: range noise stays inside)


@dataclass(frozen=True)
class ShapeMesh:
    """A shape in its box-local frame.

    vertices (V, 3) float64 m; triangles (T, 3) int32 vertex indices, counter-clockwise seen from outside;
    material (T,) uint8 material ids (anyscene.shapes.materials); part (T,) int32 index of the closed convex
    part each triangle belongs to (parts are contiguous runs of triangles, in order).
    """

    vertices: np.ndarray
    triangles: np.ndarray
    material: np.ndarray
    part: np.ndarray

    @property
    def num_triangles(self) -> int:
        return int(self.triangles.shape[0])

    @cached_property
    def normals(self) -> np.ndarray:
        """(T, 3) float64 outward unit face normals (computed once)."""
        return self.face_normals()

    def face_normals(self) -> np.ndarray:
        """(T, 3) float64 outward unit normals."""
        v = self.vertices[self.triangles]
        n = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)

    def planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Face planes of the parts: normals (T, 3), offsets (T,) with n·p ≤ d inside, and the start index (P,)
        of each part's run of triangles (for np.maximum.reduceat)."""
        n = self.face_normals()
        d = np.einsum("ij,ij->i", n, self.vertices[self.triangles[:, 0]])
        starts = np.flatnonzero(np.r_[True, self.part[1:] != self.part[:-1]])
        return n, d, starts

    @cached_property
    def _part_tables(self):
        """Per part, computed once: face planes padded to the largest part (normals (P, F, 3), offsets (P, F);
        padding planes always hold) and bounding boxes (P, 3) lo and hi."""
        n, d, starts = self.planes()
        ends = np.r_[starts[1:], self.num_triangles]
        f = int((ends - starts).max())
        nrm = np.zeros((starts.size, f, 3))
        off = np.ones((starts.size, f))
        lo, hi = np.zeros((starts.size, 3)), np.zeros((starts.size, 3))
        for k, (a, b) in enumerate(zip(starts, ends)):
            nrm[k, :b - a], off[k, :b - a] = n[a:b], d[a:b]
            v = self.vertices[self.triangles[a:b].ravel()]
            lo[k], hi[k] = v.min(axis=0), v.max(axis=0)
        return nrm, off, lo, hi

    def contains(self, points: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        """Whether box-local points (N, 3) lie inside any part (on a face counts as inside within `tol` m).
        Only the (point, part) pairs whose point lies in the part's bounding box test the part's planes."""
        out = np.zeros(points.shape[0], bool)
        if points.shape[0] == 0 or self.num_triangles == 0:
            return out
        nrm, off, lo, hi = self._part_tables
        # Bounding-box test per axis in float32 (a quarter of the work of one (N, P, 3) test in float64).
        p32 = points.astype(np.float32)
        lo32, hi32 = (lo - 1e-6).astype(np.float32), (hi + 1e-6).astype(np.float32)
        near = (p32[:, None, 0] >= lo32[:, 0]) & (p32[:, None, 0] <= hi32[:, 0])
        for k in (1, 2):
            near &= (p32[:, None, k] >= lo32[:, k]) & (p32[:, None, k] <= hi32[:, k])
        pi, pp = np.nonzero(near)
        if pi.size:
            s = np.einsum("kj,kfj->kf", points[pi], nrm[pp]) - off[pp]
            out[pi[np.all(s <= tol, axis=1)]] = True
        return out

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.vertices.min(axis=0), self.vertices.max(axis=0)


class Builder:
    """Collects closed convex parts into a ShapeMesh."""

    def __init__(self):
        self._verts: list[np.ndarray] = []
        self._tris: list[np.ndarray] = []
        self._mats: list[np.ndarray] = []
        self._n = 0

    def add(self, verts: np.ndarray, tris: np.ndarray, material) -> None:
        """One closed convex part: vertices (V, 3), triangles (T, 3) (any orientation: they are turned to face
        away from the part's centroid), material id or (T,) ids."""
        verts = np.asarray(verts, dtype=np.float64)
        tris = np.array(tris, dtype=np.int64)
        v0, v1, v2 = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
        a, b = v1 - v0, v2 - v0
        nx = a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1]
        ny = a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2]
        nz = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
        c = (v0 + v1 + v2) / 3 - verts.sum(axis=0) / verts.shape[0]
        inward = nx * c[:, 0] + ny * c[:, 1] + nz * c[:, 2] < 0
        tris[inward] = tris[inward][:, [0, 2, 1]]
        self._verts.append(verts)
        self._tris.append(tris + self._n)
        self._mats.append(np.broadcast_to(np.asarray(material, np.uint8), (tris.shape[0],)).copy())
        self._n += verts.shape[0]

    # -- primitives -------------------------------------------------------------------------------------

    def box(self, lo, hi, material, yaw: float = 0.0, pivot=None) -> None:
        """Axis-aligned box [lo, hi] (3,) m, optionally turned by `yaw` about the vertical through `pivot`."""
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        c = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], float)
        verts = lo + c * (hi - lo)
        if yaw:
            verts = _turn(verts, yaw, pivot if pivot is not None else (lo + hi) / 2)
        self.add(verts, _BOX_TRIS, material)

    def prism(self, profile, y0: float, y1: float, material, side_materials=None, cap_material=None) -> None:
        """A convex polygon `profile` (K, 2) in the x-z plane (any winding) extruded from y = y0 to y = y1.
        `side_materials` (K,) per edge i → i+1 (default `material`), caps `cap_material` (default `material`)."""
        p = _convex_ccw(np.asarray(profile, float))
        k = p.shape[0]
        verts = np.concatenate([np.c_[p[:, 0], np.full(k, y0), p[:, 1]], np.c_[p[:, 0], np.full(k, y1), p[:, 1]]])
        tris, mats = [], []
        sm = [material] * k if side_materials is None else list(side_materials)
        for i in range(k):
            j = (i + 1) % k
            tris += [[i, j, k + j], [i, k + j, k + i]]
            mats += [sm[i], sm[i]]
        cm = material if cap_material is None else cap_material
        for i in range(1, k - 1):
            tris += [[0, i, i + 1], [k, k + i, k + i + 1]]
            mats += [cm, cm]
        self.add(verts, np.array(tris), np.array(mats, np.uint8))

    def frustum(self, p0, p1, r0, r1, material, segments: int = 12, cap_material=None) -> None:
        """A closed frustum (cylinder when r0 == r1) from point p0 (radius r0) to p1 (radius r1); radii may
        be (a, b) pairs for elliptic sections. Polygonal (`segments` sides), inscribed in the round shape."""
        p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
        axis = p1 - p0
        axis = axis / np.sqrt(axis @ axis)
        helper = (0.0, 0.0, 1.0) if abs(axis[2]) < 0.9 else (1.0, 0.0, 0.0)
        u = np.array([axis[1] * helper[2] - axis[2] * helper[1], axis[2] * helper[0] - axis[0] * helper[2],
                      axis[0] * helper[1] - axis[1] * helper[0]])
        u /= np.sqrt(u @ u)
        w = np.array([axis[1] * u[2] - axis[2] * u[1], axis[2] * u[0] - axis[0] * u[2], axis[0] * u[1] - axis[1] * u[0]])
        cos, sin, tris, side = _ring_template(segments)
        ra0, rb0 = (r0, r0) if np.ndim(r0) == 0 else r0
        ra1, rb1 = (r1, r1) if np.ndim(r1) == 0 else r1
        verts = np.empty((2 * segments, 3))
        verts[:segments] = p0 + np.outer(ra0 * cos, u) + np.outer(rb0 * sin, w)
        verts[segments:] = p1 + np.outer(ra1 * cos, u) + np.outer(rb1 * sin, w)
        cm = material if cap_material is None else cap_material
        self.add(verts, tris, np.where(side, np.uint8(material), np.uint8(cm)))

    def ellipsoid(self, center, radii, material, lat: int = 6, lon: int = 10) -> None:
        """A closed convex polyhedron inscribed in the ellipsoid `center` (3,), `radii` (3,)."""
        center, radii = np.asarray(center, float), np.asarray(radii, float)
        th = np.pi * np.arange(1, lat) / lat
        ph = 2 * np.pi * np.arange(lon) / lon
        ring = np.stack([np.outer(np.sin(th), np.cos(ph)), np.outer(np.sin(th), np.sin(ph)),
                         np.outer(np.cos(th), np.ones(lon))], -1).reshape(-1, 3)
        verts = np.concatenate([[[0, 0, 1.0]], ring, [[0, 0, -1.0]]]) * radii + center
        tris = []
        top, bottom = 0, verts.shape[0] - 1
        idx = lambda r, c: 1 + r * lon + c % lon  # noqa: E731
        for c in range(lon):
            tris.append([top, idx(0, c), idx(0, c + 1)])
            tris.append([bottom, idx(lat - 2, c + 1), idx(lat - 2, c)])
            for r in range(lat - 2):
                tris += [[idx(r, c), idx(r + 1, c), idx(r + 1, c + 1)], [idx(r, c), idx(r + 1, c + 1), idx(r, c + 1)]]
        self.add(verts, np.array(tris), material)

    def limb(self, p0, p1, r0, r1, material, segments: int = 8) -> None:
        """A tapered limb between two joints (a frustum, `segments` sides)."""
        self.frustum(p0, p1, r0, r1, material, segments)

    def build(self) -> ShapeMesh:
        parts = np.concatenate([np.full(t.shape[0], i, np.int32) for i, t in enumerate(self._tris)])
        return ShapeMesh(np.concatenate(self._verts), np.concatenate(self._tris).astype(np.int32),
                         np.concatenate(self._mats), parts)


_RINGS: dict[int, tuple] = {}


def _ring_template(n: int):
    """cos, sin (n,) of the section corners and triangles (4n - 4, 3) of a closed n-sided frustum (first the
    2n side triangles, flagged by `side`)."""
    if n not in _RINGS:
        ang = 2 * np.pi * (np.arange(n) + 0.5) / n
        tris = []
        for i in range(n):
            j = (i + 1) % n
            tris += [[i, j, n + j], [i, n + j, n + i]]
        for i in range(1, n - 1):
            tris += [[0, i, i + 1], [n, n + i, n + i + 1]]
        side = np.arange(len(tris)) < 2 * n
        _RINGS[n] = (np.cos(ang), np.sin(ang), np.array(tris), side)
    return _RINGS[n]


_BOX_TRIS = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])


def _turn(verts: np.ndarray, yaw: float, pivot) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    d = verts - pivot
    return np.c_[c * d[:, 0] - s * d[:, 1], s * d[:, 0] + c * d[:, 1], d[:, 2]] + pivot


def _convex_ccw(p: np.ndarray) -> np.ndarray:
    """The polygon counter-clockwise (in x-z), checked convex."""
    area = np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1])
    if area < 0:
        p = p[::-1]
    e = np.roll(p, -1, axis=0) - p
    cross = e[:, 0] * np.roll(e[:, 1], -1) - e[:, 1] * np.roll(e[:, 0], -1)
    if np.any(cross < -1e-12):
        raise ValueError("profile is not convex")
    return p


def fit_to_box(mesh: ShapeMesh, size, margin: float = MARGIN) -> ShapeMesh:
    """Scale and shift `mesh` per axis so that its bounding box is the box of `size` (length, width, height) m
    centred at the origin, shrunk by `margin` m on every side (by less where the box is too thin: at most
    a quarter of the box's extent)."""
    size = np.asarray(size, dtype=np.float64)
    m = np.minimum(margin, size / 4)
    lo, hi = mesh.bounds()
    span = np.maximum(hi - lo, 1e-12)
    scale = (size - 2 * m) / span
    v = (mesh.vertices - (lo + hi) / 2) * scale
    return ShapeMesh(v, mesh.triangles, mesh.material, mesh.part)
