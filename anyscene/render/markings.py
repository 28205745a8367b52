"""World-fixed map detail that the occupancy does not carry, rasterized once per world for per-pixel lookup by
hit point: painted markings (lane lines, stop lines, zebra stripes), kerb stones, and which building a wall
belongs to."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from shapely import STRtree
from shapely.geometry import Polygon, box
from shapely.ops import unary_union

from ..classes import STATIC_CLASSES
from .noise import bilerp

CURB_WIDTH = 0.3  # m: kerb stones along the edge of a sidewalk that borders the drivable surface
CHANNELS = ("white", "yellow", "curb")
_SS = 2  # supersampling per axis when a tile is rasterized (coverage levels, anti-aliased edges)


def _parts(geom):
    """The polygons of a (multi)polygon or collection."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _parts(g)]
    return []


class MarkingRaster:
    """Paint and kerb coverage of a world on a grid of `res` m cells, rasterized lazily in square tiles.

    Cell (i, j) is centred at world (res·i, res·j). A tile holds cells [T·tx, T·tx + T] × [T·ty, T·ty + T]
    (T = `tile`, a power of two; one row/column shared with the next tile, so bilinear lookups never straddle
    two tiles) as uint8 coverage 0..255 of the channels white paint, yellow paint and kerb, plus a fourth
    channel that is non-zero wherever any coverage lies within one cell (it lets lookups skip bare asphalt
    with one gather). Tiles are built on first use into a pool of `max_tiles` slots, recycled least recently
    used first, so memory stays below max_tiles·4·(T+1)² bytes whatever the map's size; tiles with nothing in
    them take no slot.
    """

    def __init__(self, shapes: list[tuple[object, int]], res: float = 0.05, tile: int = 256, max_tiles: int = 256):
        if tile & (tile - 1) or tile < 8:
            raise ValueError(f"tile must be a power of two ≥ 8, got {tile}")
        self.res, self.tile, self.max_tiles = float(res), int(tile), int(max_tiles)
        self._geoms = [g for g, _ in shapes]
        self._chan = np.array([c for _, c in shapes], dtype=np.int8)
        self._tree = STRtree(self._geoms) if self._geoms else None
        self._cells = (self.tile + 1) ** 2
        self._pool = np.zeros((len(CHANNELS) + 1, 0), np.uint8)  # grows by slots up to max_tiles
        self._slots: OrderedDict[tuple[int, int], int] = OrderedDict()  # tile -> slot, least recent first
        self._empty: set[tuple[int, int]] = set()
        self._lock = threading.Lock()  # lookups from several shading threads share the tile pool

    @classmethod
    def build(cls, world, res: float = 0.05, tile: int = 256, max_tiles: int = 256) -> "MarkingRaster":
        """The marking raster of a compiled World: its road markings by colour, and kerbs where sidewalks (road
        sidewalks and flat sidewalk areas) meet the drivable surface (roads, crossings, parking areas)."""
        roads = world.roads
        shapes: list[tuple[object, int]] = []
        for m in roads.markings:
            ch = CHANNELS.index("yellow" if m.color == "yellow" else "white")
            shapes += [(p, ch) for p in _parts(m.polygon)]
        flat = [(STATIC_CLASSES[a.cls], Polygon(a.polygon)) for a in world.layout.map.areas if a.height <= 0]
        walk = unary_union([roads.sidewalks] + [p for c, p in flat if c == "sidewalk"])
        drive = unary_union([roads.drivable] + [p for c, p in flat if c == "driveable_surface"])
        if not walk.is_empty and not drive.is_empty:
            curb = walk.intersection(drive.buffer(CURB_WIDTH)).difference(drive)
            shapes += [(p, CHANNELS.index("curb")) for p in _parts(curb)]
        return cls(shapes, res, tile, max_tiles)

    @property
    def cached_bytes(self) -> int:
        """Bytes held by the tile pool."""
        return int(self._pool.nbytes)

    def _rasterize(self, tx: int, ty: int) -> np.ndarray | None:
        """Channels (4, (T+1)²) uint8 of one tile, or None where nothing is painted."""
        t, r = self.tile, self.res
        x0, y0 = (t * tx - 0.5) * r, (t * ty - 0.5) * r  # lower-left corner of the tile's first cell
        n = t + 1
        area = box(x0, y0, x0 + n * r, y0 + n * r)
        hits = self._tree.query(area, predicate="intersects") if self._tree is not None else []
        if len(hits) == 0:
            return None
        k = _SS / r
        out = np.zeros((len(CHANNELS) + 1, n, n), np.uint8)
        for ch in range(len(CHANNELS)):
            sel = [int(i) for i in hits if self._chan[i] == ch]
            if not sel:
                continue
            img = Image.new("L", (n * _SS, n * _SS), 0)
            draw = ImageDraw.Draw(img)
            for i in sel:
                for poly in _parts(self._geoms[i].intersection(area)):
                    ext = (np.asarray(poly.exterior.coords)[:, :2] - (x0, y0)) * k - 0.5
                    if not poly.interiors:
                        draw.polygon([tuple(p) for p in ext], fill=255)
                        continue
                    mask = Image.new("L", img.size, 0)
                    md = ImageDraw.Draw(mask)
                    md.polygon([tuple(p) for p in ext], fill=255)
                    for hole in poly.interiors:
                        md.polygon([tuple(p) for p in (np.asarray(hole.coords)[:, :2] - (x0, y0)) * k - 0.5], fill=0)
                    img.paste(255, mask=mask)
            out[ch] = np.asarray(img.reduce(_SS))  # box filter: coverage of each cell
        painted = (out[0] > 0) | (out[1] > 0) | (out[2] > 0)
        if not painted.any():
            return None
        near = painted.copy()  # dilated by one cell: the bilinear neighbours of painted cells
        near[1:] |= painted[:-1]
        near[:-1] |= painted[1:]
        grown = near.copy()
        grown[:, 1:] |= near[:, :-1]
        grown[:, :-1] |= near[:, 1:]
        out[-1] = grown
        return out.reshape(len(CHANNELS) + 1, -1)

    def _slot(self, key: tuple[int, int], keep: set) -> int:
        """The pool slot holding tile `key` (-1: nothing painted there), rasterizing it if needed without
        evicting tiles in `keep`."""
        if key in self._empty:
            return -1
        if key in self._slots:
            self._slots.move_to_end(key)
            return self._slots[key]
        arr = self._rasterize(*key)
        if arr is None:
            self._empty.add(key)
            return -1
        used = len(self._slots)
        if used * self._cells < self._pool.shape[1]:
            slot = used
        elif used < self.max_tiles:
            grow = min(max(used, 8), self.max_tiles - used)  # double the pool, up to the cap
            self._pool = np.concatenate([self._pool, np.zeros((self._pool.shape[0], grow * self._cells),
                                                              np.uint8)], axis=1)
            slot = used
        else:
            victim = next(k for k in self._slots if k not in keep)
            slot = self._slots.pop(victim)
        self._slots[key] = slot
        self._pool[:, slot * self._cells:(slot + 1) * self._cells] = arr
        return slot

    def lookup(self, x: np.ndarray, y: np.ndarray, channels=(0, 1, 2)) -> tuple[np.ndarray, np.ndarray]:
        """Coverage at world points x, y (N,) m, bilinearly interpolated between cell centres.

        Returns (idx, cov): the indices (M,) of the points near anything painted, and their coverage
        (len(channels), M) float32 0..1 of the requested channels (0 white, 1 yellow, 2 kerb); every other
        point has zero coverage."""
        none = (np.zeros(0, np.intp), np.zeros((len(channels), 0), np.float32))
        if len(x) == 0 or self._tree is None:
            return none
        with self._lock:
            return self._lookup(x, y, channels)

    def _lookup(self, x: np.ndarray, y: np.ndarray, channels) -> tuple[np.ndarray, np.ndarray]:
        u = np.asarray(x, dtype=np.float32) * np.float32(1 / self.res)
        v = np.asarray(y, dtype=np.float32) * np.float32(1 / self.res)
        iu, iv = np.floor(u).astype(np.int32), np.floor(v).astype(np.int32)
        shift = self.tile.bit_length() - 1
        tx, ty = iu >> shift, iv >> shift
        x0, y0 = int(tx.min()), int(ty.min())
        nty = int(ty.max()) - y0 + 1
        key = (tx - x0) * nty + (ty - y0)
        present = np.flatnonzero(np.bincount(key))
        keys = [(x0 + int(k) // nty, y0 + int(k) % nty) for k in present]
        slots = np.full(int(present[-1]) + 1, -1, np.int64)
        for start in range(0, len(keys), self.max_tiles):  # more tiles than slots: several passes
            chunk = range(start, min(start + self.max_tiles, len(keys)))
            keep = {keys[i] for i in chunk}
            if start:
                slots[:] = -1
            for i in chunk:
                slots[present[i]] = self._slot(keys[i], keep)
            part = self._gather(u, v, iu, iv, slots.take(key), channels)
            if start == 0:
                idx, cov = part
            else:
                idx, cov = np.concatenate([idx, part[0]]), np.concatenate([cov, part[1]], axis=1)
        if len(keys) > self.max_tiles:
            order = np.argsort(idx, kind="stable")
            idx, cov = idx[order], cov[:, order]
        return idx, cov

    def _gather(self, u, v, iu, iv, slot, channels):
        t1 = self.tile + 1
        m = self.tile - 1
        base = slot * self._cells + (iv & m).astype(np.int64) * t1 + (iu & m)
        near = np.flatnonzero(slot >= 0)
        near = near[self._pool[-1].take(base.take(near)) > 0]
        b = base.take(near)
        fu = u.take(near) - iu.take(near)
        fv = v.take(near) - iv.take(near)
        cov = np.empty((len(channels), len(near)), np.float32)
        for j, ch in enumerate(channels):
            plane = self._pool[ch]
            c00, c01 = plane.take(b).astype(np.float32), plane.take(b + 1).astype(np.float32)
            c10, c11 = plane.take(b + t1).astype(np.float32), plane.take(b + t1 + 1).astype(np.float32)
            c00 = bilerp(c00, c01, c10, c11, fu, fv)
            c00 *= np.float32(1 / 255)
            cov[j] = c00
        return near, cov


@dataclass(frozen=True)
class BuildingIndex:
    """Which building covers a point: `ids` (nx, ny) uint16 raster (0: none, k: the layout's k-th building) of
    cells `res` m from (`x0`, `y0`), axis order (x, y), over the buildings' bounding box; `heights` (K+1,)
    float32 roof heights in metres by id (heights[0] = 0)."""

    x0: float
    y0: float
    res: float
    ids: np.ndarray
    heights: np.ndarray

    @classmethod
    def build(cls, world, res: float = 0.25) -> "BuildingIndex":
        blds = world.layout.map.buildings
        heights = np.array([0.0] + [b.height for b in blds], dtype=np.float32)
        if not blds:
            return cls(0.0, 0.0, res, np.zeros((1, 1), np.uint16), heights)
        pts = np.vstack([np.asarray(b.footprint, dtype=np.float64) for b in blds])
        x0, y0 = np.floor(pts.min(axis=0)) - 1.0
        x1, y1 = np.ceil(pts.max(axis=0)) + 1.0
        nx, ny = int(np.ceil((x1 - x0) / res)), int(np.ceil((y1 - y0) / res))
        img = Image.new("I", (nx, ny), 0)
        draw = ImageDraw.Draw(img)
        for k, b in enumerate(blds, start=1):
            fp = (np.asarray(b.footprint, dtype=np.float64) - (x0, y0)) / res - 0.5
            draw.polygon([tuple(p) for p in fp], fill=k)
        ids = np.asarray(img).T.astype(np.uint16)
        return cls(float(x0), float(y0), float(res), ids, heights)

    def lookup(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Building id (N,) int32 (0 outside every building) and its roof height (N,) float32 m at world points
        x, y (N,) m."""
        nx, ny = self.ids.shape
        i = np.floor((x - np.float32(self.x0)) * np.float32(1 / self.res)).astype(np.int32)
        j = np.floor((y - np.float32(self.y0)) * np.float32(1 / self.res)).astype(np.int32)
        inside = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
        ids = np.where(inside, self.ids[np.clip(i, 0, nx - 1), np.clip(j, 0, ny - 1)], 0).astype(np.int32)
        return ids, self.heights[ids]
