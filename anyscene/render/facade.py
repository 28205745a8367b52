"""The facade shader of the raster renderer: walls with per-building colour, a grid of framed windows by floor
(lit at night), shop fronts, cornices and plinths; roofs; poles and other structures."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .lighting import srgb_to_linear
from .noise import hash01, hash_u32
from .surface import ShadeContext, Surface, apply_material, column, pick_colors, wall_uv

if TYPE_CHECKING:
    from .style import Material

F = np.float32


def facade(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    """Walls with per-building colour and a grid of windows by floor; roofs; poles and other structures."""
    st = ctx.style
    u, v = wall_uv(s.p, s.nrm)
    n = s.p.shape[1]
    if ctx.buildings is not None:
        bid, height = ctx.buildings.lookup(s.p[0] - F(0.15) * s.nrm[0], s.p[1] - F(0.15) * s.nrm[1])
    else:  # no footprints: every structure is a building of unknown height, one per 40 m cell
        bid = (hash_u32(ctx.seed, np.floor(s.p[0] / 40).astype(np.int32),
                        np.floor(s.p[1] / 40).astype(np.int32)) % np.uint32(65535) + 1).astype(np.int32)
        height = np.full(n, np.inf, np.float32)
    grain = ctx.noise.grain.nearest(u, v, 0.015, s.foot)
    smear = ctx.noise.fbm.bilinear(u, v, 1.2)
    val = F(0.35) * grain + F(0.5) * smear
    wall = pick_colors(ctx.seed, bid, st.palettes[mat.palette], 21) if mat.palette else None
    apply_material(s, mat, val, wall)
    building = bid > 0
    walls = building & (np.abs(s.nrm[2]) <= 0.7)
    _windows(s, walls, bid, height, u, v, mat, ctx)
    other = np.flatnonzero(~building)
    if other.size:  # poles, signs, benches, raised areas: painted metal / concrete
        g = np.clip(1.0 + 0.2 * grain.take(other), 0.5, 2.0)
        s.albedo[:, other] = column((118, 120, 124)) * g
        s.spec[other], s.shin[other] = 0.25, 60.0
    roof = np.flatnonzero(building & (s.nrm[2] > 0.7))
    if roof.size:
        g = np.clip(1.0 + 0.3 * grain.take(roof) + 0.3 * smear.take(roof), 0.3, 2.0)
        s.albedo[:, roof] = column((96, 94, 92)) * g


def _soft(d: np.ndarray, foot: np.ndarray) -> np.ndarray:
    """Coverage 0..1 of a shape from the signed distance `d` (m, positive inside), smoothed over one pixel."""
    c = d / foot
    c += F(0.5)
    np.clip(c, 0.0, 1.0, out=c)
    return c


def _per_building(seed: int, bid: np.ndarray, salts: tuple[int, ...]) -> np.ndarray:
    """hash01 (len(salts), N) per building id (N,), through one table over the ids (small integers)."""
    ids = np.arange(int(bid.max()) + 1)
    return np.stack([hash01(seed, ids, salt) for salt in salts]).take(bid, axis=1)


def _windows(s: Surface, walls: np.ndarray, bid: np.ndarray, height: np.ndarray, u: np.ndarray, z: np.ndarray,
             mat: "Material", ctx: ShadeContext) -> None:
    """Windows on the pixels `walls` (bool (n,)) of building walls, per building: floors of `scale` m (±10 %),
    window bays, framed windows, floor bands, a shop-front ground floor, a cornice and a plinth; windows lit
    at night. The upper floors are computed over all pixels of the class and masked (walls are nearly all of
    them), the shop fronts only on ground-floor pixels."""
    st = ctx.style
    seed = ctx.seed
    bid = bid.astype(np.intp)
    r_floor, r_bay, r_width, r_offset, r_frame = _per_building(seed, bid, (1, 2, 3, 4, 8))
    fh = F(mat.scale) * (F(0.92) + F(0.2) * r_floor)
    ground_h = fh * F(1.25)
    bay = F(2.2) + F(1.6) * r_bay
    half_w = (F(0.175) + F(0.15) * r_width) * bay  # half a window's width, m
    foot = np.maximum(s.foot, F(1e-4))
    tz = z - ground_h
    tz /= fh
    floor_i = np.floor(tz).astype(np.int32)
    tz -= floor_i  # height within the floor, 0..1
    fu = u / bay
    fu += r_offset
    col_i = np.floor(fu).astype(np.int32)
    fu -= col_i
    fu -= F(0.5)
    np.abs(fu, out=fu)
    fu *= bay  # m from the bay's centre line
    upper = walls & (z >= ground_h) & (z < height - F(0.9))
    # Signed distance inside the window opening (m); the glass is inset by a 7 cm frame.
    d = np.minimum(tz - F(0.28), F(0.82) - tz)
    d *= fh
    np.minimum(d, half_w - fu, out=d)
    d -= F(100.0) * ~upper
    opening = _soft(d, foot)
    d -= F(0.07)
    glass = _soft(d, foot)
    # Wall shading: floor slabs, cornice along the roof line, plinth at the bottom.
    slab = np.minimum(tz, F(1.0) - tz) * fh < F(0.1)
    shade = F(1.0) - F(0.12) * (upper & slab) - F(0.25) * (walls & ((z > height - F(0.6)) | (z < F(0.3))))
    h = hash_u32(seed, bid * 1_000_003 + floor_i * 7919 + col_i, 6)
    tint = (h >> np.uint32(8)).astype(np.float32) * F(1.0 / (1 << 24))
    lit = (h & np.uint32(255)).astype(np.float32) < F(256 * st.window_lit_fraction)
    gr = np.flatnonzero(walls & (z < ground_h))
    if gr.size:  # shop fronts: wide glass below a fascia; one bay in five is wall
        zg, us = z.take(gr), u.take(gr) * F(1 / 4.5)
        bs = np.floor(us).astype(np.int32)
        shop = _soft(np.minimum((F(0.46) - np.abs(us - bs - F(0.5))) * F(4.5),
                                np.minimum(zg - F(0.35), ground_h.take(gr) - F(0.9) - zg)), foot.take(gr))
        shop *= hash01(seed, bid.take(gr) * 7919 + bs, 5) < 0.8
        glass[gr] = shop
        opening[gr] = shop
        tint[gr] = F(0.5)
        lit[gr] = shop > 0
    # albedo = wall·shade·(1 - opening) + frame colour·(opening - glass) + glass colour·glass
    keep = F(1.0) - opening
    keep *= shade
    frame = opening - glass
    frame *= np.where(r_frame < 0.6, F(0.75), F(0.05))
    pane = tint * F(0.6)
    pane += F(0.6)
    pane *= glass
    gcol = srgb_to_linear(st.window_glass)
    for k in range(3):
        a = s.albedo[k]
        a *= keep
        a += frame
        a += pane * gcol[k]
    s.f0 += glass * F(0.12)
    s.spec += glass * F(0.6)
    s.shin += glass * F(400.0)
    if ctx.night > 0:
        glow = glass * lit * F(ctx.night * 0.3) * (F(0.4) + tint)
        s.emit += column(st.window_lit) * glow
