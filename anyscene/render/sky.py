"""The sky seen by pixels that hit nothing: a zenith-horizon gradient, the sun's disc and glow, and procedural
clouds on a flat layer above the scene."""
from __future__ import annotations

import numpy as np

from .lighting import LightEnv, sky_gradient
from .noise import NoiseBank

F = np.float32
CLOUD_HEIGHT = 1000.0  # m: the cloud layer the sky's noise is projected on


def pixel_rays(rows: np.ndarray, cols: np.ndarray, intrinsic: np.ndarray, cam2world: np.ndarray,
               block: int = 1) -> np.ndarray:
    """Unit world-frame directions (3, N) float32 of the rays through the centres of pixels (row, col) (N,)
    each, as the camera sensor casts them (through (col + 0.5, row + 0.5)); with `block` b > 1, (row, col)
    index b×b blocks of pixels and the rays pass through the blocks' centres."""
    k = np.asarray(intrinsic, dtype=np.float64)
    r = cam2world[:3, :3] @ np.linalg.inv(k)
    r[:, 2] += 0.5 * block * (r[:, 0] + r[:, 1])
    r[:, :2] *= block
    # d = r · (col, row, 1): separable, so evaluate per column and per row, then add.
    cu = np.outer(r[:, 0], np.arange(int(cols.max()) + 1 if cols.size else 1)).astype(np.float32)
    rv = (np.outer(r[:, 1], np.arange(int(rows.max()) + 1 if rows.size else 1)) + r[:, 2:3]).astype(np.float32)
    d = np.empty((3, len(rows)), np.float32)
    for i in range(3):
        np.add(cu[i].take(cols), rv[i].take(rows), out=d[i])
    norm = d[0] * d[0]
    norm += d[1] * d[1]
    norm += d[2] * d[2]
    np.sqrt(norm, out=norm)
    np.divide(1.0, norm, out=norm)
    d *= norm
    return d


def sky_radiance(dirs: np.ndarray, env: LightEnv, noise: NoiseBank, cloud_cover: float, cloud_scale: float,
                 sun_disc_deg: float, pixel_angle: float) -> np.ndarray:
    """Linear radiance (3, N) float32 of the sky along unit world directions (3, N).

    `pixel_angle` is the angle one pixel spans (rad): it sets the cloud texture's detail level and softens the
    sun disc's edge over about a pixel.
    """
    dz = dirs[2]
    rad = sky_gradient(dz, env)
    dens = None
    if cloud_cover > 0:
        up = np.maximum(dz, F(0.03))
        # Where a ray meets the cloud layer (m) and how large one pixel is there (grows towards the horizon).
        inv = F(CLOUD_HEIGHT) / up
        # Texels of cloud_scale/24 stay larger than a pixel's footprint on the layer (pixel_angle·1000/dz² m)
        # down to where the clouds fade out near the horizon, so one mip level suffices.
        n = noise.fbm.bilinear(dirs[0] * inv, dirs[1] * inv, cloud_scale / 24.0)
        # The fbm is about N(0, 1): cover c puts the cut near its c-quantile.
        cut = F(1.1 - 2.2 * cloud_cover)
        dens = n - cut
        dens *= F(0.9)
        np.clip(dens, 0.0, 1.0, out=dens)
        dens *= np.clip(dz * F(5.0), 0.0, 1.0)  # thin out towards the horizon
        thick = np.clip(n - cut - F(0.6), 0.0, 1.0)  # thicker parts are darker underneath
        thick *= F(-0.35)
        thick += F(1.0)
        for k in range(3):
            rad[k] += dens * (thick * F(env.cloud[k]) - rad[k])
    if float(env.sun.max()) > 0:
        cosang = dirs[0] * F(env.sun_dir[0])
        cosang += dirs[1] * F(env.sun_dir[1])
        cosang += dirs[2] * F(env.sun_dir[2])
        # Angle to the sun from 1 - cos ≈ ang² / 2 (exact enough for the glow's shape).
        ang = F(1.0) - cosang
        np.maximum(ang, 0.0, out=ang)
        ang *= F(2.0)
        np.sqrt(ang, out=ang)
        glow = np.exp(ang * F(-18.0))
        glow *= F(0.08)
        glow += F(0.03) * np.exp(ang * F(-3.0))
        r = np.radians(sun_disc_deg)
        near = np.flatnonzero(ang < r + 3 * pixel_angle)
        if near.size:
            glow[near] += np.clip((r - ang[near]) / max(pixel_angle, 1e-5) + 0.5, 0.0, 1.0).astype(F) * F(30.0)
        if dens is not None:
            glow *= F(1.0) - F(0.8) * dens
        for k in range(3):
            rad[k] += glow * F(env.sun[k])
    return rad
