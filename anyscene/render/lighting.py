"""Sun position, the light of a style at its time of day (sun, sky, ambient, haze, all linear RGB), surface
shading (Lambert + Blinn-Phong + Fresnel sky reflection) and the filmic tone curve to 8-bit sRGB."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..classes import FREE

if TYPE_CHECKING:
    from .style import RasterStyle

LUT_SCALE = 4096.0  # tone-curve table entries per unit of linear radiance
LUT_SIZE = 65536  # covers radiance 0..16 after exposure; brighter saturates to white
WHITE = 4.0  # linear radiance (after exposure) the tone curve maps to white


def srgb_to_linear(rgb) -> np.ndarray:
    """sRGB colour(s) 0..255 -> linear RGB 0..1, float32."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)


def luminance(rgb: np.ndarray) -> float:
    return float(np.dot(np.asarray(rgb, dtype=np.float64), [0.2126, 0.7152, 0.0722]))


def smoothstep(e0: float, e1: float, x: float) -> float:
    t = min(max((x - e0) / (e1 - e0), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def solar_position(time_of_day: float, latitude: float, day_of_year: int) -> tuple[float, float]:
    """(azimuth, elevation) in degrees of the sun at local solar time `time_of_day` hours; azimuth clockwise
    from north. Declination from the day of the year (cosine approximation, ±0.5°)."""
    decl = np.radians(-23.44 * np.cos(2.0 * np.pi * (day_of_year + 10) / 365.0))
    hour = np.radians(15.0 * (time_of_day - 12.0))
    lat = np.radians(latitude)
    east = -np.cos(decl) * np.sin(hour)
    north = np.sin(decl) * np.cos(lat) - np.cos(decl) * np.cos(hour) * np.sin(lat)
    up = np.sin(decl) * np.sin(lat) + np.cos(decl) * np.cos(hour) * np.cos(lat)
    return float(np.degrees(np.arctan2(east, north)) % 360.0), float(np.degrees(np.arcsin(np.clip(up, -1, 1))))


def sun_vector(azimuth: float, elevation: float) -> np.ndarray:
    """World-frame unit vector (3,) towards the sun (x east, y north, z up)."""
    az, el = np.radians(azimuth), np.radians(elevation)
    return np.array([np.sin(az) * np.cos(el), np.cos(az) * np.cos(el), np.sin(el)])


@dataclass(frozen=True)
class LightEnv:
    """The light of a style, linear RGB (3,) float32 each: `sun_dir` unit world vector towards the sun,
    `sun` direct irradiance (0 below the horizon), sky radiance at the `zenith` and `horizon`, ambient light
    from the sky above (`sky_ambient`) and from the ground below (`ground_ambient`), the `haze` radiance distant
    surfaces fade to, the `cloud` colour, and `night` 0 (day) .. 1 (night), which lights windows and lamps."""

    sun_dir: np.ndarray
    sun_elevation: float
    sun: np.ndarray
    zenith: np.ndarray
    horizon: np.ndarray
    sky_ambient: np.ndarray
    ground_ambient: np.ndarray
    haze: np.ndarray
    cloud: np.ndarray
    night: float


def light_env(style: "RasterStyle") -> LightEnv:
    """Sun direction and every light colour of `style` at its time of day."""
    if style.time_of_day is not None:
        az, el = solar_position(style.time_of_day, style.latitude, style.day_of_year)
    else:
        az, el = style.sun_azimuth, style.sun_elevation
    lin = srgb_to_linear
    s_dusk = smoothstep(-12.0, -1.0, el)  # night -> dusk
    s_day = smoothstep(-1.0, 20.0, el)  # dusk -> day
    zenith = lin(style.night_zenith) * (1 - s_dusk) + lin(style.dusk_zenith) * s_dusk
    zenith = zenith * (1 - s_day) + lin(style.sky_zenith) * s_day
    horizon = lin(style.night_horizon) * (1 - s_dusk) + lin(style.dusk_horizon) * s_dusk
    horizon = horizon * (1 - s_day) + lin(style.sky_horizon) * s_day
    warm = smoothstep(2.0, 30.0, el)
    sun_col = lin(style.dusk_sun) * (1 - warm) + lin(style.sun_color) * warm
    sun = sun_col / max(luminance(sun_col), 1e-6) * style.sun_intensity * smoothstep(-1.0, 8.0, el)
    night = 1.0 - smoothstep(-8.0, 1.0, el)
    lamp = lin(style.night_light) * night
    sky_ambient = style.ambient * (0.5 * zenith + 0.5 * horizon) + lamp
    up_sun = sun * max(np.sin(np.radians(el)), 0.0)
    ground_ambient = lin(style.ground_bounce) * (luminance(sky_ambient) + 0.12 * luminance(up_sun)) + 0.5 * lamp
    day_horizon = lin(style.sky_horizon)
    haze = lin(style.haze_color) * (luminance(horizon) / max(luminance(day_horizon), 1e-6)) + 0.5 * lamp
    cloud = 0.55 * (horizon + zenith) + 0.25 * sun * max(np.sin(np.radians(el)) + 0.2, 0.0) + 0.3 * lamp
    # Camera white balance: gains that neutralise (by `white_balance`) the colour of the light falling on the
    # ground, the sun's plus the sky's, keeping its luminance; applied to everything the camera sees.
    illum = up_sun + sky_ambient
    gain = np.clip((luminance(illum) / np.maximum(illum, 1e-6)) ** style.white_balance, 0.4, 2.5)
    f32 = lambda a: np.asarray(a * gain, dtype=np.float32)  # noqa: E731
    return LightEnv(np.asarray(sun_vector(az, el), np.float32), float(el), f32(sun), f32(zenith), f32(horizon),
                    f32(sky_ambient), f32(ground_ambient), f32(haze), f32(cloud), float(night))


def sky_gradient(dz: np.ndarray, env: LightEnv) -> np.ndarray:
    """Sky radiance (3, N) float32 of view directions with vertical component `dz` (N,), no sun or clouds.
    Below the horizon the horizon colour darkens slowly (what a reflection sees towards the ground)."""
    t = np.sqrt(np.clip(dz, 0.0, 1.0).astype(np.float32, copy=False))
    below = np.float32(1.0) + np.float32(1.5) * np.clip(dz, -0.4, 0.0).astype(np.float32, copy=False)
    out = np.empty((3, len(dz)), np.float32)
    for k in range(3):
        np.multiply(t, env.zenith[k] - env.horizon[k], out=out[k])
        out[k] += env.horizon[k]
        out[k] *= below
    return out


def reflected(rz: np.ndarray, env: LightEnv) -> np.ndarray:
    """Radiance (3, N) a mirror reflects along directions with vertical component `rz` (N,): the sky well above
    the horizon; near and below it, the street around (ground, facades, cars), lit like the ground."""
    sky = sky_gradient(rz, env)
    t = np.clip(rz * np.float32(1 / 0.35), 0.0, 1.0).astype(np.float32, copy=False)
    t = t * t * (np.float32(3.0) - np.float32(2.0) * t)
    street = (0.35 * env.ground_ambient + 0.1 * env.sun * max(float(env.sun_dir[2]), 0.0)).astype(np.float32)
    for k in range(3):
        sky[k] *= t
        sky[k] += (np.float32(1.0) - t) * street[k]
    return sky


GLOSSY = 8.0  # Blinn-Phong exponents at or below this (roughness ≳ 0.6) get no highlight: it would be a faint,
#               nearly uniform sheen, cheaper to leave to the albedo


def shade(albedo: np.ndarray, normal: np.ndarray, points: np.ndarray, eye: np.ndarray, spec: np.ndarray,
          shininess: np.ndarray, f0: np.ndarray, env: LightEnv, sunlit: np.ndarray | None) -> np.ndarray:
    """Outgoing radiance (3, N) float32 of surfaces, computed in place of `albedo` (3, N) linear RGB.

    normal (3, N) unit world normals, points (3, N) world hit points seen from the camera at `eye` (3,);
    spec, shininess, f0 (N,): specular strength, Blinn-Phong exponent, Fresnel reflectance at normal incidence
    (sky reflections where > 0); `sunlit` (N,) 0..1 or None (all lit)."""
    lx, ly, lz = (np.float32(c) for c in env.sun_dir)
    nx, ny, nz = normal
    ndl = nx * lx
    ndl += ny * ly
    ndl += nz * lz
    np.maximum(ndl, 0.0, out=ndl)
    if sunlit is not None:
        ndl *= sunlit
    sun_on = float(env.sun.max()) > 0
    for k in range(3):
        # Hemispheric ambient: sky light from above, ground bounce from below, by the normal's z.
        ga, sa = np.float32(env.ground_ambient[k]), np.float32(env.sky_ambient[k])
        light = nz * np.float32(0.5 * (sa - ga))
        light += np.float32(0.5 * (sa + ga))
        if sun_on:
            light += ndl * np.float32(env.sun[k])
        albedo[k] *= light
    # Highlights and sky reflections, only where a material has them (glass, paint, metal).
    sel = np.flatnonzero((shininess > GLOSSY) | (f0 > 0))
    if sel.size == 0:
        return albedo
    n = normal.take(sel, axis=1)
    v = eye[:, None] - points.take(sel, axis=1)
    v /= np.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) + np.float32(1e-6)
    add = np.zeros((3, sel.size), np.float32)
    if sun_on:
        e = shininess.take(sel)
        hx, hy, hz = v[0] + lx, v[1] + ly, v[2] + lz
        ndh = (n[0] * hx + n[1] * hy + n[2] * hz) / (np.sqrt(hx * hx + hy * hy + hz * hz) + np.float32(1e-6))
        np.clip(ndh, 1e-4, 1.0, out=ndh)
        # Normalised Blinn-Phong: energy ∝ (n + 8) / 8π so rougher materials get broader, dimmer highlights.
        hl = np.exp(e * np.log(ndh)) * (e + np.float32(8.0)) * spec.take(sel) * ndl.take(sel)
        hl *= np.float32(1.0 / (8.0 * np.pi)) * (e > GLOSSY)
        add += hl * env.sun[:, None]
    f = f0.take(sel)
    if f.max() > 0:
        ndv = np.clip(n[0] * v[0] + n[1] * v[1] + n[2] * v[2], 0.0, 1.0)
        x = 1.0 - ndv
        x5 = x * x
        x5 *= x5
        x5 *= x
        fres = (f + (1.0 - f) * x5) * (f > 0)  # Schlick
        rz = 2.0 * ndv * n[2] - v[2]  # z of the mirrored view direction
        add += fres * reflected(rz.astype(np.float32), env)
    for k in range(3):
        albedo[k, sel] += add[k]
    return albedo


def haze(rad: np.ndarray, distance: np.ndarray, env: LightEnv, density: float) -> None:
    """Fade radiance (3, N) in place towards the haze colour with distance (N,) metres (Beer-Lambert)."""
    if density <= 0:
        return
    f = distance * np.float32(-density)
    np.exp(f, out=f)
    for k in range(3):
        rad[k] -= np.float32(env.haze[k])
        rad[k] *= f
        rad[k] += np.float32(env.haze[k])


@lru_cache(maxsize=8)
def tone_lut(exposure: float) -> np.ndarray:
    """(LUT_SIZE,) uint8: linear radiance index i = radiance·LUT_SCALE -> exposed, tone-mapped sRGB value."""
    x = np.arange(LUT_SIZE, dtype=np.float64) / LUT_SCALE * exposure
    # Extended Reinhard with white point WHITE: linear near black (shadows keep their detail), rolling off
    # smoothly so bright sky and sunlit walls do not clip.
    y = np.clip(x * (1.0 + x / WHITE**2) / (1.0 + x), 0.0, 1.0)
    s = np.where(y <= 0.0031308, 12.92 * y, 1.055 * np.power(y, 1 / 2.4) - 0.055)
    lut = np.round(np.clip(s, 0, 1) * 255.0).astype(np.uint8)
    lut.flags.writeable = False
    return lut


def encode(rad: np.ndarray, exposure: float) -> np.ndarray:
    """Linear radiance planes (3, N) float32 (overwritten) -> sRGB planes (3, N) uint8 through the exposure
    and the filmic tone curve."""
    rad *= np.float32(LUT_SCALE)
    np.clip(rad, 0, LUT_SIZE - 1, out=rad)
    return tone_lut(float(exposure)).take(rad.astype(np.uint16))


def sun_shadow(frame, scene, style: "RasterStyle", bias: float = 0.03) -> np.ndarray:
    """The `shadow` mask (H, W) float32 for render_rgb: 1 where the sun is hidden from a pixel's surface.

    Casts one ray towards the sun from every hit point that faces it (lifted `bias` m along its normal) into
    `scene` (anything with `snapshot(t).cast(rays (N, 6)) -> hits with .distance`, e.g. the sensors'
    WorldScene) at the frame's time. Costs about one more camera cast; all zeros with the sun down.
    """
    h, w = frame.semantic.shape
    out = np.zeros(h * w, np.float32)
    env = light_env(style)
    if float(env.sun.max()) <= 0:
        return out.reshape(h, w)
    sun = env.sun_dir.astype(np.float32)
    nrm = frame.normal.reshape(-1, 3)
    idx = np.flatnonzero((frame.semantic.reshape(-1) != FREE) & (nrm @ sun > 0))
    if idx.size:
        rays = np.empty((idx.size, 6), np.float32)
        rays[:, :3] = frame.points.reshape(-1, 3)[idx] + np.float32(bias) * nrm[idx]
        rays[:, 3:] = sun
        hits = scene.snapshot(frame.t).cast(rays)
        out[idx] = np.isfinite(hits.distance)
    return out.reshape(h, w)
