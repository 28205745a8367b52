"""The static world: world-frame rasters of a ground class per cell and a raised structure (buildings, raised
areas) with its class and top height, and the map's static props (poles, signs, traffic lights, trees, bushes,
benches, hydrants, bollards) as shapes from the shape library. Compiled once per scene.

A prop is one mesh that every sensor sees (the sensors add it to the static mesh) and that the occupancy fills:
the voxels containing a sample of the prop's volume (PROP_SAMPLE m grid points inside its closed parts, plus
its vertices and triangle centroids, so thin poles and single leaf clusters keep their voxels)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classes import FREE, OCC3D_ID, STATIC_CLASSES, STATIC_PROPS  # noqa: F401 (STATIC_PROPS re-exported)
from ..layout.geometry import RoadGeometry, prop_footprint  # noqa: F401 (prop_footprint re-exported)
from ..layout.schema import Map

RASTER_RES = 0.1  # m per cell: fine enough that 0.4 m voxels sample it without visible steps
PROP_SAMPLE = 0.1  # m between the volume samples of a prop that the occupancy fills from



@dataclass(frozen=True)
class StaticMap:
    """World-frame rasters of the static scene, axis order (x, y).

    Cell [i, j] covers x ∈ [x0 + res·i, x0 + res·(i+1)), y likewise. `ground` (nx, ny) uint8 holds the Occ3D id
    of the surface at z = 0; `struct_cls` (nx, ny) uint8 the Occ3D id of what stands on it (FREE where nothing)
    and `struct_top` (nx, ny) float32 its top height in metres (0 where nothing).
    """

    x0: float
    y0: float
    res: float
    ground: np.ndarray
    struct_cls: np.ndarray
    struct_top: np.ndarray

    @property
    def extent(self) -> tuple[float, float, float, float]:
        nx, ny = self.ground.shape
        return (self.x0, self.y0, self.x0 + nx * self.res, self.y0 + ny * self.res)

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell indices of world points, clamped into the raster, and a mask of points inside it."""
        nx, ny = self.ground.shape
        i = np.floor((x - self.x0) / self.res).astype(np.int64)
        j = np.floor((y - self.y0) / self.res).astype(np.int64)
        inside = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
        return np.clip(i, 0, nx - 1), np.clip(j, 0, ny - 1), inside

    def ground_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Occ3D ground class at world points (N,) -> (N,) uint8."""
        i, j, _ = self.cell_of(x, y)
        return self.ground[i, j]


class _Canvas:
    """Paints shapely polygons into an (nx, ny) raster: a cell takes the value when its centre lies inside the
    polygon (even-odd scanline fill, holes included), so the raster samples the map exactly at cell centres."""

    def __init__(self, x0: float, y0: float, res: float, nx: int, ny: int, fill, dtype=np.uint8):
        self.x0, self.y0, self.res = x0, y0, res
        self.data = np.full((nx, ny), fill, dtype=dtype)

    def _rings(self, geom) -> list[np.ndarray]:
        if geom is None or geom.is_empty:
            return []
        if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
            return [r for g in geom.geoms for r in self._rings(g)]
        if geom.geom_type != "Polygon":
            return []
        return [np.asarray(geom.exterior.coords)[:, :2]] + [np.asarray(h.coords)[:, :2] for h in geom.interiors]

    def mask(self, geom) -> tuple[tuple[slice, slice], np.ndarray] | None:
        """The cells whose centres lie inside `geom`: a (bbox slices, boolean block) pair, None when empty."""
        nx, ny = self.data.shape
        rings = self._rings(geom)
        if not rings:
            return None
        a = np.vstack([r[:-1] for r in rings])
        b = np.vstack([r[1:] for r in rings])
        # Rows whose centre y satisfies min(y_a, y_b) <= y < max(y_a, y_b) cross the edge (half-open rule).
        ylo, yhi = np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1])
        jlo = np.maximum(np.ceil((ylo - self.y0) / self.res - 0.5).astype(np.int64), 0)
        jhi = np.minimum(np.ceil((yhi - self.y0) / self.res - 0.5).astype(np.int64), ny)  # exclusive
        counts = np.maximum(jhi - jlo, 0)
        if counts.sum() == 0:
            return None
        e = np.repeat(np.arange(len(a)), counts)
        rows = jlo[e] + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        yc = self.y0 + self.res * (rows + 0.5)
        xa = a[e, 0] + (yc - a[e, 1]) * (b[e, 0] - a[e, 0]) / (b[e, 1] - a[e, 1])
        order = np.lexsort((xa, rows))
        rows, xa = rows[order], xa[order]
        # Crossings pair up within each row (even-odd rule): (1st, 2nd), (3rd, 4th), ...
        starts, ends, rr = xa[0::2], xa[1::2], rows[0::2]
        i0 = np.clip(np.ceil((starts - self.x0) / self.res - 0.5).astype(np.int64), 0, nx)
        i1 = np.clip(np.floor((ends - self.x0) / self.res - 0.5).astype(np.int64) + 1, 0, nx)
        keep = i1 > i0
        i0, i1, rr = i0[keep], i1[keep], rr[keep]
        if i0.size == 0:
            return None
        bi0, bi1, bj0, bj1 = int(i0.min()), int(i1.max()), int(rr.min()), int(rr.max()) + 1
        w, h = bi1 - bi0 + 1, bj1 - bj0
        flat = np.bincount((i0 - bi0) * h + (rr - bj0), minlength=w * h)
        flat -= np.bincount((i1 - bi0) * h + (rr - bj0), minlength=w * h)
        block = np.cumsum(flat.astype(np.int8).reshape(w, h), axis=0, dtype=np.int8)[:-1] > 0
        return (slice(bi0, bi1), slice(bj0, bj1)), block

    def polygon(self, geom, value) -> None:
        found = self.mask(geom)
        if found is not None:
            box, block = found
            self.data[box][block] = value

    def array(self, dtype) -> np.ndarray:
        return self.data.astype(dtype, copy=False)


def compile_static(m: Map, roads: RoadGeometry, extent: tuple[float, float, float, float],
                   res: float = RASTER_RES) -> StaticMap:
    """Rasterize the map's surfaces and structures over `extent` (xmin, ymin, xmax, ymax)."""
    from shapely.geometry import Polygon

    x0, y0, x1, y1 = extent
    nx, ny = int(np.ceil((x1 - x0) / res)), int(np.ceil((y1 - y0) / res))
    ground = _Canvas(x0, y0, res, nx, ny, OCC3D_ID[STATIC_CLASSES[m.ground]])
    ground.polygon(roads.sidewalks, OCC3D_ID["sidewalk"])
    ground.polygon(roads.drivable, OCC3D_ID["driveable_surface"])
    struct = _Canvas(x0, y0, res, nx, ny, FREE)
    top = _Canvas(x0, y0, res, nx, ny, 0.0, dtype=np.float32)
    for a in m.areas:
        cls = OCC3D_ID[STATIC_CLASSES[a.cls]]
        poly = Polygon(a.polygon)
        if a.height > 0:
            struct.polygon(poly, cls)
            top.polygon(poly, float(a.height))
        else:
            ground.polygon(poly, cls)
    for cw in roads.crosswalks.values():
        ground.polygon(cw, OCC3D_ID["driveable_surface"])
    for b in m.buildings:
        poly = Polygon(b.footprint)
        struct.polygon(poly, OCC3D_ID["manmade"])
        top.polygon(poly, float(b.height))
    return StaticMap(x0, y0, res, ground.array(np.uint8), struct.array(np.uint8), top.array(np.float32))


@dataclass(frozen=True)
class StaticProp:
    """A static map prop as a shape: `cls` its prop class (a STATIC_PROPS key), `occ3d` its Occ3D id, `center`
    (3,) float64 world-frame box centre m, `yaw` rad, `size` (3,) length/width/height m, `mesh` its box-local
    ShapeMesh (anyscene.shapes), `index` its position in `map.props`."""

    cls: str
    occ3d: int
    center: np.ndarray
    yaw: float
    size: np.ndarray
    mesh: object
    index: int


def compile_props(m: Map, seed: int = 0) -> tuple[StaticProp, ...]:
    """The map's static props (classes in STATIC_PROPS) with their shapes; the shape's variant and details come
    from the prop's `shape` and its position in the map (deterministic per seed)."""
    from ..shapes import shape_mesh

    out = []
    for k, p in enumerate(m.props):
        if p.cls not in STATIC_PROPS:
            continue
        cls_name, default = STATIC_PROPS[p.cls]
        size = np.asarray(p.size or default, dtype=np.float64)
        mesh = shape_mesh(p.cls, size, p.shape, instance=k + 1, seed=seed)
        out.append(StaticProp(p.cls, OCC3D_ID[cls_name], np.array([p.xy[0], p.xy[1], size[2] / 2]), float(p.yaw),
                              size, mesh, k))
    return tuple(out)


def prop_samples(props: tuple[StaticProp, ...], step: float = PROP_SAMPLE) -> tuple[np.ndarray, np.ndarray]:
    """World-frame samples (N, 3) float64 of the props' volumes and the Occ3D id (N,) uint8 of each: grid points
    `step` m apart inside each prop's closed parts, plus its vertices and triangle centroids."""
    pts, cls = [], []
    for p in props:
        mesh = p.mesh
        lo, hi = mesh.vertices.min(axis=0), mesh.vertices.max(axis=0)
        axes = [np.arange(a + step / 2, b, step) for a, b in zip(lo, hi)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
        inside = grid[mesh.contains(grid)] if grid.size else grid
        tri = mesh.vertices[mesh.triangles]
        local = np.concatenate([inside, mesh.vertices, tri.mean(axis=1)])
        c, s = np.cos(p.yaw), np.sin(p.yaw)
        world = np.stack([c * local[:, 0] - s * local[:, 1] + p.center[0],
                          s * local[:, 0] + c * local[:, 1] + p.center[1], local[:, 2] + p.center[2]], -1)
        pts.append(world)
        cls.append(np.full(world.shape[0], p.occ3d, np.uint8))
    if not pts:
        return np.zeros((0, 3)), np.zeros(0, np.uint8)
    return np.concatenate(pts), np.concatenate(cls)
