"""The ground and plain surface shaders of the raster renderer, and `SHADERS`, the shader of every texture
kind. A shader fills albedo (linear RGB), specular strength, Blinn-Phong exponent, Fresnel reflectance and
emission for the hit pixels of one class, from their world-space hit points and normals, so patterns stay fixed
to the world as the camera moves. Building walls are in facade.py, vehicles, people and props in
agent_materials.py."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from .agent_materials import barrier, cone, cycle, person, vehicle
from .facade import facade
from .lighting import srgb_to_linear
from .noise import hash01
from .surface import ShadeContext, Surface, apply_material, blend, wall_uv

if TYPE_CHECKING:
    from .style import Material

F = np.float32


def asphalt(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    x, y = s.p[0], s.p[1]
    nb = ctx.noise
    v = nb.fbm.bilinear(x, y, 1.6)  # broad variation and darker stains
    v *= F(0.6)
    v += F(0.6) * nb.grain.nearest(x, y, mat.scale, s.foot)
    apply_material(s, mat, v)
    if ctx.markings is None:
        return
    near = np.flatnonzero(s.dist < ctx.style.marking_distance)
    if near.size == 0:
        return
    sel, cov = ctx.markings.lookup(x.take(near), y.take(near), (0, 1))
    if sel.size == 0:
        return
    idx = near.take(sel)
    white, yellow = cov
    total = white + yellow
    np.maximum(total, F(1e-6), out=total)
    cw, cy = srgb_to_linear(ctx.style.marking_white), srgb_to_linear(ctx.style.marking_yellow)
    xs, ys = x.take(idx), y.take(idx)
    wear = nb.fbm.bilinear(xs, ys, 0.15)
    g = nb.grain.nearest(xs, ys, 0.01, s.foot.take(idx))
    keep = np.clip(1.0 - ctx.style.marking_wear * (0.6 + 0.5 * wear + 0.3 * g), 0.0, 1.0)
    amount = np.minimum(total, 1.0) * keep
    paint = np.stack([(white * cw[k] + yellow * cy[k]) / total * (1.0 + 0.08 * g) for k in range(3)])
    blend(s, idx, paint, amount)
    s.spec[idx] += amount * F(0.1)


def _tiles(u: np.ndarray, v: np.ndarray, size: float, joint: float, foot: np.ndarray, offset_rows: bool):
    """Tile indices (iu, iv) and a joint mask 0..1 (1 in the joints, averaged out where a pixel covers more
    than a joint's width) of a grid of `size` m tiles with `joint` m wide joints."""
    fv = v * F(1.0 / size)
    iv = np.floor(fv).astype(np.int32)
    fu = u * F(1.0 / size)
    if offset_rows:
        fu += F(0.5) * (iv & 1)
    iu = np.floor(fu).astype(np.int32)
    fu -= iu
    fv -= iv
    fu -= F(0.5)
    fv -= F(0.5)
    edge = np.maximum(np.abs(fu), np.abs(fv))
    np.subtract(F(0.5), edge, out=edge)  # distance to the nearest joint, in tiles
    scale = foot * F(1.0 / size)
    np.maximum(scale, F(1e-6), out=scale)
    mask = (F(joint / size / 2) - edge) / scale
    mask += F(0.5)
    np.clip(mask, 0.0, 1.0, out=mask)
    # Far away one pixel holds many joints: fade to the joints' area fraction to avoid moiré.
    far = foot * F(1.0 / joint)
    far -= F(0.5)
    np.clip(far, 0.0, 1.0, out=far)
    mask += far * (F(2 * joint / size) - mask)
    return iu, iv, mask


def paving(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    x, y = s.p[0], s.p[1]
    iu, iv, joint = _tiles(x, y, mat.scale, 0.012 + 0.02 * mat.scale, s.foot, offset_rows=True)
    v = hash01(ctx.seed, iu, iv, 11)
    v -= F(0.5)
    v *= F(1.2)
    v += F(0.5) * ctx.noise.grain.nearest(x, y, 0.01, s.foot)
    v += F(0.3) * ctx.noise.fbm.bilinear(x, y, 1.5)
    apply_material(s, mat, v)
    joint *= F(-0.45)
    joint += F(1.0)
    s.albedo *= joint
    if ctx.markings is not None:
        near = np.flatnonzero(s.dist < ctx.style.marking_distance)
        if near.size:
            sel, (curb,) = ctx.markings.lookup(x.take(near), y.take(near), (2,))
            if sel.size:
                blend(s, near.take(sel), srgb_to_linear(ctx.style.curb_color), curb)


def concrete(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    x, y = s.p[0], s.p[1]
    iu, iv, joint = _tiles(x, y, mat.scale, 0.02, s.foot, offset_rows=False)
    v = hash01(ctx.seed, iu, iv, 13)
    v -= F(0.5)
    v *= F(0.5)
    v += F(0.5) * ctx.noise.fbm.bilinear(x, y, 0.7)
    v += F(0.5) * ctx.noise.grain.nearest(x, y, 0.008, s.foot)
    apply_material(s, mat, v)
    joint *= F(-0.4)
    joint += F(1.0)
    s.albedo *= joint


def grass(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    x, y = s.p[0], s.p[1]
    nb = ctx.noise
    broad = nb.fbm.bilinear(x, y, mat.scale)
    v = F(0.5) * broad
    v += F(0.8) * nb.grain.nearest(x, y, 0.02, s.foot)
    apply_material(s, mat, v)
    dry = broad * F(0.3)
    dry += F(0.05)
    np.clip(dry, 0.0, 0.5, out=dry)  # patches of dry, browner grass
    brown = srgb_to_linear((150, 128, 84))
    for k in range(3):
        s.albedo[k] += dry * (brown[k] * (s.albedo[k] * F(1.0 / srgb_to_linear(mat.color)[k])) - s.albedo[k])


def foliage(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    u, v = wall_uv(s.p, s.nrm)
    nb = ctx.noise
    clump = nb.fbm.bilinear(u, v, mat.scale, s.foot)
    val = F(0.9) * clump
    val += F(0.7) * nb.grain.nearest(u, v, mat.scale * 0.08, s.foot)
    apply_material(s, mat, val)
    # Gaps between clumps are deep shade; lower parts of a crown are shaded by the rest of it.
    gap = clump + F(0.3)
    np.clip(gap, -1.0, 0.0, out=gap)
    gap *= F(0.6)
    gap += F(1.0)
    low = np.clip(s.p[2] * F(1 / 3.0), 0.0, 1.0)
    low *= F(0.35)
    low += F(0.65)
    gap *= low
    s.albedo *= gap
    hue = np.clip(nb.fbm.bilinear(u + F(50.0), v, mat.scale * 4), -1.0, 1.0)
    hue *= F(0.25)
    s.albedo[0] *= F(1.0) + hue
    s.albedo[2] *= F(1.0) - hue


def plain(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    u, v = wall_uv(s.p, s.nrm)
    val = ctx.noise.grain.nearest(u, v, mat.scale, s.foot)
    val += F(0.5) * ctx.noise.fbm.bilinear(u, v, 0.5)
    apply_material(s, mat, val)


SHADERS: dict[str, Callable[[Surface, "Material", ShadeContext], None]] = {
    "plain": plain, "asphalt": asphalt, "concrete": concrete, "paving": paving, "grass": grass,
    "foliage": foliage, "facade": facade, "vehicle": vehicle, "cycle": cycle, "person": person, "cone": cone,
    "barrier": barrier,
}
