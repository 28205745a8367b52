"""What the raster renderer's surface shaders work on: the hit pixels of one class (`Surface`), what every
shader may read (`ShadeContext`, with the agents' boxes as an `AgentTable`), and the small helpers they share
(base colour and gloss from a Material, blending, wall texture coordinates, per-instance colours)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .lighting import srgb_to_linear
from .noise import NoiseBank, hash_u32

if TYPE_CHECKING:
    from ..world.agents import AgentStates
    from .markings import BuildingIndex, MarkingRaster
    from .style import Material, RasterStyle

F = np.float32


@dataclass(frozen=True)
class AgentTable:
    """Agent boxes indexed by instance id (arrays of length max id + 1, unused ids zero): centre x, y (m),
    bottom z (m), cos/sin of yaw, length, width, height (m), and `lamps`: 0 lights off, 1 on, 2 braking, all
    float32."""

    cx: np.ndarray
    cy: np.ndarray
    bottom: np.ndarray
    cos: np.ndarray
    sin: np.ndarray
    length: np.ndarray
    width: np.ndarray
    height: np.ndarray
    lamps: np.ndarray

    @classmethod
    def from_states(cls, st: "AgentStates", lamps: np.ndarray | None = None) -> "AgentTable":
        """The table of AgentStates `st`; `lamps` (N,) per agent of `st` (default: all on)."""
        top = int(np.max(st.instance)) + 1 if len(st.instance) else 1
        arr = np.zeros((9, top), np.float32)
        i = np.asarray(st.instance, dtype=np.int64)
        arr[0, i], arr[1, i] = st.center[:, 0], st.center[:, 1]
        arr[2, i] = st.center[:, 2] - st.size[:, 2] / 2
        arr[3, i], arr[4, i] = np.cos(st.yaw), np.sin(st.yaw)
        arr[5, i], arr[6, i], arr[7, i] = st.size[:, 0], st.size[:, 1], st.size[:, 2]
        arr[8, i] = 1.0 if lamps is None else lamps
        return cls(*arr)


@dataclass(frozen=True)
class ShadeContext:
    """What every shader may read besides its pixels: the style, the combined seed, the noise tables, the
    night factor (0 day .. 1 night), and the optional world lookups."""

    style: "RasterStyle"
    seed: int
    noise: NoiseBank
    night: float
    markings: "MarkingRaster | None"
    buildings: "BuildingIndex | None"
    agents: AgentTable | None


@dataclass
class Surface:
    """Hit pixels of one class (n of them) and their material outputs, views into the frame's arrays.

    Inputs: p (3, n) world hit points m, nrm (3, n) unit world normals, foot (n,) pixel footprint m,
    dist (n,) m from the camera, inst (n,) uint16 instance ids. Outputs: albedo (3, n) linear RGB, spec (n,),
    shin (n,) Blinn-Phong exponent, f0 (n,) Fresnel reflectance of sky reflections, emit (3, n) radiance."""

    cls: int
    p: np.ndarray
    nrm: np.ndarray
    foot: np.ndarray
    dist: np.ndarray
    inst: np.ndarray
    albedo: np.ndarray
    spec: np.ndarray
    shin: np.ndarray
    f0: np.ndarray
    emit: np.ndarray


def column(rgb) -> np.ndarray:
    """A colour as a (3, 1) column, to assign or blend into (3, n) planes."""
    return srgb_to_linear(rgb)[:, None]


def shininess(roughness: float) -> float:
    """Blinn-Phong exponent of a roughness 0..1 (the usual 2/α² - 2 with α = roughness²)."""
    a = max(roughness, 0.05) ** 2
    return float(np.clip(2.0 / (a * a) - 2.0, 2.0, 4000.0))


def apply_material(s: Surface, mat: "Material", value: np.ndarray | None = None, color: np.ndarray | None = None) -> None:
    """Albedo = colour (the material's, or per-pixel (3, n) `color`) × (1 + jitter·value), value ≈ N(0, 1)
    noise (n,); gloss from the material's roughness and specular."""
    col = srgb_to_linear(mat.color) if color is None else color
    if value is None:
        s.albedo[:] = col[:, None] if col.ndim == 1 else col
    else:
        f = value * F(mat.jitter)
        f += F(1.0)
        np.clip(f, 0.05, 3.0, out=f)
        for k in range(3):
            np.multiply(f, col[k], out=s.albedo[k])
    s.spec[:] = mat.specular
    s.shin[:] = shininess(mat.roughness)


def blend(s: Surface, sel, color: np.ndarray, amount: np.ndarray) -> None:
    """albedo[:, sel] moves towards `color` ((3,) or (3, m)) by `amount` (m,) 0..1."""
    for k in range(3):
        a = s.albedo[k, sel]
        s.albedo[k, sel] = a + amount * (color[k] - a)


def wall_uv(p: np.ndarray, nrm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Texture coordinates (n,) each: ground-plane x, y on up-facing surfaces; on walls the horizontal
    position along the wall and the height."""
    horiz = np.abs(nrm[2]) > 0.7
    hn = np.hypot(nrm[0], nrm[1]) + F(1e-6)
    u = np.where(horiz, p[0], (p[1] * nrm[0] - p[0] * nrm[1]) / hn)
    v = np.where(horiz, p[1], p[2])
    return u.astype(np.float32, copy=False), v.astype(np.float32, copy=False)


def pick_colors(seed: int, ids: np.ndarray, palette, salt: int) -> np.ndarray:
    """Linear RGB (3, N) float32: one palette colour per integer id (N,), chosen by hash (same id, same
    colour)."""
    lin = np.ascontiguousarray(srgb_to_linear(palette).T)
    ids = np.asarray(ids)
    if ids.size == 0:
        return np.zeros((3, 0), np.float32)
    top = int(ids.max()) + 1
    if top <= 1 << 16:  # colour table per id, then one gather per channel
        table = lin.take(hash_u32(seed, np.arange(top), salt) % np.uint32(lin.shape[1]), axis=1)
        return table.take(ids, axis=1)
    return lin.take(hash_u32(seed, ids, salt) % np.uint32(lin.shape[1]), axis=1)
