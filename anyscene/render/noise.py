"""Deterministic noise and hashing of the raster renderer: periodic noise tables with mip levels (`NoiseTable`,
one `NoiseBank` per seed), murmur-style integer hashes, and the bilinear interpolation the tables and the
marking raster share. Pure functions of their seeds: the same seed gives the same bytes."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

F = np.float32


def bilerp(c00: np.ndarray, c01: np.ndarray, c10: np.ndarray, c11: np.ndarray, fu: np.ndarray,
           fv: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of the corner values (N,) each, c01 to the right of c00 and c10 above it, at the
    fractions fu, fv (N,) 0..1. Works in place: returns c00, and c01, c10 and c11 are overwritten."""
    c01 -= c00
    c01 *= fu
    c00 += c01
    c11 -= c10
    c11 *= fu
    c10 += c11
    c10 -= c00
    c10 *= fv
    c00 += c10
    return c00


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
        return bilerp(t.take(r0 + c0), t.take(r0 + c1), t.take(r1 + c0), t.take(r1 + c1), u, v)


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
