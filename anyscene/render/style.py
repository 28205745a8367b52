"""The look of the raster renderer: `RasterStyle` (sun, sky, haze, exposure, markings, palettes) and one
`Material` per Occ3D class, loaded from configs/render/raster.yaml by `load_style` (overrides on top; unknown
keys and out-of-range values are `ConfigError`s at FILE:LINE)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..classes import OCC3D_NAMES
from ..errors import ConfigError
from ..resources import config_dir, resolve

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
    from .. import yamlfile

    raw = yamlfile.parse(yamlfile.read_text(path, what="raster style"), str(path))
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
    from ..config_io import parse_override

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
    from .. import yamlfile

    path = _style_path(path_or_name)
    raw = _read_yaml(DEFAULT_STYLE)
    _check_keys(raw, str(DEFAULT_STYLE))
    source = str(path)
    lines: dict[str, str] = {}
    if path.resolve() != DEFAULT_STYLE.resolve():
        user = _read_yaml(path)
        _check_keys(user, source)
        doc_lines: dict = {}
        yamlfile.plain(user, "", doc_lines)
        lines = {k: f"{source}:{line}:{col}" for k, (line, col) in doc_lines.items()}
        raw = _merge(raw, user)
    if overrides:
        extra = _nest(overrides)
        _check_keys(extra, "override")
        raw = _merge(raw, extra)
        source = f"{path} (with overrides)"
    return _build(raw, source, lines)
