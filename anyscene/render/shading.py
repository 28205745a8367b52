"""The raster renderer's image: turns a camera's condition maps (semantics, depth, instances, normals, hit
points) into a plausible RGB street image with procedural materials, sun and sky light, painted markings and
distance haze. Deterministic and weight-free; the default renderer.

Use: `style = load_style()` (anyscene.render.style); once per world `markings = MarkingRaster.build(world)` and
`buildings = BuildingIndex.build(world)` (anyscene.render.markings); then per camera frame
`render_rgb(frame, camera, style, markings, seed, agents=world.states(frame.t), buildings=buildings)`,
optionally with `shadow=sun_shadow(frame, scene, style)` (anyscene.render.lighting) for cast sun shadows.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from ..classes import FREE, OCC3D_NAMES
from .lighting import encode, haze, light_env, shade
from .materials import SHADERS
from .night import highlights, illuminate
from .noise import noise_bank
from .parts import shade_parts  # glass, tyres, lights, skin, clothes of library shapes
from .sky import pixel_rays, sky_radiance
from .style import RasterStyle
from .surface import AgentTable, ShadeContext, Surface
from .weather import wet

if TYPE_CHECKING:
    from ..sensors.types import Camera, CameraFrame
    from ..world.agents import AgentStates
    from .markings import BuildingIndex, MarkingRaster


def _combined_seed(style_seed: int, seed: int) -> int:
    return int((style_seed * 1_000_003 + int(seed)) % (2**31 - 1))


CHUNK = 1 << 18  # pixels per shading task; fixed, so the image never depends on the number of threads
SKY_DISTANCE = 1000.0  # m of mist a sky pixel looks through (fog, rain, overcast)
KOSCHMIEDER = 3.912  # extinction × visibility (2 % contrast)
SKY_BLOCK_FX = 1000.0  # px: cameras with a longer focal length evaluate the sky once per 2×2 pixel block


def default_threads() -> int:
    """Shading threads: the CPU cores this process may use, at most 8."""
    try:
        return max(1, min(8, len(os.sched_getaffinity(0))))
    except AttributeError:  # not on Linux
        return max(1, min(8, os.cpu_count() or 1))


def render_rgb(frame: "CameraFrame", camera: "Camera", style: RasterStyle, markings: "MarkingRaster | None" = None,
               seed: int = 0, *, agents: "AgentStates | None" = None, buildings: "BuildingIndex | None" = None,
               shadow: np.ndarray | None = None, threads: int | None = None, atmosphere=None,
               lights=None, lamps: np.ndarray | None = None) -> np.ndarray:
    """The RGB image (H, W, 3) uint8 of one camera frame.

    `frame` gives per-pixel classes, instances, world hit points and normals; `camera` its intrinsics and
    mounting (frame.ego places it in the world). Optional inputs refine the look: `markings` draws lane paint,
    zebra stripes and kerbs; `agents` (the world's AgentStates at frame.t) places windows, wheels and lights
    on each vehicle's box and clothing on people by height; `buildings` gives walls their building's colour,
    window grid and roof line (without it every manmade surface is a facade); `shadow` (H, W) 0..1 is the
    fraction of direct sunlight blocked at each pixel's surface; `atmosphere` (anyscene.render.environment)
    adds wet ground and fogs the sky; `lights` (a LightSet of anyscene.render.night, at its strength) lights
    surfaces with headlights, tail lights and street lamps; `lamps` (N,) per agent of `agents` sets its lamps
    (0 off, 1 on, 2 braking; default all on). Pixels are shaded in fixed chunks on
    `threads` threads (default: the usable cores); same inputs and seed -> identical bytes, whatever `threads`.
    """
    h, w = frame.semantic.shape
    if (camera.width, camera.height) != (w, h):
        raise ValueError(f"camera {camera.channel} is {camera.width}×{camera.height} but the frame is {w}×{h}")
    if shadow is not None and shadow.shape != (h, w):
        raise ValueError(f"shadow mask is {shadow.shape}, the frame is {(h, w)}")
    env = light_env(style)
    cseed = _combined_seed(style.seed, seed)
    table = AgentTable.from_states(agents, lamps) if agents is not None else None
    ctx = ShadeContext(style, cseed, noise_bank(cseed), env.night, markings, buildings, table)
    cam2world = np.asarray(frame.ego.matrix, dtype=np.float64) @ camera.cam2ego
    image = np.empty(h * w * 3, np.uint8)  # the result, interleaved RGB

    # Hit pixels grouped by class: each class is one contiguous run of `idx`.
    sem = frame.semantic.reshape(-1)
    counts = np.bincount(sem, minlength=FREE + 1)
    classes = [int(c) for c in np.flatnonzero(counts[:FREE])]
    idx = np.concatenate([np.flatnonzero(sem == c) for c in classes]) if classes else np.zeros(0, np.intp)
    runs = np.cumsum([0] + [int(counts[c]) for c in classes])
    sky_idx = np.flatnonzero(sem == FREE)
    tasks = [lambda a=a: _shade_hits(image, frame, idx, a, min(a + CHUNK, len(idx)), classes, runs, cam2world,
                                     camera, ctx, env, shadow, atmosphere, lights)
             for a in range(0, len(idx), CHUNK)]
    tasks += [lambda a=a: _sky(image, sky_idx[a:a + CHUNK], w, camera, cam2world, env, ctx, atmosphere)
              for a in range(0, len(sky_idx), CHUNK)]
    threads = default_threads() if threads is None else max(1, int(threads))
    if threads == 1 or len(tasks) == 1:
        for task in tasks:
            task()
    else:
        with ThreadPoolExecutor(min(threads, len(tasks))) as pool:
            for f in [pool.submit(task) for task in tasks]:
                f.result()
    return image.reshape(h, w, 3)


def _shade_hits(image, frame, idx, start, stop, classes, runs, cam2world, camera, ctx, env, shadow,
                atmosphere=None, lights=None) -> None:
    """Shade hit pixels idx[start:stop] (class runs `runs` over `classes`) into the flat image."""
    style = ctx.style
    sub = idx[start:stop]
    p = np.ascontiguousarray(np.take(frame.points.reshape(-1, 3), sub, axis=0).T, dtype=np.float32)
    nrm = np.ascontiguousarray(np.take(frame.normal.reshape(-1, 3), sub, axis=0).T, dtype=np.float32)
    inst = frame.instance.reshape(-1).take(sub)
    eye = cam2world[:3, 3].astype(np.float32)
    # Distance to the camera and |cos| of the viewing angle, without forming (3, n) view vectors.
    dist = np.zeros(len(sub), np.float32)
    ndv = np.zeros(len(sub), np.float32)
    for k in range(3):
        d = p[k] - eye[k]
        ndv -= nrm[k] * d
        d *= d
        dist += d
    np.sqrt(dist, out=dist)
    np.maximum(dist, np.float32(1e-6), out=dist)
    ndv /= dist
    np.abs(ndv, out=ndv)
    np.maximum(ndv, np.float32(0.25), out=ndv)
    foot = dist * np.float32(1.0 / float(camera.intrinsic[0, 0]))  # m of surface per pixel (capped at grazing)
    foot /= ndv

    n = len(sub)
    albedo = np.empty((3, n), np.float32)
    spec, shin = np.empty(n, np.float32), np.empty(n, np.float32)
    f0, emit = np.zeros(n, np.float32), np.zeros((3, n), np.float32)
    for c, r0, r1 in zip(classes, runs[:-1], runs[1:]):
        lo, hi = max(r0, start) - start, min(r1, stop) - start
        if lo >= hi:
            continue
        sl = slice(lo, hi)
        mat = style.materials[OCC3D_NAMES[c]]
        surf = Surface(c, p[:, sl], nrm[:, sl], foot[sl], dist[sl], inst[sl], albedo[:, sl], spec[sl], shin[sl],
                       f0[sl], emit[:, sl])
        SHADERS[mat.texture](surf, mat, ctx)
        if atmosphere is not None and atmosphere.wetness > 0:
            wet(surf, ctx, atmosphere.wetness)
    shade_parts(getattr(frame, "material", None), sub, inst, albedo, spec, shin, f0, emit, ctx)
    lit = None
    if lights is not None and len(lights):
        lit = albedo * illuminate(p, nrm, lights)
        lit += highlights(p, nrm, lights, eye, shin, spec, f0)
    sunlit = None if shadow is None else np.float32(1.0) - shadow.reshape(-1).take(sub).astype(np.float32)
    rad = shade(albedo, nrm, p, eye, spec, shin, f0, env, sunlit)
    if env.night > 0:
        rad += emit
    if lit is not None:
        rad += lit
    haze(rad, dist, env, style.haze_density)
    _scatter(image, sub, encode(rad, style.exposure))


def _sky(image: np.ndarray, sky_idx: np.ndarray, w: int, camera, cam2world, env, ctx, atmosphere=None) -> None:
    """Fill pixels `sky_idx` of the flat image with the sky. Above SKY_BLOCK_FX a pixel spans under a
    milliradian, finer than any sky detail, so the sky is evaluated per 2×2 block (the hit/sky boundary
    stays per pixel)."""
    style = ctx.style
    fx = float(camera.intrinsic[0, 0])
    block = 2 if fx >= SKY_BLOCK_FX else 1
    rows, cols = np.divmod(sky_idx, w)

    def radiance(r, c):
        dirs = pixel_rays(r, c, camera.intrinsic, cam2world, block=block)
        rad = sky_radiance(dirs, env, ctx.noise, style.cloud_cover, style.cloud_scale, style.sun_disc, block / fx)
        if atmosphere is not None and np.isfinite(atmosphere.visibility):
            # Mist hides the sky too: the view ends in the haze within about SKY_DISTANCE.
            keep = np.float32(np.exp(-KOSCHMIEDER / atmosphere.visibility * SKY_DISTANCE))
            for k in range(3):
                rad[k] -= env.haze[k]
                rad[k] *= keep
                rad[k] += env.haze[k]
        return encode(rad, style.exposure)

    if block == 1:
        _scatter(image, sky_idx, radiance(rows, cols))
        return
    bw = (w + 1) // 2
    key = (rows >> 1) * bw + (cols >> 1)  # the 2×2 block of each sky pixel
    first = int(key.min())
    key -= first
    used = np.zeros(int(key.max()) + 1, bool)
    used[key] = True
    blocks = np.flatnonzero(used)
    slot = np.zeros(len(used), np.int32)
    slot[blocks] = np.arange(len(blocks), dtype=np.int32)
    brow, bcol = np.divmod(blocks + first, bw)
    _scatter(image, sky_idx, radiance(brow, bcol).take(slot.take(key), axis=1))


def _scatter(image: np.ndarray, idx: np.ndarray, rgb: np.ndarray) -> None:
    """Write planes (3, n) uint8 into pixels `idx` (n,) of the flat interleaved image (H·W·3,)."""
    at = idx * 3
    for k in range(3):
        if k:
            at += 1
        image[at] = rgb[k]
