"""Raster shading of the parts of library shapes (anyscene.shapes): glass, tyres, lights, metal, skin, clothes,
hi-vis, reflectors, bark, foliage, fur, hair, concrete and plates, read per pixel from the camera frame's
`material` map. Paint and "default" keep the class shader's look (vehicle colours, building facades).

Called by the raster renderer after the class shaders: it overrides the surface terms (albedo (3, n), specular
weight and shininess (n,), Fresnel f0 (n,), night emission (3, n)) of the pixels whose material has its own
look. Colours of skin and clothes vary per instance, deterministically.
"""
from __future__ import annotations

import numpy as np

from ..shapes.materials import MATERIAL_ID

# name: (linear albedo RGB, specular weight, shininess, Fresnel f0, night emission RGB)
LOOKS: dict[str, tuple[tuple[float, float, float], float, float, float, tuple[float, float, float]]] = {
    "glass": ((0.03, 0.04, 0.05), 0.9, 300.0, 0.06, (0.0, 0.0, 0.0)),
    "tyre": ((0.025, 0.025, 0.025), 0.05, 8.0, 0.0, (0.0, 0.0, 0.0)),
    "light": ((0.8, 0.75, 0.6), 0.8, 200.0, 0.05, (2.5, 2.2, 1.6)),
    "metal": ((0.45, 0.46, 0.48), 0.6, 60.0, 0.5, (0.0, 0.0, 0.0)),
    "plastic": ((0.05, 0.05, 0.055), 0.2, 20.0, 0.0, (0.0, 0.0, 0.0)),
    "hivis": ((0.75, 0.85, 0.05), 0.1, 10.0, 0.0, (0.0, 0.0, 0.0)),
    "reflector": ((0.85, 0.85, 0.85), 0.6, 80.0, 0.2, (0.0, 0.0, 0.0)),
    "bark": ((0.12, 0.08, 0.05), 0.02, 4.0, 0.0, (0.0, 0.0, 0.0)),
    "foliage": ((0.05, 0.14, 0.04), 0.05, 6.0, 0.0, (0.0, 0.0, 0.0)),
    "fur": ((0.25, 0.17, 0.1), 0.02, 4.0, 0.0, (0.0, 0.0, 0.0)),
    "hair": ((0.04, 0.025, 0.015), 0.15, 20.0, 0.0, (0.0, 0.0, 0.0)),
    "concrete": ((0.42, 0.41, 0.39), 0.03, 6.0, 0.0, (0.0, 0.0, 0.0)),
    "plate": ((0.8, 0.78, 0.7), 0.3, 40.0, 0.05, (0.0, 0.0, 0.0)),
}
SKIN_TONES = np.array([[0.62, 0.43, 0.33], [0.48, 0.31, 0.22], [0.33, 0.21, 0.14], [0.2, 0.12, 0.08],
                       [0.7, 0.52, 0.42]], np.float32)
CLOTH_COLOURS = np.array([[0.03, 0.03, 0.04], [0.1, 0.12, 0.25], [0.35, 0.05, 0.05], [0.3, 0.3, 0.3],
                          [0.05, 0.15, 0.08], [0.55, 0.5, 0.4], [0.02, 0.05, 0.12], [0.6, 0.6, 0.62]], np.float32)

_TABLE: dict[int, tuple] = {MATERIAL_ID[k]: v for k, v in LOOKS.items()}
SKIN, CLOTH = MATERIAL_ID["skin"], MATERIAL_ID["cloth"]


def _pick(palette: np.ndarray, inst: np.ndarray, salt: int) -> np.ndarray:
    """(3, n) colour of each instance from a palette, by a fixed hash of (instance, salt)."""
    h = (inst.astype(np.uint64) * np.uint64(2654435761) + np.uint64(salt)) % np.uint64(len(palette))
    return palette[h.astype(np.intp)].T


def shade_parts(material_map: np.ndarray | None, sub: np.ndarray, inst: np.ndarray, albedo: np.ndarray,
                spec: np.ndarray, shin: np.ndarray, f0: np.ndarray, emit: np.ndarray, ctx=None) -> None:
    """Override, in place, the surface terms of pixels `sub` (flat indices into the frame) whose material (from
    `material_map` (H, W) uint8, None: nothing to do) has its own look; `inst` (n,) their instance ids."""
    if material_map is None:
        return
    mat = material_map.reshape(-1).take(sub)
    if not np.any(mat):
        return
    for mid, (rgb, s, sh, fr, em) in _TABLE.items():
        k = np.flatnonzero(mat == mid)
        if k.size:
            albedo[:, k] = np.asarray(rgb, np.float32)[:, None]
            spec[k], shin[k], f0[k] = s, sh, fr
            emit[:, k] = np.asarray(em, np.float32)[:, None]
    k = np.flatnonzero(mat == SKIN)
    if k.size:
        albedo[:, k] = _pick(SKIN_TONES, inst[k], 17)
        spec[k], shin[k], f0[k] = 0.02, 12.0, 0.0
    k = np.flatnonzero(mat == CLOTH)
    if k.size:
        albedo[:, k] = _pick(CLOTH_COLOURS, inst[k], 5)
        spec[k], shin[k], f0[k] = 0.03, 6.0, 0.0
