"""Wet ground in rain: water fills the pores of asphalt and paving, so the surface darkens (about half the dry
albedo: Lekner & Dorf, "Why some things are darker when wet", Appl. Opt. 27, 1988) and turns into a partial
mirror, with puddles (procedural, fixed to the world) that reflect the sky, the street and the lights."""
from __future__ import annotations

import numpy as np

from ..classes import OCC3D_ID

F = np.float32
# Ground classes that get wet: darkening factor at full wetness, and whether water pools on them.
WET: dict[int, tuple[float, bool]] = {
    OCC3D_ID["driveable_surface"]: (0.5, True), OCC3D_ID["other_flat"]: (0.6, True),
    OCC3D_ID["sidewalk"]: (0.6, True), OCC3D_ID["terrain"]: (0.8, False), OCC3D_ID["manmade"]: (0.85, False),
}


def wet(s, ctx, wetness: float) -> None:
    """Make the Surface `s` (anyscene.render.surface.Surface) of one class wet by `wetness` 0..1, in place:
    darker albedo, glossy highlights on up-facing parts, and puddles (fbm noise above a threshold) with
    a mirror finish (water's Fresnel reflectance)."""
    dark, pools = WET.get(s.cls, (1.0, False))
    if wetness <= 0 or dark >= 1.0 and not pools:
        return
    s.albedo *= F(1.0 - (1.0 - dark) * wetness)
    if not pools:
        return
    up = np.clip(s.nrm[2], 0.0, 1.0)
    puddle = ctx.noise.fbm.bilinear(s.p[0] + F(37.0), s.p[1] - F(11.0), 0.9)
    puddle -= F(0.55)
    puddle *= F(2.5)
    np.clip(puddle, 0.0, 1.0, out=puddle)
    puddle *= up
    # The thin film on the rough surface gives glossy highlights (lights, sun) but no clear mirror image;
    # puddles are mirrors: water's Fresnel reflectance f0 = 0.02 where they are.
    np.maximum(s.f0, np.where(puddle > F(0.1), F(0.02 * wetness), F(0.0)), out=s.f0)
    s.spec += F(0.5 * wetness) * up
    np.maximum(s.shin, F(60.0) + F(800.0) * puddle, out=s.shin)
    s.albedo *= F(1.0) - F(0.4) * puddle
