"""Procedural materials of the raster renderer: periodic noise tables with mip levels, integer hashing, and one
surface shader per texture kind. A shader fills albedo (linear RGB), specular strength, Blinn-Phong exponent,
Fresnel reflectance and emission for the hit pixels of one class, from their world-space hit points and
normals, so patterns stay fixed to the world as the camera moves."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..classes import AGENT_CLASSES, OCC3D_ID
from .lighting import srgb_to_linear

if TYPE_CHECKING:
    from ..world.agents import AgentStates
    from .markings import BuildingIndex, MarkingRaster
    from .raster import Material, RasterStyle

F = np.float32


# ----------------------------------------------------------------------------------------------- noise and hashing
class NoiseTable:
    """A periodic noise texture (size × size, zero mean, unit variance at full resolution) whose power spectrum
    falls as f^-beta, with its 2×2 box-filtered mip chain stored in one flat float32 array."""

    def __init__(self, rng: np.random.Generator, size: int, beta: float):
        f = np.fft.fftfreq(size)
        fr = np.hypot(f[:, None], f[None, :])
        fr[0, 0] = 1.0
        amp = fr ** (-beta / 2.0)
        amp[0, 0] = 0.0
        t = np.fft.ifft2(np.fft.fft2(rng.standard_normal((size, size))) * amp).real
        t = (t - t.mean()) / t.std()
        levels, s = [t], size
        while s > 1:
            s //= 2
            levels.append(levels[-1].reshape(s, 2, s, 2).mean(axis=(1, 3)))
        self.flat = np.concatenate([lv.ravel() for lv in levels]).astype(np.float32)
        self.sizes = np.array([lv.shape[0] for lv in levels], dtype=np.int32)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes.astype(np.int64) ** 2)[:-1]]).astype(np.int32)
        self.max_level = len(levels) - 1

    def _level(self, footprint, inv_texel: float):
        """floor(log2(footprint / texel)) clamped to the chain: (N,) int32, or 0 when footprint is None."""
        if footprint is None:
            return 0
        # The float's binary exponent is floor(log2) + 1: cheaper than a logarithm.
        _, e = np.frexp(np.asarray(footprint, dtype=np.float32) * F(inv_texel))
        e -= 1
        np.clip(e, 0, self.max_level, out=e)
        return e

    def nearest(self, x: np.ndarray, y: np.ndarray, texel: float, footprint=None) -> np.ndarray:
        """Noise (N,) at world coordinates x, y (N,) m for a texel of `texel` m, nearest texel, at the mip level
        whose texels match `footprint` (m per pixel, (N,)), or at full resolution when it is None."""
        inv = 1.0 / texel
        lev = self._level(footprint, inv)
        iu = np.floor(x * F(inv)).astype(np.int32)
        iv = np.floor(y * F(inv)).astype(np.int32)
        if isinstance(lev, int):
            m = int(self.sizes[0]) - 1
            iv &= m
            iv *= m + 1
            iu &= m
            iu += iv
            return self.flat.take(iu)
        iu >>= lev
        iv >>= lev
        size = self.sizes.take(lev)
        m = size - 1
        iv &= m
        iv *= size
        iu &= m
        iu += iv
        iu += self.offsets.take(lev)
        return self.flat.take(iu)

    def bilinear(self, x: np.ndarray, y: np.ndarray, texel: float, footprint=None) -> np.ndarray:
        """Like `nearest`, bilinearly interpolated between texel centres (for low-frequency noise)."""
        inv = 1.0 / texel
        lev = self._level(footprint, inv)
        u = x * F(inv)
        v = y * F(inv)
        if not isinstance(lev, int):
            u = np.ldexp(u, -lev)
            v = np.ldexp(v, -lev)
        u -= F(0.5)
        v -= F(0.5)
        fu, fv = np.floor(u), np.floor(v)
        u -= fu
        v -= fv
        iu, iv = fu.astype(np.int32), fv.astype(np.int32)
        if isinstance(lev, int):
            size, base = int(self.sizes[0]), 0
        else:
            size, base = self.sizes.take(lev), self.offsets.take(lev)
        m = size - 1
        r0 = (iv & m) * size + base
        r1 = ((iv + 1) & m) * size + base
        c0, c1 = iu & m, (iu + 1) & m
        t = self.flat
        a0, a1 = t.take(r0 + c0), t.take(r0 + c1)
        b0, b1 = t.take(r1 + c0), t.take(r1 + c1)
        a1 -= a0
        a1 *= u
        a0 += a1
        b1 -= b0
        b1 *= u
        b0 += b1
        b0 -= a0
        b0 *= v
        a0 += b0
        return a0


@dataclass(frozen=True)
class NoiseBank:
    """The noise tables of one seed: `fbm` (cloudy) and `grain` (nearly white), 256² each (small enough to stay
    in cache during lookups)."""

    fbm: NoiseTable
    grain: NoiseTable


@lru_cache(maxsize=4)
def noise_bank(seed: int) -> NoiseBank:
    """The (cached) noise tables for `seed`; pure function of the seed."""
    rng = np.random.default_rng([int(seed), 0x5EED])
    return NoiseBank(NoiseTable(rng, 256, 2.4), NoiseTable(rng, 256, 0.3))


_M1, _M2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def hash_u32(seed: int, *keys) -> np.ndarray:
    """A well-mixed uint32 hash of integer arrays `keys` (broadcast together) and `seed` (murmur3 style)."""
    h = np.atleast_1d(np.asarray(seed & 0xFFFFFFFF, dtype=np.uint32) * np.uint32(0x9E3779B9))
    for k in keys:
        k = np.atleast_1d(np.asarray(k)).astype(np.uint32) * _M1
        k ^= k >> np.uint32(15)
        k = k * _M2
        h = h ^ k
        h = h * np.uint32(5) + np.uint32(0xE6546B64)
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def hash01(seed: int, *keys) -> np.ndarray:
    """Uniform float32 in [0, 1) hashed from integer arrays `keys` and `seed`."""
    return (hash_u32(seed, *keys) >> np.uint32(8)).astype(np.float32) * F(1.0 / (1 << 24))


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


# ----------------------------------------------------------------------------------------------- shading inputs
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


def _lin(rgb) -> np.ndarray:
    return srgb_to_linear(rgb)


def _col(rgb) -> np.ndarray:
    """A colour as a (3, 1) column, to assign or blend into (3, n) planes."""
    return srgb_to_linear(rgb)[:, None]


def shininess(roughness: float) -> float:
    """Blinn-Phong exponent of a roughness 0..1 (the usual 2/α² - 2 with α = roughness²)."""
    a = max(roughness, 0.05) ** 2
    return float(np.clip(2.0 / (a * a) - 2.0, 2.0, 4000.0))


def _base(s: Surface, mat: "Material", value: np.ndarray | None = None, color: np.ndarray | None = None) -> None:
    """Albedo = colour (the material's, or per-pixel (3, n) `color`) × (1 + jitter·value), value ≈ N(0, 1)
    noise (n,); gloss from the material's roughness and specular."""
    col = _lin(mat.color) if color is None else color
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


def _blend(s: Surface, sel, color: np.ndarray, amount: np.ndarray) -> None:
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


# ----------------------------------------------------------------------------------------------- ground shaders
def asphalt(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    x, y = s.p[0], s.p[1]
    nb = ctx.noise
    v = nb.fbm.bilinear(x, y, 1.6)  # broad variation and darker stains
    v *= F(0.6)
    v += F(0.6) * nb.grain.nearest(x, y, mat.scale, s.foot)
    _base(s, mat, v)
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
    cw, cy = _lin(ctx.style.marking_white), _lin(ctx.style.marking_yellow)
    xs, ys = x.take(idx), y.take(idx)
    wear = nb.fbm.bilinear(xs, ys, 0.15)
    g = nb.grain.nearest(xs, ys, 0.01, s.foot.take(idx))
    keep = np.clip(1.0 - ctx.style.marking_wear * (0.6 + 0.5 * wear + 0.3 * g), 0.0, 1.0)
    amount = np.minimum(total, 1.0) * keep
    paint = np.stack([(white * cw[k] + yellow * cy[k]) / total * (1.0 + 0.08 * g) for k in range(3)])
    _blend(s, idx, paint, amount)
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
    _base(s, mat, v)
    joint *= F(-0.45)
    joint += F(1.0)
    s.albedo *= joint
    if ctx.markings is not None:
        near = np.flatnonzero(s.dist < ctx.style.marking_distance)
        if near.size:
            sel, (curb,) = ctx.markings.lookup(x.take(near), y.take(near), (2,))
            if sel.size:
                _blend(s, near.take(sel), _lin(ctx.style.curb_color), curb)


def concrete(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    x, y = s.p[0], s.p[1]
    iu, iv, joint = _tiles(x, y, mat.scale, 0.02, s.foot, offset_rows=False)
    v = hash01(ctx.seed, iu, iv, 13)
    v -= F(0.5)
    v *= F(0.5)
    v += F(0.5) * ctx.noise.fbm.bilinear(x, y, 0.7)
    v += F(0.5) * ctx.noise.grain.nearest(x, y, 0.008, s.foot)
    _base(s, mat, v)
    joint *= F(-0.4)
    joint += F(1.0)
    s.albedo *= joint


def grass(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    x, y = s.p[0], s.p[1]
    nb = ctx.noise
    broad = nb.fbm.bilinear(x, y, mat.scale)
    v = F(0.5) * broad
    v += F(0.8) * nb.grain.nearest(x, y, 0.02, s.foot)
    _base(s, mat, v)
    dry = broad * F(0.3)
    dry += F(0.05)
    np.clip(dry, 0.0, 0.5, out=dry)  # patches of dry, browner grass
    brown = _lin((150, 128, 84))
    for k in range(3):
        s.albedo[k] += dry * (brown[k] * (s.albedo[k] * F(1.0 / _lin(mat.color)[k])) - s.albedo[k])


def foliage(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    u, v = wall_uv(s.p, s.nrm)
    nb = ctx.noise
    clump = nb.fbm.bilinear(u, v, mat.scale, s.foot)
    val = F(0.9) * clump
    val += F(0.7) * nb.grain.nearest(u, v, mat.scale * 0.08, s.foot)
    _base(s, mat, val)
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
    _base(s, mat, val)


# ----------------------------------------------------------------------------------------------- buildings
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
    _base(s, mat, val, wall)
    building = bid > 0
    walls = building & (np.abs(s.nrm[2]) <= 0.7)
    _windows(s, walls, bid, height, u, v, mat, ctx)
    other = np.flatnonzero(~building)
    if other.size:  # poles, signs, benches, raised areas: painted metal / concrete
        g = np.clip(1.0 + 0.2 * grain.take(other), 0.5, 2.0)
        s.albedo[:, other] = _col((118, 120, 124)) * g
        s.spec[other], s.shin[other] = 0.25, 60.0
    roof = np.flatnonzero(building & (s.nrm[2] > 0.7))
    if roof.size:
        g = np.clip(1.0 + 0.3 * grain.take(roof) + 0.3 * smear.take(roof), 0.3, 2.0)
        s.albedo[:, roof] = _col((96, 94, 92)) * g


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
    gcol = _lin(st.window_glass)
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
        s.emit += _col(st.window_lit) * glow


# ----------------------------------------------------------------------------------------------- agents
@dataclass(frozen=True)
class BodyPlan:
    """Where a vehicle class has glass, wheels and cargo: `glass` band as fractions of the height, `cab` m of
    glazed front (None: the whole body), side window `pillar` spacing m (0: one pane), wheel centres `wheels`
    m from the front and rear ends, `cargo`: the part behind the cab keeps the material colour."""

    glass: tuple[float, float]
    cab: float | None
    pillar: float
    wheels: tuple[float, float]
    cargo: bool


BODY: dict[int, BodyPlan] = {
    OCC3D_ID["car"]: BodyPlan((0.6, 0.93), None, 0.0, (0.85, 0.9), False),
    OCC3D_ID["bus"]: BodyPlan((0.4, 0.86), None, 1.5, (2.4, 3.0), False),
    OCC3D_ID["truck"]: BodyPlan((0.5, 0.8), 2.2, 0.0, (1.1, 1.5), True),
    OCC3D_ID["construction_vehicle"]: BodyPlan((0.55, 0.88), 2.6, 0.0, (1.2, 1.4), False),
    OCC3D_ID["trailer"]: BodyPlan((0.0, 0.0), 0.0, 0.0, (-1.0, 1.6), True),
}


def _default_height(cls: int) -> float:
    for c in AGENT_CLASSES.values():
        if OCC3D_ID[c.occ3d] == cls:
            return c.size[2]
    return 1.5


@dataclass(frozen=True)
class Local:
    """Hit points in their agent's box frame (n,) each: x along the length (front +), y across, z above the
    box's bottom (m); the normal's local x and y; the box's length, width and height. Without agent states
    only z (above the ground) and the class's default height are known; the rest is None."""

    x: np.ndarray | None
    y: np.ndarray | None
    z: np.ndarray
    nx: np.ndarray | None
    ny: np.ndarray | None
    length: np.ndarray | None
    width: np.ndarray | None
    height: np.ndarray


def _local(s: Surface, ctx: ShadeContext) -> Local:
    n = s.p.shape[1]
    default = F(_default_height(s.cls))
    if ctx.agents is None or n == 0:
        return Local(None, None, s.p[2].copy(), None, None, None, None, np.full(n, default, np.float32))
    a = ctx.agents
    i = s.inst.astype(np.intp)
    i[i >= len(a.cx)] = 0
    h = a.height.take(i)
    known = h > 0  # pixels of agents the states hold; others keep z above the ground, faces unknown
    c, sn = a.cos.take(i), a.sin.take(i)
    dx, dy = s.p[0] - a.cx.take(i), s.p[1] - a.cy.take(i)
    lx, ly = (c * dx + sn * dy) * known, (c * dy - sn * dx) * known
    nx, ny = (c * s.nrm[0] + sn * s.nrm[1]) * known, (c * s.nrm[1] - sn * s.nrm[0]) * known
    z = np.where(known, s.p[2] - a.bottom.take(i), s.p[2])
    return Local(lx, ly, z, nx, ny, a.length.take(i), a.width.take(i), np.where(known, h, default))


# Vehicle parts other than paint: albedo (sRGB, None: the style's colour), specular, exponent, Fresnel f0,
# night emission (sRGB × strength).
_GLASS, _TRIM, _RIM, _HEAD, _TAIL = 1, 2, 3, 4, 5
_PARTS = {_GLASS: (None, 1.0, 800.0, 0.05, None), _TRIM: (None, 0.05, 2.0, 0.0, None),
          _RIM: ((140, 142, 146), 0.6, 60.0, 0.0, None), _HEAD: ((230, 230, 224), 1.0, 200.0, 0.0, ((255, 250, 235), 3.0)),
          _TAIL: ((150, 14, 16), 1.0, 200.0, 0.0, ((255, 30, 20), 0.6))}


BRAKE_GAIN = 4.0  # tail lamp emission when braking, relative to running


def vehicle(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    st = ctx.style
    plan = BODY.get(s.cls, BODY[OCC3D_ID["car"]])
    loc = _local(s, ctx)
    zf = loc.z / loc.height
    u, v = wall_uv(s.p, s.nrm)
    g = ctx.noise.grain.nearest(u, v, 0.02, s.foot)
    body = pick_colors(ctx.seed, s.inst, st.palettes[mat.palette], 31) if mat.palette else None
    _base(s, mat, g, body)
    s.f0[:] = 0.05  # clear coat
    vert = np.abs(s.nrm[2]) < 0.5
    glass = vert & (zf > plan.glass[0]) & (zf < plan.glass[1])
    part = np.zeros(len(zf), np.uint8)
    part[vert & (loc.z < 0.3)] = _TRIM
    if loc.x is not None:
        lx, ly, ln, wd = loc.x, loc.y, loc.length, loc.width
        front, back, side = vert & (loc.nx > 0.7), vert & (loc.nx < -0.7), vert & (np.abs(loc.ny) > 0.7)
        from_front = ln / 2 - lx
        if plan.cab is not None:
            behind = from_front > plan.cab
            glass &= ~behind
            if plan.cargo and body is not None:
                cargo = np.flatnonzero(behind)
                s.albedo[:, cargo] = _col(mat.color) * np.clip(1.0 + mat.jitter * g.take(cargo), 0.05, 3.0)
        glass &= ~side | ((from_front > 0.9) & (lx > -ln / 2 + 0.5))  # A pillar, rear pillar
        glass &= (~front & ~back) | (np.abs(ly) < wd / 2 - 0.12)
        if plan.pillar > 0:
            glass &= ~side | (np.abs(np.modf(from_front / plan.pillar)[0] - 0.5) < 0.45)
        else:
            glass &= ~side | (np.abs(lx + 0.1 * ln) > 0.07)  # B pillar
        # Wheels on the sides (tyres, rims inside), lamps and grille on the ends.
        r = F(mat.scale)
        wx = np.where(lx > 0, ln / 2 - plan.wheels[0], -ln / 2 + plan.wheels[1])
        d = np.hypot(lx - wx, loc.z - r)
        part[side & (d < r)] = _TRIM
        part[side & (d < 0.55 * r)] = _RIM
        part[front & (zf > 0.22) & (zf < 0.42) & (np.abs(ly) < wd / 2 - 0.45)] = _TRIM
        lamp = (zf > 0.45) & (zf < 0.6) & (np.abs(ly) > wd / 2 - 0.42)
        part[front & lamp] = _HEAD
        part[back & lamp] = _TAIL
    part[glass] = _GLASS
    # Everything but paint from small per-part tables: one compaction and a gather per output.
    sel = np.flatnonzero(part)
    if sel.size == 0:
        return
    which = part.take(sel)
    colours = {_GLASS: st.vehicle_glass, _TRIM: st.tire}
    lut = np.zeros((3, 6), np.float32)
    gloss = np.zeros((4, 6), np.float32)
    glow = np.zeros((3, 6), np.float32)
    for k, (rgb, spec, shin, f0, emission) in _PARTS.items():
        lut[:, k] = _lin(colours.get(k, rgb))
        gloss[:, k] = spec, shin, f0, 0.0
        if emission is not None:
            glow[:, k] = _lin(emission[0]) * F(emission[1] * ctx.night)
    s.albedo[:, sel] = lut.take(which, axis=1)
    s.spec[sel], s.shin[sel], s.f0[sel] = gloss[:3].take(which, axis=1)
    if ctx.night > 0:
        s.emit[:, sel] = glow.take(which, axis=1)
        if ctx.agents is not None:  # lamps off on parked vehicles, tail lamps brighter when braking
            state = ctx.agents.lamps.take(np.minimum(s.inst.take(sel).astype(np.intp), len(ctx.agents.lamps) - 1))
            lamp = (which == _HEAD) | (which == _TAIL)
            s.emit[:, sel] *= np.where(lamp, np.minimum(state, 1.0), 1.0)
            s.emit[:, sel] *= np.where((which == _TAIL) & (state > 1.5), F(BRAKE_GAIN), F(1.0))


def person(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    st = ctx.style
    loc = _local(s, ctx)
    zf = loc.z / loc.height
    g = ctx.noise.grain.nearest(s.p[0] + s.p[1], s.p[2], mat.scale, s.foot)
    pal = st.palettes[mat.palette] if mat.palette else (mat.color,)
    shirt = pick_colors(ctx.seed, s.inst, pal, 41)
    legs = pick_colors(ctx.seed, s.inst, pal, 42) * F(0.6)
    _base(s, mat, g * F(0.5), np.where(zf < 0.5, legs, shirt))
    skin = pick_colors(ctx.seed, s.inst, st.palettes.get("skin", ((200, 160, 130),)), 43)
    hair = pick_colors(ctx.seed, s.inst, ((30, 24, 20), (60, 44, 30), (20, 20, 20), (120, 100, 70)), 44)
    head = zf > 0.86
    s.albedo[:, head] = skin[:, head]
    top = (zf > 0.95) | (head & (zf > 0.9) & (hash01(ctx.seed, s.inst, 45) < 0.5))
    s.albedo[:, top] = hair[:, top]
    s.albedo[:, zf < 0.05] = _col((30, 28, 28))


def cycle(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    """A bicycle or motorcycle with its rider: dark frame and wheels below, clothing above, helmet on top."""
    st = ctx.style
    loc = _local(s, ctx)
    zf = loc.z / loc.height
    g = ctx.noise.grain.nearest(s.p[0] + s.p[1], s.p[2], mat.scale, s.foot)
    _base(s, mat, g * F(0.5))
    pal = st.palettes[mat.palette] if mat.palette else (mat.color,)
    rider = pick_colors(ctx.seed, s.inst, pal, 51)
    helmet = pick_colors(ctx.seed, s.inst, st.palettes.get("paint", (mat.color,)), 52)
    up = zf > 0.45
    s.albedo[:, up] = rider[:, up] * np.clip(1.0 + 0.2 * g[up], 0.5, 1.5)
    s.spec[up] = 0.05
    top = zf > 0.86
    s.albedo[:, top] = helmet[:, top]
    s.spec[top] = 0.5


def cone(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    loc = _local(s, ctx)
    zf = loc.z / loc.height
    _base(s, mat, ctx.noise.grain.nearest(s.p[0] + s.p[1], s.p[2], mat.scale, s.foot) * F(0.5))
    s.albedo[:, (zf > 0.45) & (zf < 0.65)] = _col((230, 230, 226))
    s.albedo[:, zf < 0.07] = _col((30, 30, 30))


def barrier(s: Surface, mat: "Material", ctx: ShadeContext) -> None:
    u, v = wall_uv(s.p, s.nrm)
    loc = _local(s, ctx)
    zf = loc.z / loc.height
    _base(s, mat, ctx.noise.grain.nearest(u, v, mat.scale, s.foot) * F(0.5))
    stripe = (zf > 0.55) & (zf < 0.95) & (np.floor((u + loc.z) / F(0.35)).astype(np.int32) % 2 == 0)
    s.albedo[:, stripe] = _col((190, 30, 28))


SHADERS: dict[str, Callable[[Surface, "Material", ShadeContext], None]] = {
    "plain": plain, "asphalt": asphalt, "concrete": concrete, "paving": paving, "grass": grass,
    "foliage": foliage, "facade": facade, "vehicle": vehicle, "cycle": cycle, "person": person, "cone": cone,
    "barrier": barrier,
}
