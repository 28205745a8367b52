"""The raster renderer: turns a camera's condition maps (semantics, depth, instances, normals, hit points) into a
plausible RGB street image with procedural materials, sun and sky light, painted markings and distance haze.
Deterministic and weight-free; the default renderer.

Use: `style = load_style()`; once per world `markings = MarkingRaster.build(world)` and
`buildings = BuildingIndex.build(world)` (anyscene.render.markings); then per camera frame
`render_rgb(frame, camera, style, markings, seed, agents=world.states(frame.t), buildings=buildings)`,
optionally with `shadow=sun_shadow(frame, scene, style)` (anyscene.render.lighting) for cast sun shadows.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from ..classes import FREE, OCC3D_NAMES
from ..errors import ConfigError
from ..resources import config_dir, resolve

if TYPE_CHECKING:
    from ..sensors.types import Camera, CameraFrame
    from ..world.agents import AgentStates
    from .markings import BuildingIndex, MarkingRaster

CONFIG_DIR = config_dir("style")
DEFAULT_STYLE = CONFIG_DIR / "raster.yaml"

RGB = tuple[int, int, int]
TEXTURES = ("plain", "asphalt", "concrete", "paving", "grass", "foliage", "facade", "vehicle", "cycle", "person",
            "cone", "barrier")


@dataclass(frozen=True)
class Material:
    """How one Occ3D class looks: sRGB base `color`, `jitter` 0..1 texture brightness variation, `roughness`
    0..1 (highlight size), `specular` 0..1 highlight strength, procedural `texture` (one of TEXTURES), its size
    `scale` in metres, and `palette`: a palette name to draw the colour from per instance, or None."""

    color: RGB
    jitter: float
    roughness: float
    specular: float
    texture: str
    scale: float
    palette: str | None


@dataclass(frozen=True)
class RasterStyle:
    """Everything the raster renderer's look depends on; see configs/render/raster.yaml for each field.

    Angles in degrees, sun azimuth clockwise from north (world +y), colours sRGB 0..255, haze density 1/m.
    `palettes` maps a name to its colours; `materials` maps every Occ3D class name (except free) to a Material.
    """

    seed: int
    time_of_day: float | None
    latitude: float
    day_of_year: int
    sun_azimuth: float
    sun_elevation: float
    sun_color: RGB
    sun_intensity: float
    sun_disc: float
    sky_zenith: RGB
    sky_horizon: RGB
    dusk_zenith: RGB
    dusk_horizon: RGB
    dusk_sun: RGB
    night_zenith: RGB
    night_horizon: RGB
    night_light: RGB
    ambient: float
    ground_bounce: RGB
    cloud_cover: float
    cloud_scale: float
    haze_color: RGB
    haze_density: float
    exposure: float
    white_balance: float
    marking_white: RGB
    marking_yellow: RGB
    marking_wear: float
    marking_distance: float
    curb_color: RGB
    window_glass: RGB
    window_lit: RGB
    window_lit_fraction: float
    vehicle_glass: RGB
    tire: RGB
    palettes: Mapping[str, tuple[RGB, ...]]
    materials: Mapping[str, Material]


# Value kinds and bounds of the scalar fields (everything not listed is an RGB colour).
_SCALARS: dict[str, tuple[str, float, float]] = {
    "seed": ("int", 0, 2**31 - 1), "time_of_day": ("opt_float", 0.0, 24.0), "latitude": ("float", -90.0, 90.0),
    "day_of_year": ("int", 1, 366), "sun_azimuth": ("float", -360.0, 360.0), "sun_elevation": ("float", -90.0, 90.0),
    "sun_intensity": ("float", 0.0, 100.0), "sun_disc": ("float", 0.0, 10.0), "ambient": ("float", 0.0, 10.0),
    "cloud_cover": ("float", 0.0, 1.0), "cloud_scale": ("float", 1.0, 1e5), "haze_density": ("float", 0.0, 1.0),
    "exposure": ("float", 0.0, 100.0), "white_balance": ("float", 0.0, 1.0), "marking_wear": ("float", 0.0, 1.0), "marking_distance": ("float", 0.0, 1e4),
    "window_lit_fraction": ("float", 0.0, 1.0),
}
_MATERIAL_SCALARS = {"jitter": (0.0, 1.0), "roughness": (0.0, 1.0), "specular": (0.0, 1.0), "scale": (1e-4, 100.0)}
_STYLE_KEYS = tuple(f.name for f in fields(RasterStyle))
_MATERIAL_KEYS = tuple(f.name for f in fields(Material))
_CLASSES = tuple(n for n in OCC3D_NAMES if n != "free")


def _style_path(path_or_name: str | Path | None) -> Path:
    if path_or_name is None:
        return DEFAULT_STYLE
    return resolve("style", path_or_name)


def _read_yaml(path: Path):
    """The file's top-level mapping (a ruamel CommentedMap, which remembers line/column of each key)."""
    from ..config import yaml as config_yaml

    raw = config_yaml.parse(config_yaml.read_text(path, what="raster style"), str(path))
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a raster style must be a mapping of keys to values")
    return raw


def _where(source: str, mapping, key) -> str:
    lc = getattr(mapping, "lc", None)
    if lc is not None:
        try:
            line, col = lc.key(key)
            return f"{source}:{line + 1}:{col + 1}"
        except (KeyError, TypeError):
            pass
    return source


def _check_keys(raw: Mapping, source: str) -> None:
    """Raise ConfigError at the first key a raster style does not know (file:line:col where known)."""
    for k, v in raw.items():
        if k not in _STYLE_KEYS:
            raise ConfigError(f"{_where(source, raw, k)}: unknown raster style key '{k}'; "
                              f"known: {', '.join(_STYLE_KEYS)}")
    mats = raw.get("materials")
    if mats is None:
        return
    if not isinstance(mats, Mapping):
        raise ConfigError(f"{_where(source, raw, 'materials')}: materials must map class names to materials")
    for cls, m in mats.items():
        if cls not in _CLASSES:
            raise ConfigError(f"{_where(source, mats, cls)}: unknown class '{cls}' in materials; "
                              f"known: {', '.join(_CLASSES)}")
        if not isinstance(m, Mapping):
            raise ConfigError(f"{_where(source, mats, cls)}: materials.{cls} must be a mapping")
        for k in m:
            if k not in _MATERIAL_KEYS:
                raise ConfigError(f"{_where(source, m, k)}: unknown material key 'materials.{cls}.{k}'; "
                                  f"known: {', '.join(_MATERIAL_KEYS)}")


def _nest(overrides: Mapping[str, Any] | Sequence[str]) -> dict:
    """Overrides as a nested dict: a mapping (keys may be dotted) or 'dotted.key=yaml value' strings."""
    from ..config import parse_override

    items: list[tuple[str, Any]] = []
    if isinstance(overrides, Mapping):
        items = list(overrides.items())
    else:
        items = [parse_override(s, example="materials.car.palette=null") for s in overrides]
    out: dict = {}
    for key, value in items:
        parts = str(key).split(".")
        d = out
        for p in parts[:-1]:
            d = d.setdefault(p, {})
            if not isinstance(d, dict):
                raise ConfigError(f"override '{key}': '{p}' is set twice")
        d[parts[-1]] = value
    return out


def _merge(base: Mapping, update: Mapping) -> dict:
    """`update` deep-merged over `base`: materials field by field, palettes name by name (a palette's list
    is replaced whole)."""
    out = dict(base)
    for k, v in update.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _rgb(value, source: str, name: str) -> RGB:
    ok = isinstance(value, (list, tuple)) and len(value) == 3 and all(
        isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 255 for c in value)
    if not ok:
        raise ConfigError(f"{source}: {name} must be an sRGB colour [r, g, b] with values 0..255, got {value!r}")
    return tuple(int(round(c)) for c in value)  # type: ignore[return-value]


def _number(value, kind: str, lo: float, hi: float, source: str, name: str):
    if kind == "opt_float" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{source}: {name} must be a number, got {value!r}")
    if kind == "int" and float(value) != int(value):
        raise ConfigError(f"{source}: {name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{source}: {name} = {value} is outside [{lo}, {hi}]")
    return int(value) if kind == "int" else float(value)


def _build(raw: dict, source: str, lines: dict | None = None) -> RasterStyle:
    """The style of merged `raw` data; `lines` maps dotted keys set by the user's file to FILE:LINE:COL."""
    lines = lines or {}

    def at(name: str) -> str:
        p = name
        while p:
            if p in lines:
                return lines[p]
            p = p[: p.rindex("[")] if p.endswith("]") else (p.rsplit(".", 1)[0] if "." in p else "")
        return source

    missing = [k for k in _STYLE_KEYS if k not in raw]
    if missing:
        raise ConfigError(f"{source}: missing raster style key(s) {', '.join(missing)}")
    palettes = raw["palettes"]
    if not isinstance(palettes, Mapping) or not palettes:
        raise ConfigError(f"{at('palettes')}: palettes must map names to lists of colours")
    pal: dict[str, tuple[RGB, ...]] = {}
    for name, colours in palettes.items():
        if not isinstance(colours, (list, tuple)) or not colours:
            raise ConfigError(f"{at(f'palettes.{name}')}: palettes.{name} must be a non-empty list of colours")
        pal[str(name)] = tuple(_rgb(c, at(f"palettes.{name}[{i}]"), f"palettes.{name}[{i}]") for i, c in enumerate(colours))
    mats: dict[str, Material] = {}
    for cls in _CLASSES:
        m = raw["materials"].get(cls) if isinstance(raw["materials"], Mapping) else None
        if not isinstance(m, Mapping):
            raise ConfigError(f"{source}: materials.{cls} is missing")
        miss = [k for k in _MATERIAL_KEYS if k not in m]
        if miss:
            raise ConfigError(f"{source}: materials.{cls} lacks {', '.join(miss)}")
        if m["texture"] not in TEXTURES:
            raise ConfigError(f"{at(f'materials.{cls}.texture')}: materials.{cls}.texture '{m['texture']}' is not one of {', '.join(TEXTURES)}")
        if m["palette"] is not None and m["palette"] not in pal:
            raise ConfigError(f"{at(f'materials.{cls}.palette')}: materials.{cls}.palette '{m['palette']}' is not a palette "
                              f"({', '.join(pal)})")
        vals = {k: _number(m[k], "float", lo, hi, at(f"materials.{cls}.{k}"), f"materials.{cls}.{k}")
                for k, (lo, hi) in _MATERIAL_SCALARS.items()}
        mats[cls] = Material(color=_rgb(m["color"], at(f"materials.{cls}.color"), f"materials.{cls}.color"), texture=m["texture"],
                             palette=m["palette"], **vals)
    kw: dict[str, Any] = {"palettes": pal, "materials": mats}
    for k in _STYLE_KEYS:
        if k in kw:
            continue
        if k in _SCALARS:
            kind, lo, hi = _SCALARS[k]
            kw[k] = _number(raw[k], kind, lo, hi, at(k), k)
        else:
            kw[k] = _rgb(raw[k], at(k), k)
    return RasterStyle(**kw)


def load_style(path_or_name: str | Path | None = None,
               overrides: Mapping[str, Any] | Sequence[str] | None = None) -> RasterStyle:
    """The raster style from `configs/render/raster.yaml` (None), `configs/render/NAME.yaml` or a YAML file.

    A file other than the default is merged over the default, so it need only name what it changes.
    `overrides` apply last: a mapping (keys may be dotted, e.g. {"materials.car.palette": None}) or a list of
    "dotted.key=value" strings. Unknown keys and bad values raise ConfigError naming the file (with line and
    column) or the override.
    """
    from ..config import yaml as config_yaml

    path = _style_path(path_or_name)
    raw = _read_yaml(DEFAULT_STYLE)
    _check_keys(raw, str(DEFAULT_STYLE))
    source = str(path)
    lines: dict[str, str] = {}
    if path.resolve() != DEFAULT_STYLE.resolve():
        user = _read_yaml(path)
        _check_keys(user, source)
        doc_lines: dict = {}
        config_yaml.plain(user, "", doc_lines)
        lines = {k: f"{source}:{line}:{col}" for k, (line, col) in doc_lines.items()}
        raw = _merge(raw, user)
    if overrides:
        extra = _nest(overrides)
        _check_keys(extra, "override")
        raw = _merge(raw, extra)
        source = f"{path} (with overrides)"
    return _build(raw, source, lines)


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
    from .lighting import light_env
    from .materials import AgentTable, ShadeContext, noise_bank

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
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(threads, len(tasks))) as pool:
            for f in [pool.submit(task) for task in tasks]:
                f.result()
    return image.reshape(h, w, 3)


def _shade_hits(image, frame, idx, start, stop, classes, runs, cam2world, camera, ctx, env, shadow,
                atmosphere=None, lights=None) -> None:
    """Shade hit pixels idx[start:stop] (class runs `runs` over `classes`) into the flat image."""
    from ..classes import OCC3D_NAMES
    from .lighting import encode, haze, shade
    from .materials import SHADERS, Surface
    from .night import highlights, illuminate
    from .weather import wet

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
    from .parts import shade_parts  # glass, tyres, lights, skin, clothes of library shapes

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
    from .lighting import encode
    from .sky import pixel_rays, sky_radiance

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
