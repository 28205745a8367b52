"""The drivable area of a nuScenes log from its semantic-prior map mask (`maps/<token>.png`), traced into
polygons around the ego's path.

The mask follows the devkit's `MapMask`: 8-bit, 255 = drivable, `MAP_RES` m per pixel, the image's bottom-left
corner at global (0, 0), rows running north to south. Only the rows down to the window's southern edge are
decoded (a log's mask is up to ~36k × 32k pixels). Contours are traced with OpenCV, nested to any depth:
outlines at even depth are drivable, holes at odd depth are the map's ground; the areas are listed outermost
first, so the layout paints them in the mask's own nesting.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import DatasetError
from ...layout.schema import Area

MAP_RES = 0.1  # m per pixel of the nuScenes map masks
SIMPLIFY = 0.1  # m: outline simplification tolerance
MIN_AREA = 2.0  # m²: smaller specks of the mask are dropped


def read_window(path: Path, window: tuple[float, float, float, float]) -> tuple[np.ndarray, float, float]:
    """The mask pixels covering global `window` (xmin, ymin, xmax, ymax) m, clipped to the image: a (rows, cols)
    bool array, rows north to south, and the global (x, y) of its top-left pixel corner."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # map masks are legitimately huge
    try:
        im = Image.open(path)
    except (OSError, ValueError) as e:
        raise DatasetError(f"{path}: cannot read the map mask: {e}") from None
    width, height = im.size
    x0, y0, x1, y1 = window
    c0, c1 = max(0, int(np.floor(x0 / MAP_RES))), min(width, int(np.ceil(x1 / MAP_RES)))
    r0, r1 = max(0, int(np.floor(height - y1 / MAP_RES))), min(height, int(np.ceil(height - y0 / MAP_RES)))
    if c0 >= c1 or r0 >= r1:
        return np.zeros((0, 0), dtype=bool), c0 * MAP_RES, (height - r0) * MAP_RES
    try:
        _decode_rows(im, r1)
        band = np.asarray(im.convert("L"))[r0:r1, c0:c1] > 127
    except (OSError, ValueError) as e:
        raise DatasetError(f"{path}: cannot decode the map mask: {e}") from None
    return band, c0 * MAP_RES, (height - r0) * MAP_RES


def _decode_rows(im, rows: int) -> None:
    """Decode only the first `rows` rows of a single-tile, non-interlaced image (PNG rows come in order)."""
    tile = list(getattr(im, "tile", []) or [])
    if (len(tile) == 1 and rows < im.size[1] and im.mode in ("L", "1", "P")
            and not im.info.get("interlace") and hasattr(im, "_size")):
        t = tile[0]
        im._size = (im.size[0], rows)
        im.tile = [t._replace(extents=(0, 0, im.size[0], rows)) if hasattr(t, "_replace")
                   else (t[0], (0, 0, im.size[0], rows)) + tuple(t[2:])]
    im.load()


def trace_drivable(path: Path, window: tuple[float, float, float, float], origin: tuple[float, float],
                   ground: str) -> tuple[Area, ...]:
    """Areas of the drivable surface inside global `window`, in the world frame (global = world + origin):
    driveable_surface outlines and `ground`-class holes, outermost first."""
    import cv2
    from shapely.geometry import Polygon

    mask, gx0, gy_top = read_window(path, window)
    if mask.size == 0 or not mask.any():
        return ()
    # One pixel of padding keeps outlines that touch the window's edge closed.
    padded = np.pad(mask.astype(np.uint8), 1)
    contours, hierarchy = cv2.findContours(padded, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return ()
    parents = hierarchy[0][:, 3]
    depth = np.zeros(len(contours), dtype=np.int64)
    for i in range(len(contours)):
        p, d = parents[i], 0
        while p >= 0:
            d, p = d + 1, parents[p]
        depth[i] = d
    areas = []
    for i in np.argsort(depth, kind="stable"):
        px = contours[i].reshape(-1, 2).astype(np.float64) - 1.0  # undo the padding
        if len(px) < 3:
            continue
        x = gx0 + (px[:, 0] + 0.5) * MAP_RES - origin[0]
        y = gy_top - (px[:, 1] + 0.5) * MAP_RES - origin[1]
        for poly in _valid_parts(Polygon(np.stack([x, y], axis=1))):
            ring = tuple((round(float(a), 3), round(float(b), 3)) for a, b in np.asarray(poly.exterior.coords)[:-1])
            if len(set(ring)) >= 3 and Polygon(ring).is_valid:  # still simple at mm resolution
                cls = "driveable_surface" if depth[i] % 2 == 0 else ground
                areas.append(Area(cls=cls, polygon=ring))
    return tuple(areas)


def _valid_parts(poly) -> list:
    """Simple polygons of at least MIN_AREA from a traced outline (pinched outlines split into parts)."""
    from shapely.geometry import MultiPolygon, Polygon

    shape = poly.buffer(0).simplify(SIMPLIFY, preserve_topology=True)
    parts = list(shape.geoms) if isinstance(shape, MultiPolygon) else [shape]
    out = []
    for p in parts:
        if not isinstance(p, Polygon) or p.is_empty or p.area < MIN_AREA:
            continue
        outline = Polygon(p.exterior)
        if outline.is_valid and len(outline.exterior.coords) >= 4:
            out.append(outline)
    return out
