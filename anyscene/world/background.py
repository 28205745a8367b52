"""A reconstructed background (`map.background`): the recorded ground as a height field and the recorded static
structures (buildings, walls, vegetation, poles, unannotated parked objects) as surfels, each element with its
Occ3D class, colour and LiDAR intensity. Written by the nuScenes importer (anyscene.importers.nuscenes.background),
read here, and turned into the static triangles every sensor sees (`background_mesh`).

File format (.npz, every array world frame, metres):
- `format` () int: BACKGROUND_FORMAT
- `ground_origin` (2,) float64: x, y of cell [0, 0]'s lower-left corner; `ground_res` () float64: cell size
- `ground_z` (nx, ny) float32: ground height at the cell centre (nan: no ground there)
- `ground_cls` (nx, ny) uint8: Occ3D class (driveable_surface, sidewalk, terrain, other_flat)
- `ground_colour` (nx, ny, 3) uint8 sRGB; `ground_intensity` (nx, ny) float32 mean recorded LiDAR intensity
- `surfel_center` (S, 3) float32, `surfel_normal` (S, 3) float32 unit, `surfel_radius` (S,) float32 half side of
  the square surfel, `surfel_cls` (S,) uint8 Occ3D class (manmade, vegetation, others), `surfel_pole` (S,) bool
  (a pole: class manmade), `surfel_colour` (S, 3) uint8, `surfel_intensity` (S,) float32
- optional: `ground_coloured` (nx, ny) bool and `surfel_coloured` (S,) bool, whether a recorded image coloured
  the element (absent: all were); an element no camera saw keeps a neutral grey and is drawn in the renderer's
  own material of its class instead
- optional: `surfel_transmit` (S,) float32 in [0, 1], the share of the recorded LiDAR beams that crossed the
  surfel's square and returned from beyond it (foliage, fences, the ragged edges of a surface): the LiDAR lets
  that share of its beams through; cameras, radar and the occupancy see the surfel whole (absent: all solid)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..classes import OCC3D_NAMES
from ..errors import AnySceneError

BACKGROUND_FORMAT = 1
MAX_BYTES = 512 * 1024 * 1024  # a background file larger than this is refused (memory stays bounded)


class BackgroundError(AnySceneError):
    """A background file that is missing, corrupt or inconsistent."""


@dataclass(frozen=True)
class Background:
    """The arrays of a background file (see the module docstring for shapes, dtypes and units)."""

    ground_origin: np.ndarray
    ground_res: float
    ground_z: np.ndarray
    ground_cls: np.ndarray
    ground_colour: np.ndarray
    ground_intensity: np.ndarray
    surfel_center: np.ndarray
    surfel_normal: np.ndarray
    surfel_radius: np.ndarray
    surfel_cls: np.ndarray
    surfel_pole: np.ndarray
    surfel_colour: np.ndarray
    surfel_intensity: np.ndarray
    ground_coloured: np.ndarray | None = None
    surfel_coloured: np.ndarray | None = None
    surfel_transmit: np.ndarray | None = None

    @property
    def num_surfels(self) -> int:
        return int(self.surfel_center.shape[0])

    def validate(self, where: str = "background") -> None:
        """Raise BackgroundError (naming `where`) unless shapes, dtypes, classes and values are consistent."""
        nx, ny = self.ground_z.shape
        s = self.num_surfels
        want = {"ground_cls": (nx, ny), "ground_colour": (nx, ny, 3), "ground_intensity": (nx, ny),
                "surfel_center": (s, 3), "surfel_normal": (s, 3), "surfel_radius": (s,), "surfel_cls": (s,),
                "surfel_pole": (s,), "surfel_colour": (s, 3), "surfel_intensity": (s,),
                "ground_coloured": (nx, ny), "surfel_coloured": (s,), "surfel_transmit": (s,)}
        for name, shape in want.items():
            if getattr(self, name) is None:
                continue
            got = getattr(self, name).shape
            if got != shape:
                raise BackgroundError(f"{where}: array '{name}' has shape {got}, expected {shape}")
        if not (np.isfinite(self.ground_res) and self.ground_res > 0) or not np.all(np.isfinite(self.ground_origin)):
            raise BackgroundError(f"{where}: ground_origin / ground_res must be finite, ground_res > 0")
        for name in ("surfel_center", "surfel_normal", "surfel_radius", "surfel_intensity", "ground_intensity"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise BackgroundError(f"{where}: array '{name}' holds NaN or infinite values")
        if np.any(self.surfel_radius <= 0) or np.any(self.surfel_radius > 5.0):
            raise BackgroundError(f"{where}: surfel_radius must lie in (0, 5] m")
        tr = self.surfel_transmit
        if tr is not None and not np.all((tr >= 0.0) & (tr <= 1.0)):  # NaN fails too
            raise BackgroundError(f"{where}: array 'surfel_transmit' must lie in [0, 1]")
        for name in ("ground_cls", "surfel_cls"):
            bad = getattr(self, name) >= len(OCC3D_NAMES) - 1
            if np.any(bad):
                raise BackgroundError(f"{where}: array '{name}' holds class ids that are not Occ3D classes")


_DTYPES = {"ground_origin": np.float64, "ground_z": np.float32, "ground_cls": np.uint8, "ground_colour": np.uint8,
           "ground_intensity": np.float32, "surfel_center": np.float32, "surfel_normal": np.float32,
           "surfel_radius": np.float32, "surfel_cls": np.uint8, "surfel_pole": np.bool_, "surfel_colour": np.uint8,
           "surfel_intensity": np.float32}
_OPTIONAL = {"ground_coloured": np.bool_, "surfel_coloured": np.bool_, "surfel_transmit": np.float32}


def save_background(bg: Background, path: str | Path) -> None:
    """Write `bg` to `path` (.npz, compressed), atomically: a temporary file renamed into place."""
    bg.validate(str(path))
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    arrays = {k: np.asarray(getattr(bg, k), dtype=d) for k, d in _DTYPES.items()}
    arrays.update({k: np.asarray(getattr(bg, k), dtype=d) for k, d in _OPTIONAL.items() if getattr(bg, k) is not None})
    with open(tmp, "wb") as f:
        np.savez_compressed(f, format=np.int64(BACKGROUND_FORMAT), ground_res=np.float64(bg.ground_res), **arrays)
    tmp.replace(path)


def load_background(path: str | Path) -> Background:
    """Read and validate a background file; BackgroundError naming the file when it is missing or corrupt."""
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise BackgroundError(f"{path}: background file not found (map.background names it, relative to the "
                              "layout file)")
    if path.stat().st_size > MAX_BYTES:
        raise BackgroundError(f"{path}: background file larger than {MAX_BYTES // 2**20} MiB")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = sorted((set(_DTYPES) | {"format", "ground_res"}) - set(z.files))
            if missing:
                raise BackgroundError(f"{path}: not a background file: arrays {', '.join(missing)} missing")
            if int(z["format"]) != BACKGROUND_FORMAT:
                raise BackgroundError(f"{path}: background format {int(z['format'])}, this version reads "
                                      f"{BACKGROUND_FORMAT}")
            arrays = {k: np.asarray(z[k]).astype(d, copy=False) for k, d in _DTYPES.items()}
            arrays.update({k: np.asarray(z[k]).astype(d, copy=False) for k, d in _OPTIONAL.items() if k in z.files})
            res = float(z["ground_res"])
    except BackgroundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise BackgroundError(f"{path}: corrupt background file ({type(e).__name__}: {e})") from None
    bg = Background(ground_res=res, **arrays)
    bg.validate(str(path))
    return bg


def ground_height(bg: Background, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear ground height (N,) at world points (cell-centre samples; nan outside the ground)."""
    fx = (np.asarray(x, np.float64) - bg.ground_origin[0]) / bg.ground_res - 0.5
    fy = (np.asarray(y, np.float64) - bg.ground_origin[1]) / bg.ground_res - 0.5
    nx, ny = bg.ground_z.shape
    i = np.clip(np.floor(fx).astype(np.int64), 0, nx - 2)
    j = np.clip(np.floor(fy).astype(np.int64), 0, ny - 2)
    u, v = np.clip(fx - i, 0, 1), np.clip(fy - j, 0, 1)
    z = bg.ground_z
    out = ((1 - u) * (1 - v) * z[i, j] + u * (1 - v) * z[i + 1, j] + (1 - u) * v * z[i, j + 1] + u * v * z[i + 1, j + 1])
    inside = (fx >= -0.5) & (fx <= nx - 0.5) & (fy >= -0.5) & (fy <= ny - 0.5)
    return np.where(inside, out, np.nan)


def ground_cells(bg: Background, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ground cell under each world point (N,): its height (nan where the background has no ground there,
    or outside it) and its Occ3D class."""
    nx, ny = bg.ground_z.shape
    i = np.floor((np.asarray(x, np.float64) - bg.ground_origin[0]) / bg.ground_res).astype(np.int64)
    j = np.floor((np.asarray(y, np.float64) - bg.ground_origin[1]) / bg.ground_res).astype(np.int64)
    inside = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
    ic, jc = np.clip(i, 0, nx - 1), np.clip(j, 0, ny - 1)
    z = np.where(inside, bg.ground_z[ic, jc], np.nan)
    return z, bg.ground_cls[ic, jc]


SURFEL_SAMPLES = (-2.0 / 3.0, 0.0, 2.0 / 3.0)  # lattice of a surfel's occupancy samples, in half sides


def _tangents(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit tangents (N, 3) of unit normals (N, 3), the square surfel's edge directions."""
    n = normal.astype(np.float64)
    ref = np.where(np.abs(n[:, 2:3]) < 0.9, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]))
    t1 = np.cross(n, ref)
    t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
    return t1, np.cross(n, t1)


def _surfel_axes(bg: Background) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every square surfel's centre (S, 3) and its two half-side edge vectors (S, 3) each, float64."""
    t1, t2 = _tangents(bg.surfel_normal)
    r = bg.surfel_radius.astype(np.float64)[:, None]
    return bg.surfel_center.astype(np.float64), r * t1, r * t2


def surfel_corners(bg: Background) -> np.ndarray:
    """The four corners (S, 4, 3) float64 of every square surfel, in order around it."""
    c0, e1, e2 = _surfel_axes(bg)
    return np.stack([c0 - e1 - e2, c0 + e1 - e2, c0 + e1 + e2, c0 - e1 + e2], 1)


def surfel_triangles(n: int, first_vertex: int = 0) -> np.ndarray:
    """(2n, 3) vertex indices of the two triangles of each of n square surfels whose corners (surfel_corners,
    four each) start at vertex `first_vertex`: surfel i's triangles are rows i and n + i."""
    base = first_vertex + 4 * np.arange(n, dtype=np.int64)
    return np.concatenate([np.stack([base, base + 1, base + 2], 1), np.stack([base, base + 2, base + 3], 1)])


def structure_samples(bg: Background) -> tuple[np.ndarray, np.ndarray]:
    """World-frame points (N, 3) float64 standing for the structures in an occupancy grid, and their Occ3D ids
    (N,) uint8: each square surfel sampled on a 3 × 3 lattice at 0 and ±2/3 of its half side, so that at
    most 1/3 of a half side (≤ 0.17 m) separates neighbouring samples and a surfel fills every 0.4 m voxel its
    square crosses (the Occ3D rule: a voxel is occupied where the surface passes through it)."""
    c0, e1, e2 = _surfel_axes(bg)
    offsets = [(a, b) for a in SURFEL_SAMPLES for b in SURFEL_SAMPLES]
    pts = np.concatenate([c0 + a * e1 + b * e2 for a, b in offsets])
    return pts, np.tile(bg.surfel_cls, len(offsets)).astype(np.uint8)


@dataclass(frozen=True)
class BackgroundMesh:
    """The background as triangles: `vertices` (V, 3) float32, `triangles` (T, 3) uint32, per triangle `occ3d`
    (T,) uint8, `normal` (T, 3) float32, `intensity` (T,) float32 and `transmit` (T,) float32 (the share of
    LiDAR beams that pass through it: 0 for the ground and for solid surfels), and per vertex
    `vertex_colour` (V, 3) uint8 (a ground vertex is a cell centre: its cell's colour; a surfel's corners: the
    surfel's), so cameras see the recorded colours blended across the ground instead of in blocks; `coloured`
    (T,) bool: every corner of the triangle was coloured by a recorded image."""

    vertices: np.ndarray
    triangles: np.ndarray
    occ3d: np.ndarray
    normal: np.ndarray
    intensity: np.ndarray
    vertex_colour: np.ndarray
    coloured: np.ndarray
    transmit: np.ndarray


def background_mesh(bg: Background) -> BackgroundMesh:
    """Two triangles per ground quad (between four neighbouring cell centres that all have a height; class,
    colour and intensity of the quad's first cell) and two per square surfel (centred, normal to its normal)."""
    nx, ny = bg.ground_z.shape
    gx = bg.ground_origin[0] + bg.ground_res * (np.arange(nx) + 0.5)
    gy = bg.ground_origin[1] + bg.ground_res * (np.arange(ny) + 0.5)
    X, Y = np.meshgrid(gx, gy, indexing="ij")
    gv = np.stack([X, Y, np.nan_to_num(bg.ground_z)], axis=-1).reshape(-1, 3)
    ok = np.isfinite(bg.ground_z)
    quad = ok[:-1, :-1] & ok[1:, :-1] & ok[:-1, 1:] & ok[1:, 1:]
    qi, qj = np.nonzero(quad)
    a, b = qi * ny + qj, (qi + 1) * ny + qj
    c, d = (qi + 1) * ny + qj + 1, qi * ny + qj + 1
    gtri = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    gsel = np.concatenate([qi * ny + qj] * 2)
    # Surfels: square of half side r spanned by two tangents of the normal.
    corners = surfel_corners(bg)
    s = bg.num_surfels
    stri = surfel_triangles(s, len(gv))
    vertices = np.vstack([gv, corners.reshape(-1, 3)]).astype(np.float32)
    triangles = np.vstack([gtri, stri]).astype(np.uint32)
    gcls, gcol, gint = (bg.ground_cls.reshape(-1), bg.ground_colour.reshape(-1, 3), bg.ground_intensity.reshape(-1))
    occ3d = np.concatenate([gcls[gsel], np.tile(bg.surfel_cls, 2)]).astype(np.uint8)
    intensity = np.concatenate([gint[gsel], np.tile(bg.surfel_intensity, 2)]).astype(np.float32)
    v = vertices[triangles].astype(np.float64)
    fn = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    fn /= np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-12)
    vertex_colour = np.vstack([gcol, np.repeat(bg.surfel_colour, 4, axis=0)]).astype(np.uint8)
    gok = bg.ground_coloured.reshape(-1) if bg.ground_coloured is not None else np.ones(nx * ny, bool)
    sok = bg.surfel_coloured if bg.surfel_coloured is not None else np.ones(s, bool)
    quad_ok = gok[a] & gok[b] & gok[c] & gok[d]
    coloured = np.concatenate([quad_ok, quad_ok, np.tile(sok, 2)])
    stm = bg.surfel_transmit if bg.surfel_transmit is not None else np.zeros(s, np.float32)
    transmit = np.concatenate([np.zeros(2 * len(qi), np.float32), np.tile(stm, 2)]).astype(np.float32)
    return BackgroundMesh(vertices, triangles, occ3d, fn.astype(np.float32), intensity, vertex_colour, coloured,
                          transmit)
