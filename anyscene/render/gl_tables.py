"""The raster renderer's look as GL textures, so the GL renderer's shaders read the very tables the numpy
shaders read: the noise tables with their mip chains (anyscene.render.materials.NoiseTable), the painted
markings and kerbs (anyscene.render.markings.MarkingRaster, every painted tile in an atlas), which building
covers a point (BuildingIndex), per-class materials and body plans, the palettes, the looks of shape parts
(anyscene.render.parts) and, per instant, the agents' boxes (materials.AgentTable).

Each builder returns plain numpy arrays (what is uploaded), so the layout of a texture is testable without a
GL context."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classes import OCC3D_ID, OCC3D_NAMES

KIND = {"plain": 0, "asphalt": 1, "concrete": 2, "paving": 3, "grass": 4, "foliage": 5, "facade": 6,
        "vehicle": 7, "cycle": 8, "person": 9, "cone": 10, "barrier": 11}
HAIR = ((30, 24, 20), (60, 44, 30), (20, 20, 20), (120, 100, 70))  # materials.person's hair colours
PALETTE_WIDTH = 32  # colours per palette row (longer palettes are cut)


def _lin(rgb) -> np.ndarray:
    from .lighting import srgb_to_linear

    return srgb_to_linear(rgb)


@dataclass(frozen=True)
class Palettes:
    """`rows` (R, PALETTE_WIDTH, 4) float32 linear RGB of every palette, `length` (R,) int colours per row,
    `row` name -> row index (the style's palettes, then "hair", "parts_skin", "parts_cloth")."""

    rows: np.ndarray
    length: np.ndarray
    row: dict


def palettes(style) -> Palettes:
    from .parts import CLOTH_COLOURS, SKIN_TONES

    named = [(k, _lin(v)) for k, v in style.palettes.items()]
    named += [("hair", _lin(HAIR)), ("parts_skin", SKIN_TONES), ("parts_cloth", CLOTH_COLOURS)]
    rows = np.zeros((len(named), PALETTE_WIDTH, 4), np.float32)
    length = np.zeros(len(named), np.int32)
    for r, (_, cols) in enumerate(named):
        cols = np.asarray(cols, np.float32)[:PALETTE_WIDTH]
        rows[r, :len(cols), :3] = cols
        length[r] = len(cols)
    return Palettes(rows, length, {k: r for r, (k, _) in enumerate(named)})


def materials(style, pal: Palettes) -> np.ndarray:
    """(6, 256, 4) float32 per Occ3D class: row 0 linear colour + jitter; 1 specular, shininess, kind, scale;
    2 palette row (-1: none), the class's default height, 0, 0; 3 the vehicle body plan's glass band low and
    high, cab (-1: none), pillar; 4 wheels front and rear, cargo, 0; 5 unused."""
    from .agent_materials import BODY, _default_height
    from .surface import shininess

    out = np.zeros((6, 256, 4), np.float32)
    car = BODY[OCC3D_ID["car"]]
    for i, name in enumerate(OCC3D_NAMES):
        m = style.materials.get(name)
        if m is None:
            continue
        out[0, i, :3], out[0, i, 3] = _lin(m.color), m.jitter
        out[1, i] = (m.specular, shininess(m.roughness), KIND[m.texture], m.scale)
        out[2, i] = (pal.row[m.palette] if m.palette else -1, _default_height(i), 0, 0)
        plan = BODY.get(i, car)
        out[3, i] = (plan.glass[0], plan.glass[1], -1.0 if plan.cab is None else plan.cab, plan.pillar)
        out[4, i] = (plan.wheels[0], plan.wheels[1], float(plan.cargo), 0.0)
    return out


def vehicle_parts(style, night: float) -> np.ndarray:
    """(3, 8, 4) float32 per vehicle part id (materials._GLASS .. _TAIL): row 0 linear albedo + specular,
    1 shininess, f0, 0, 0, 2 night emission (already × night)."""
    from .agent_materials import _GLASS, _PARTS, _TRIM

    out = np.zeros((3, 8, 4), np.float32)
    colours = {_GLASS: style.vehicle_glass, _TRIM: style.tire}
    for k, (rgb, spec, shin, f0, emission) in _PARTS.items():
        out[0, k, :3], out[0, k, 3] = _lin(colours.get(k, rgb)), spec
        out[1, k, :2] = shin, f0
        if emission is not None:
            out[2, k, :3] = _lin(emission[0]) * np.float32(emission[1] * night)
    return out


def shape_parts() -> np.ndarray:
    """(3, 32, 4) float32 per shape material id (anyscene.shapes.materials): row 0 albedo + specular, 1
    emission + shininess, 2 f0, look (0: the class shader's, 1: the table's, 2: skin, 3: cloth), 0, 0."""
    from ..shapes.materials import MATERIAL_ID
    from .parts import CLOTH, LOOKS, SKIN

    out = np.zeros((3, 32, 4), np.float32)
    for name, (rgb, spec, shin, f0, emit) in LOOKS.items():
        k = MATERIAL_ID[name]
        out[0, k] = (*rgb, spec)
        out[1, k] = (*emit, shin)
        out[2, k, :2] = (f0, 1.0)
    out[2, SKIN, 1], out[1, SKIN, 3], out[0, SKIN, 3] = 2.0, 12.0, 0.02
    out[2, CLOTH, 1], out[1, CLOTH, 3], out[0, CLOTH, 3] = 3.0, 6.0, 0.03
    return out


def noise_levels(table) -> list[np.ndarray]:
    """The mip chain of a NoiseTable as (size, size) float32 arrays, level 0 first."""
    out = []
    for size, off in zip(table.sizes, table.offsets):
        out.append(table.flat[off:off + int(size) ** 2].reshape(int(size), int(size)))
    return out


@dataclass(frozen=True)
class MarkingAtlas:
    """Every painted tile of a MarkingRaster: `index` (ny, nx) int32 slot + 1 of tile (tx0 + i, ty0 + j) at
    [j, i] (0: nothing painted), `tiles` (S, T+1, T+1, 4) uint8 the tiles' white, yellow, kerb coverage (and the
    raster's near flag) at [slot, row v, column u]; `res` m per cell, `tile` T cells per tile."""

    tx0: int
    ty0: int
    index: np.ndarray
    tiles: np.ndarray
    res: float
    tile: int


def marking_atlas(raster) -> MarkingAtlas:
    """All tiles of `raster` that its shapes touch, rasterized as the raster renderer rasterizes them."""
    t, r = raster.tile, raster.res
    n = t + 1
    if not raster._geoms:
        return MarkingAtlas(0, 0, np.zeros((1, 1), np.int32), np.zeros((1, n, n, 4), np.uint8), r, t)
    from shapely import bounds

    b = bounds(np.asarray(raster._geoms, dtype=object))
    x0, y0 = float(np.min(b[:, 0])), float(np.min(b[:, 1]))
    x1, y1 = float(np.max(b[:, 2])), float(np.max(b[:, 3]))
    tx0, ty0 = int(np.floor(x0 / r / t)) - 1, int(np.floor(y0 / r / t)) - 1
    tx1, ty1 = int(np.floor(x1 / r / t)) + 1, int(np.floor(y1 / r / t)) + 1
    index = np.zeros((ty1 - ty0 + 1, tx1 - tx0 + 1), np.int32)
    tiles = []
    for i in range(tx1 - tx0 + 1):
        for j in range(ty1 - ty0 + 1):
            arr = raster._rasterize(tx0 + i, ty0 + j)
            if arr is None:
                continue
            tiles.append(np.ascontiguousarray(arr.reshape(4, n, n).transpose(1, 2, 0)))
            index[j, i] = len(tiles)
    if not tiles:
        tiles = [np.zeros((n, n, 4), np.uint8)]
    return MarkingAtlas(tx0, ty0, index, np.stack(tiles), r, t)


def agent_table(states, lamps) -> np.ndarray:
    """(3, N, 4) float32 by instance id of the AgentTable of AgentStates `states` (lamps per agent): rows
    (cx, cy, bottom, cos yaw), (sin yaw, length, width, height), (lamps, 0, 0, 0)."""
    from .surface import AgentTable

    a = AgentTable.from_states(states, lamps)
    n = len(a.cx)
    out = np.zeros((3, n, 4), np.float32)
    out[0] = np.stack([a.cx, a.cy, a.bottom, a.cos], 1)
    out[1] = np.stack([a.sin, a.length, a.width, a.height], 1)
    out[2, :, 0] = a.lamps
    return out
