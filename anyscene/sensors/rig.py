"""Sensor rigs as data: `configs/rigs/NAME.yaml` holds the cameras and the LiDAR of one car.

A camera gives its intrinsics either as `fx` (`fy`, `cx`, `cy`) in pixels or as a horizontal `fov_deg`, and its
orientation either as a quaternion `rotation` [w, x, y, z] (camera→ego, normalised on load) or as a level-ish
viewing direction `yaw_deg` / `pitch_deg`. The LiDAR gives its rings either as an explicit `elevations_deg`
list or as `rings` evenly spaced between `elevation_min_deg` and `elevation_max_deg`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..config import load_structured
from ..errors import ConfigError
from ..names import name_problem
from ..resources import config_dir, resolve
from .types import OCCLUSION_BINS, Camera, LidarModel, SensorRig

CONFIG_DIR = config_dir("rig")
MIN_SIDE, MAX_SIDE = 16, 8192  # px: image width and height
MAX_PIXELS = 3840 * 2160  # px: one camera image
MAX_CAMERAS = 16
MAX_FOCAL = 1e6  # px: |fx|, |fy|, |cx|, |cy|
MAX_MOUNT = 50.0  # m: sensor positions from the ego origin
MAX_RINGS = 256  # LiDAR lasers
MAX_AZIMUTH_STEPS = 20_000  # LiDAR firings per revolution
MAX_RANGE = 1000.0  # m: LiDAR range


@dataclass
class CameraConfig:
    """One pinhole camera of a rig file."""

    channel: str  # sensor channel name, e.g. CAM_FRONT
    translation: list[float]  # m, camera position in the ego frame (x forward, y left, z up)
    width: int = 1600  # image width, px
    height: int = 900  # image height, px
    fx: Optional[float] = None  # focal length along x, px (give fx or fov_deg)
    fy: Optional[float] = None  # focal length along y, px; default fx
    cx: Optional[float] = None  # principal point x, px; default width / 2
    cy: Optional[float] = None  # principal point y, px; default height / 2
    fov_deg: Optional[float] = None  # horizontal field of view, degrees, instead of fx
    rotation: Optional[list[float]] = None  # camera→ego quaternion [w, x, y, z] (give rotation or yaw_deg)
    yaw_deg: Optional[float] = None  # viewing direction in the ego frame, degrees, 0 = forward, 90 = left
    pitch_deg: float = 0.0  # tilt of the optical axis above the horizon, degrees (with yaw_deg)


@dataclass
class LidarConfig:
    """A spinning LiDAR of a rig file."""

    translation: list[float]  # m, sensor position in the ego frame
    rotation: list[float]  # LiDAR→ego quaternion [w, x, y, z]; LiDAR frame x right, y forward, z up
    channel: str = "LIDAR_TOP"  # sensor channel name
    rings: int = 32  # number of lasers, evenly spaced in elevation (unless elevations_deg is given)
    elevation_min_deg: float = -30.67  # elevation of the lowest ring, degrees
    elevation_max_deg: float = 10.67  # elevation of the highest ring, degrees
    elevations_deg: Optional[list[float]] = None  # explicit ring elevations, degrees, lowest first
    azimuth_steps: int = 1085  # firings per revolution
    rate: float = 20.0  # revolutions per second, Hz
    max_range: float = 100.0  # m, farthest return
    min_range: float = 1.0  # m, nearest return
    # ego-body mask: "RING: FROM..TO, ..." LiDAR-frame azimuth spans (whole degrees of atan2(y, x), half-open)
    # where the car's own body blocks the ring's beams; none: nothing blocked
    self_occlusion: Optional[list[str]] = None
    dropout_ranges_m: Optional[list[float]] = None  # m, increasing edges between the ring_dropout range bins
    # per ring (lowest first), per range bin: probability that a beam reaching a surface returns nothing
    ring_dropout: Optional[list[list[float]]] = None


@dataclass
class RadarConfig:
    """A radar of a rig file (a Continental ARS408: boresight along its x axis, detections in its x-y plane)."""

    channel: str  # sensor channel name, e.g. RADAR_FRONT
    translation: list[float]  # m, sensor position in the ego frame
    rotation: list[float]  # radar→ego quaternion [w, x, y, z]


@dataclass
class RigConfig:
    """A rig file: its name, cameras, LiDAR and radars."""

    lidar: LidarConfig
    name: Optional[str] = None  # rig name; default: the file name without .yaml
    cameras: list[CameraConfig] = field(default_factory=list)  # the cameras, in channel order
    radars: list[RadarConfig] = field(default_factory=list)  # the radars, in channel order (none: no radar)


def load_rig(name_or_path: str, resolution: tuple[int, int] | None = None) -> SensorRig:
    """The rig `configs/rigs/NAME.yaml` (or a YAML file path), every camera scaled to `resolution` (W, H) when
    given. Unknown keys, missing fields and inconsistent values raise ConfigError naming the file."""
    path = resolve("rig", name_or_path)
    cfg, doc = _read_config(path)
    if not cfg.cameras:
        raise doc.error("cameras", "a rig needs at least one camera")
    cameras = tuple(_camera(c, i, doc) for i, c in enumerate(cfg.cameras))
    keys = ([f"cameras[{i}].channel" for i in range(len(cameras))] + ["lidar.channel"]
            + [f"radars[{i}].channel" for i in range(len(cfg.radars))])
    channels = [c.channel for c in cameras] + [cfg.lidar.channel] + [r.channel for r in cfg.radars]
    seen: dict[str, str] = {}
    for key, channel in zip(keys, channels):  # at the entry that repeats a channel
        if channel in seen:
            at, other = (key, seen[channel]) if key in doc.lines or seen[channel] not in doc.lines else (seen[channel], key)
            raise doc.error(at, f"duplicate sensor channel '{channel}' (also {other}); give each sensor its own "
                                "channel")
        seen[channel] = key
    if resolution is not None:
        w, h = (int(v) for v in resolution)
        if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE) or w * h > MAX_PIXELS:
            raise ConfigError(f"resolution {w}x{h}: width and height must be {MIN_SIDE}..{MAX_SIDE} pixels, at "
                              f"most {MAX_PIXELS:,} pixels in all")
        cameras = tuple(c.scaled(w, h) for c in cameras)
    if len(cfg.radars) > MAX_CAMERAS:
        raise doc.error("radars", f"{len(cfg.radars)} radars; a rig may have at most {MAX_CAMERAS}")
    return SensorRig(cfg.name or path.stem, cameras, _lidar(cfg.lidar, doc),
                     tuple(_radar(r, i, doc) for i, r in enumerate(cfg.radars)))


def _radar(c: RadarConfig, i: int, doc):
    from .radar import RadarModel

    where = f"radars[{i}]"
    problem = name_problem(c.channel)
    if problem:
        raise doc.error(f"{where}.channel", problem)
    t = _vec(c.translation, 3, "translation", doc, f"{where}.translation")
    if np.abs(t).max() > MAX_MOUNT:
        raise doc.error(f"{where}.translation", f"more than {MAX_MOUNT:g} m from the ego origin")
    return RadarModel(c.channel, t, _quat(c.rotation, "rotation", doc, f"{where}.rotation"))


def read_rig_config(name_or_path: str) -> RigConfig:
    """The checked contents of the rig `configs/rigs/NAME.yaml` (or a YAML file path), as written: for tools
    that build rig files from it (the importer takes the default rig's beam model and cameras)."""
    return _read_config(resolve("rig", name_or_path))[0]


def _read_config(path: Path):
    """(RigConfig, YamlDoc) of a rig file: FILE:LINE:COL errors for syntax, unknown keys, types, bounds."""
    cfg, provenance = load_structured(path, RigConfig, what="rig file", reference="configs/rigs/nuscenes.yaml")
    doc = provenance.doc
    _check_bounds(cfg, doc)
    return cfg, doc


def _check_bounds(cfg: RigConfig, doc) -> None:
    """Names, image sizes, ray counts and ranges within the documented limits (docs/layout.md, "Limits")."""
    if len(cfg.cameras) > MAX_CAMERAS:
        raise doc.error("cameras", f"{len(cfg.cameras)} cameras; a rig may have at most {MAX_CAMERAS}")
    for i, c in enumerate(cfg.cameras):
        where = f"cameras[{i}]"
        problem = name_problem(c.channel)
        if problem:
            raise doc.error(f"{where}.channel", problem)
        for name in ("width", "height"):
            v = getattr(c, name)
            if not MIN_SIDE <= v <= MAX_SIDE:
                raise doc.error(f"{where}.{name}", f"{v} px; allowed: {MIN_SIDE}..{MAX_SIDE}")
        if c.width * c.height > MAX_PIXELS:
            raise doc.error(f"{where}.width", f"{c.width}x{c.height} is {c.width * c.height:,} pixels; at most "
                                              f"{MAX_PIXELS:,} (3840x2160) per camera")
        for name in ("fx", "fy", "cx", "cy"):
            v = getattr(c, name)
            if v is not None and not abs(v) <= MAX_FOCAL:
                raise doc.error(f"{where}.{name}", f"{v:g} px; allowed: -{MAX_FOCAL:g}..{MAX_FOCAL:g}")
        if any(abs(v) > MAX_MOUNT for v in c.translation):
            raise doc.error(f"{where}.translation", f"allowed: each within ±{MAX_MOUNT:g} m of the ego origin")
    lidar = cfg.lidar
    problem = name_problem(lidar.channel)
    if problem:
        raise doc.error("lidar.channel", problem)
    rings = len(lidar.elevations_deg) if lidar.elevations_deg is not None else lidar.rings
    if not 1 <= rings <= MAX_RINGS:
        raise doc.error("lidar.rings", f"{rings} rings; allowed: 1..{MAX_RINGS}")
    if not 1 <= lidar.azimuth_steps <= MAX_AZIMUTH_STEPS:
        raise doc.error("lidar.azimuth_steps", f"{lidar.azimuth_steps}; allowed: 1..{MAX_AZIMUTH_STEPS}")
    if not 0 < lidar.rate <= 100:
        raise doc.error("lidar.rate", f"{lidar.rate:g} Hz; allowed: (0, 100]")
    if not lidar.max_range <= MAX_RANGE:
        raise doc.error("lidar.max_range", f"{lidar.max_range:g} m; allowed: at most {MAX_RANGE:g}")
    if any(abs(v) > MAX_MOUNT for v in lidar.translation):
        raise doc.error("lidar.translation", f"allowed: each within ±{MAX_MOUNT:g} m of the ego origin")


def _vec(values, n: int, what: str, doc, key: str) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    if a.shape != (n,) or not np.all(np.isfinite(a)):
        raise doc.error(key, f"{what} needs {n} finite numbers, got {values}")
    return a


def _quat(values, what: str, doc, key: str) -> np.ndarray:
    from .geometry import vector_norm

    q = _vec(values, 4, what, doc, key)
    norm = vector_norm(q)
    if norm < 1e-6:
        raise doc.error(key, f"{what} is not a rotation quaternion: {values}")
    return q / norm


def look_rotation(yaw: float, pitch: float) -> np.ndarray:
    """Camera→ego quaternion [w, x, y, z] of a camera looking along heading `yaw`, tilted up by `pitch` (rad),
    with no roll (image x stays horizontal)."""
    from .geometry import matrix_to_quat

    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    z = np.array([cp * cy, cp * sy, sp])  # optical axis
    y = np.array([sp * cy, sp * sy, -cp])  # image down
    x = np.cross(y, z)  # image right
    return matrix_to_quat(np.stack([x, y, z], axis=1))


def _camera(c: CameraConfig, i: int, doc) -> Camera:
    where, key = f"camera {c.channel}", f"cameras[{i}]"
    if (c.fx is None) == (c.fov_deg is None):
        raise doc.error(key, f"{where}: give exactly one of fx or fov_deg")
    if c.fov_deg is not None and not 0 < c.fov_deg < 180:
        raise doc.error(f"{key}.fov_deg", f"{where}: fov_deg must lie in (0, 180)")
    fx = c.fx if c.fx is not None else c.width / 2 / np.tan(np.radians(c.fov_deg) / 2)
    fy = c.fy if c.fy is not None else fx
    if fx <= 0 or fy <= 0:
        raise doc.error(f"{key}.fx", f"{where}: focal lengths must be positive")
    cx = c.cx if c.cx is not None else c.width / 2
    cy = c.cy if c.cy is not None else c.height / 2
    k = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    if (c.rotation is None) == (c.yaw_deg is None):
        raise doc.error(key, f"{where}: give exactly one of rotation or yaw_deg")
    if c.rotation is not None:
        q = _quat(c.rotation, f"{where} rotation", doc, f"{key}.rotation")
    else:
        q = look_rotation(np.radians(c.yaw_deg), np.radians(c.pitch_deg))
    t = _vec(c.translation, 3, f"{where} translation", doc, f"{key}.translation")
    return Camera(c.channel, int(c.width), int(c.height), k, t, q)


def _lidar(c: LidarConfig, doc) -> LidarModel:
    where = f"lidar {c.channel}"
    if c.elevations_deg is not None:
        elev = np.asarray(c.elevations_deg, dtype=np.float64)
        if elev.ndim != 1 or elev.size == 0 or np.any(np.diff(elev) <= 0):
            raise doc.error("lidar.elevations_deg", f"{where}: elevations_deg must be increasing (lowest ring "
                                                    "first)")
    else:
        if c.rings <= 0 or c.elevation_max_deg < c.elevation_min_deg:
            raise doc.error("lidar.rings", f"{where}: needs rings > 0 and elevation_min_deg ≤ elevation_max_deg")
        elev = np.linspace(c.elevation_min_deg, c.elevation_max_deg, c.rings)
    if np.any(np.abs(elev) >= 90):
        raise doc.error("lidar", f"{where}: elevations must lie in (-90, 90) degrees")
    if c.azimuth_steps <= 0 or c.rate <= 0:
        raise doc.error("lidar", f"{where}: azimuth_steps and rate must be positive")
    if not 0 <= c.min_range < c.max_range:
        raise doc.error("lidar.min_range", f"{where}: needs 0 ≤ min_range < max_range")
    occlusion = _self_occlusion(c.self_occlusion, elev.size, doc) if c.self_occlusion is not None else None
    edges, table = _ring_dropout(c, elev.size, doc)
    return LidarModel(c.channel, np.radians(elev), int(c.azimuth_steps), float(c.rate), float(c.max_range),
                      float(c.min_range), _vec(c.translation, 3, f"{where} translation", doc, "lidar.translation"),
                      _quat(c.rotation, f"{where} rotation", doc, "lidar.rotation"), occlusion, table, edges)


def _self_occlusion(lines: list[str], rings: int, doc) -> np.ndarray:
    """(rings, OCCLUSION_BINS) bool mask from "RING: FROM..TO, ..." lines (see LidarConfig.self_occlusion)."""
    mask = np.zeros((rings, OCCLUSION_BINS), bool)
    for i, line in enumerate(lines):
        key = f"lidar.self_occlusion[{i}]"
        ring_text, sep, spans = str(line).partition(":")
        try:
            ring = int(ring_text)
            pairs = [tuple(int(v) for v in span.split("..")) for span in spans.split(",")] if sep else []
        except ValueError:
            pairs = []
            ring = -1
        if not pairs or any(len(p) != 2 for p in pairs):
            raise doc.error(key, f"'{line}': expected 'RING: FROM..TO, ...' (whole degrees)")
        if not 0 <= ring < rings:
            raise doc.error(key, f"ring {ring}; allowed: 0..{rings - 1}")
        for a, b in pairs:
            if not -180 <= a < b <= 180:
                raise doc.error(key, f"span {a}..{b}; needs -180 ≤ FROM < TO ≤ 180")
            mask[ring, a + 180:b + 180] = True
    return mask


def _ring_dropout(c: LidarConfig, rings: int, doc) -> tuple[np.ndarray | None, np.ndarray | None]:
    if c.ring_dropout is None:
        if c.dropout_ranges_m is not None:
            raise doc.error("lidar.dropout_ranges_m", "dropout_ranges_m needs ring_dropout")
        return None, None
    edges = np.asarray(c.dropout_ranges_m or [], dtype=np.float64)
    if edges.ndim != 1 or np.any(np.diff(edges) <= 0) or np.any(edges <= 0):
        raise doc.error("lidar.dropout_ranges_m", "dropout_ranges_m must be positive and increasing")
    rows = [list(r) for r in c.ring_dropout]
    if len(rows) != rings or any(len(r) != edges.size + 1 for r in rows):
        raise doc.error("lidar.ring_dropout", f"ring_dropout needs {rings} rows (one per ring) of {edges.size + 1} "
                                              "rates (one per range bin of dropout_ranges_m)")
    table = np.asarray(rows, dtype=np.float64)
    if np.any((table < 0) | (table > 1)):
        raise doc.error("lidar.ring_dropout", "rates must lie in [0, 1]")
    return edges, table
