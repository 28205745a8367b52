"""What the camera adds to the rendered radiance: motion blur (optional), the glow of lamps in view, rain
streaks, lower contrast in rain, vignetting and sensor noise. Applied to the 8-bit image of one camera frame;
deterministic per seed, channel and time.

Models: vignetting is the cos⁴ law of a thin lens, blended in by `vignetting`; noise is a shot + read model,
σ² = read² + shot·I (8-bit units), scaled by the exposure gain the auto-exposure applied (dim scenes are
noisier); motion blur averages the image along each pixel's flow over the shutter time, from the camera's
own motion (agents' motion is not blurred).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

F = np.float32


@dataclass(frozen=True)
class CameraEffects:
    """Camera effect settings: `vignetting` 0..1 blend of the cos⁴ fall-off; `noise` read noise σ in 8-bit
    units at unit gain (0: none); `shot_noise` shot-noise factor (σ² per unit of signal); `motion_blur` s of
    shutter time (0: off)."""

    vignetting: float = 0.35
    noise: float = 1.2
    shot_noise: float = 0.03
    motion_blur: float = 0.0


def frame_rng(seed: int, channel: str, t: float, salt: int) -> np.random.Generator:
    """The Generator of one camera frame's effects: a function of seed, channel, time (µs) and `salt`."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(channel.encode()),
                                  int(round(t * 1e6)) & 0xFFFFFFFFFFFF, salt])  # t may be < 0 (recorded)


@lru_cache(maxsize=16)
def vignette(width: int, height: int, fx: float, fy: float, cx: float, cy: float, amount: float) -> np.ndarray:
    """(H, W, 1) float32 gain: 1 - amount·(1 - cos⁴θ), θ the angle of each pixel's ray to the optical axis."""
    u = (np.arange(width, dtype=np.float64) + 0.5 - cx) / fx
    v = (np.arange(height, dtype=np.float64) + 0.5 - cy) / fy
    c2 = 1.0 / (1.0 + u[None, :] ** 2 + v[:, None] ** 2)
    g = 1.0 - amount * (1.0 - c2 * c2)
    g = g.astype(F)[:, :, None]
    g.flags.writeable = False
    return g


def _cam2world(frame, camera) -> np.ndarray:
    return np.asarray(frame.ego.matrix, dtype=np.float64) @ camera.cam2ego


def motion_blur(img: np.ndarray, frame, camera, ego_before, taps: int = 5) -> np.ndarray:
    """Average of `taps` nearest samples of img (H, W, 3) float32 along each hit pixel's flow from the camera
    pose `ego_before` (the ego pose at the shutter's opening) to the frame's pose."""
    h, w = frame.semantic.shape
    pts = frame.points.reshape(-1, 3).astype(np.float64)
    ok = np.isfinite(pts[:, 0])
    before = np.asarray(ego_before.matrix, dtype=np.float64) @ camera.cam2ego
    w2c = np.linalg.inv(before)
    pc = pts[ok] @ w2c[:3, :3].T + w2c[:3, 3]
    z = np.maximum(pc[:, 2], 1e-3)
    k = camera.intrinsic
    u0 = k[0, 0] * pc[:, 0] / z + k[0, 2] - 0.5
    v0 = k[1, 1] * pc[:, 1] / z + k[1, 2] - 0.5
    idx = np.flatnonzero(ok)
    vv, uu = np.divmod(idx, w)
    du, dv = u0 - uu, v0 - vv
    flat = img.reshape(-1, 3)
    acc = np.zeros((idx.size, 3), F)
    for a in np.linspace(0.0, 1.0, taps):
        su = np.clip(np.rint(uu + a * du), 0, w - 1).astype(np.int64)
        sv = np.clip(np.rint(vv + a * dv), 0, h - 1).astype(np.int64)
        acc += flat[sv * w + su]
    out = img.copy()
    out.reshape(-1, 3)[idx] = acc / F(taps)
    return out


def lamp_glow(img: np.ndarray, frame, camera, lights, spread: float) -> None:
    """Add, in place, the glow of every light of `lights` (a LightSet, already scaled to its strength) whose
    lamp is in view and not hidden by a nearer surface: a bright core of the lamp's size and a halo
    `spread`-times wider (mist widens it). Lamps facing away from the camera stay dark."""
    if len(lights) == 0:
        return
    h, w = frame.semantic.shape
    c2w = _cam2world(frame, camera)
    eye = c2w[:3, 3]
    pc = (lights.position.astype(np.float64) - eye) @ c2w[:3, :3]
    z = pc[:, 2]
    k = camera.intrinsic
    with np.errstate(divide="ignore", invalid="ignore"):
        u = k[0, 0] * pc[:, 0] / z + k[0, 2]
        v = k[1, 1] * pc[:, 1] / z + k[1, 2]
    to_eye = eye - lights.position.astype(np.float64)
    dist = np.linalg.norm(to_eye, axis=1)
    facing = np.sum(lights.direction * to_eye, axis=1) / np.maximum(dist, 1e-6)
    lo, hi = lights.cos_outer.astype(np.float64), lights.cos_inner.astype(np.float64)
    cone = np.clip((facing - lo) / np.maximum(hi - lo, 1e-3), 0.0, 1.0)
    down = lights.direction[:, 2] < -0.9  # street lamps: the lamp head is seen from anywhere below it
    cone = np.where(down & (facing > 0), np.maximum(cone, 0.5), cone)
    depth = frame.depth
    fx = float(k[0, 0])
    for i in np.flatnonzero(lights.glow & (z > 0.3) & (cone > 0) & np.isfinite(u) & np.isfinite(v)):
        core = max(1.0, fx * float(lights.size[i]) / z[i])
        halo = core * 4.0 * spread + 1.5
        if not (-halo <= u[i] < w + halo and -halo <= v[i] < h + halo):
            continue
        pu, pv = int(np.clip(u[i], 0, w - 1)), int(np.clip(v[i], 0, h - 1))
        if 0 <= u[i] < w and 0 <= v[i] < h:
            d = float(depth[pv, pu])
            if 0 < d < z[i] - 0.4:  # something nearer covers the lamp
                continue
        col = lights.color[i].astype(np.float64)
        peak = float(col.max())
        if peak <= 0:
            continue
        amp = float(np.clip(np.sqrt(peak) / 2.5, 0.15, 1.0)) * cone[i]
        tint = col / peak
        r = int(np.ceil(halo * 2))
        x0, x1 = max(int(u[i]) - r, 0), min(int(u[i]) + r + 1, w)
        y0, y1 = max(int(v[i]) - r, 0), min(int(v[i]) + r + 1, h)
        if x0 >= x1 or y0 >= y1:
            continue
        gx = np.arange(x0, x1) + 0.5 - u[i]
        gy = np.arange(y0, y1) + 0.5 - v[i]
        rr = np.sqrt(gx[None, :] ** 2 + gy[:, None] ** 2)
        prof = np.clip(core + 0.5 - rr, 0.0, 1.0) + 0.35 * np.exp(-(rr / halo) ** 2)
        # The core burns to white; the halo keeps the lamp's colour.
        add = (255.0 * amp * prof)[:, :, None] * (0.5 * tint + 0.5 * np.clip(prof, 0, 1)[:, :, None])
        img[y0:y1, x0:x1] += add.astype(F)


def rain_streaks(img: np.ndarray, rng: np.random.Generator, density: float, brightness: float) -> None:
    """Add, in place, `density`·W·H/700 short, slanted, faint streaks of falling rain to img (H, W, 3)."""
    h, w = img.shape[:2]
    n = int(density * w * h / 700)
    if n == 0:
        return
    length = rng.uniform(0.02, 0.07, n) * h
    x = rng.uniform(0, w, n)
    y = rng.uniform(-0.05 * h, h, n)
    slant = np.radians(rng.normal(12.0, 3.0, n))
    alpha = rng.uniform(0.4, 1.0, n) * brightness
    steps = int(np.ceil(length.max()))
    a = np.arange(steps)[None, :]
    keep = a < length[:, None]
    px = np.rint(x[:, None] - a * np.sin(slant)[:, None]).astype(np.int64)
    py = np.rint(y[:, None] + a * np.cos(slant)[:, None]).astype(np.int64)
    keep &= (px >= 0) & (px < w) & (py >= 0) & (py < h)
    vals = np.broadcast_to(alpha[:, None], keep.shape)[keep]
    buf = np.zeros(h * w, np.float64)
    np.add.at(buf, py[keep] * w + px[keep], vals)
    img += buf.reshape(h, w, 1).astype(F)


def apply_effects(image: np.ndarray, frame, camera, effects: CameraEffects, atmosphere, seed: int,
                  gain: float = 1.0, lights=None, ego_before=None) -> np.ndarray:
    """The camera's 8-bit image (H, W, 3) uint8 from the rendered one: motion blur (when effects.motion_blur
    > 0 and `ego_before` is given), lamp glow of `lights`, rain streaks and contrast from `atmosphere`,
    vignetting, and noise scaled by the exposure `gain`."""
    img = image.astype(F)
    if effects.motion_blur > 0 and ego_before is not None:
        img = motion_blur(img, frame, camera, ego_before)
    if lights is not None and len(lights):
        lamp_glow(img, frame, camera, lights, 1.0 + (atmosphere.glare if atmosphere is not None else 0.0))
    if atmosphere is not None and atmosphere.rain > 0:
        rain_streaks(img, frame_rng(seed, frame.channel, frame.t, 2), atmosphere.rain, 40.0)
    if atmosphere is not None and atmosphere.contrast < 1.0:
        mean = img.reshape(-1, 3).mean(axis=0).astype(F)
        img -= mean
        img *= F(atmosphere.contrast)
        img += mean
    if effects.vignetting > 0:
        k = camera.intrinsic
        img *= vignette(camera.width, camera.height, float(k[0, 0]), float(k[1, 1]), float(k[0, 2]),
                        float(k[1, 2]), float(effects.vignetting))
    if effects.noise > 0 or effects.shot_noise > 0:
        rng = frame_rng(seed, frame.channel, frame.t, 1)
        np.clip(img, 0.0, 255.0, out=img)
        sigma = np.sqrt(F(effects.noise ** 2) + F(effects.shot_noise) * img) * F(np.sqrt(max(gain, 1e-3)))
        img += sigma * rng.standard_normal(img.shape, dtype=F)
    np.clip(img, 0.0, 255.0, out=img)
    return np.rint(img).astype(np.uint8)
