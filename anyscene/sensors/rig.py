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

from ..errors import ConfigError
from ..resources import config_dir, known, resolve
from .types import Camera, LidarModel, SensorRig

CONFIG_DIR = config_dir("rig")


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


@dataclass
class RigConfig:
    """A rig file: its name, cameras and LiDAR."""

    lidar: LidarConfig
    name: Optional[str] = None  # rig name; default: the file name without .yaml
    cameras: list[CameraConfig] = field(default_factory=list)  # the cameras, in channel order


def known_rigs() -> list[str]:
    return known("rig")


def load_rig(name_or_path: str, resolution: tuple[int, int] | None = None) -> SensorRig:
    """The rig `configs/rigs/NAME.yaml` (or a YAML file path), every camera scaled to `resolution` (W, H) when
    given. Unknown keys, missing fields and inconsistent values raise ConfigError naming the file."""
    path = resolve("rig", name_or_path)
    cfg = _read_config(path)
    if not cfg.cameras:
        raise ConfigError(f"{path}: a rig needs at least one camera")
    cameras = tuple(_camera(c, path) for c in cfg.cameras)
    channels = [c.channel for c in cameras] + [cfg.lidar.channel]
    dup = sorted({c for c in channels if channels.count(c) > 1})
    if dup:
        raise ConfigError(f"{path}: duplicate sensor channel(s) {dup}")
    if resolution is not None:
        w, h = (int(v) for v in resolution)
        if w <= 0 or h <= 0:
            raise ConfigError(f"resolution must be positive, got {w}x{h}")
        cameras = tuple(c.scaled(w, h) for c in cameras)
    return SensorRig(cfg.name or path.stem, cameras, _lidar(cfg.lidar, path))


def _read_config(path: Path) -> RigConfig:
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        raw = OmegaConf.load(path)
        merged = OmegaConf.merge(OmegaConf.structured(RigConfig), raw)
        cfg = OmegaConf.to_object(merged)
    except OmegaConfBaseException as e:
        key = getattr(e, "full_key", None)
        msg = str(e).splitlines()[0]
        raise ConfigError(f"{path}: {msg}" + (f" (at {key})" if key else "")) from None
    except Exception as e:  # YAML syntax errors
        raise ConfigError(f"{path}: cannot read rig: {e}") from None
    return cfg


def _vec(values, n: int, what: str, path: Path) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    if a.shape != (n,) or not np.all(np.isfinite(a)):
        raise ConfigError(f"{path}: {what} needs {n} finite numbers, got {values}")
    return a


def _quat(values, what: str, path: Path) -> np.ndarray:
    q = _vec(values, 4, what, path)
    norm = np.linalg.norm(q)
    if norm < 1e-6:
        raise ConfigError(f"{path}: {what} is not a rotation quaternion: {values}")
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


def _camera(c: CameraConfig, path: Path) -> Camera:
    where = f"camera {c.channel}"
    if c.width <= 0 or c.height <= 0:
        raise ConfigError(f"{path}: {where}: width and height must be positive")
    if (c.fx is None) == (c.fov_deg is None):
        raise ConfigError(f"{path}: {where}: give exactly one of fx or fov_deg")
    if c.fov_deg is not None and not 0 < c.fov_deg < 180:
        raise ConfigError(f"{path}: {where}: fov_deg must lie in (0, 180)")
    fx = c.fx if c.fx is not None else c.width / 2 / np.tan(np.radians(c.fov_deg) / 2)
    fy = c.fy if c.fy is not None else fx
    if fx <= 0 or fy <= 0:
        raise ConfigError(f"{path}: {where}: focal lengths must be positive")
    cx = c.cx if c.cx is not None else c.width / 2
    cy = c.cy if c.cy is not None else c.height / 2
    k = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    if (c.rotation is None) == (c.yaw_deg is None):
        raise ConfigError(f"{path}: {where}: give exactly one of rotation or yaw_deg")
    if c.rotation is not None:
        q = _quat(c.rotation, f"{where} rotation", path)
    else:
        q = look_rotation(np.radians(c.yaw_deg), np.radians(c.pitch_deg))
    t = _vec(c.translation, 3, f"{where} translation", path)
    return Camera(c.channel, int(c.width), int(c.height), k, t, q)


def _lidar(c: LidarConfig, path: Path) -> LidarModel:
    where = f"lidar {c.channel}"
    if c.elevations_deg is not None:
        elev = np.asarray(c.elevations_deg, dtype=np.float64)
        if elev.ndim != 1 or elev.size == 0 or np.any(np.diff(elev) <= 0):
            raise ConfigError(f"{path}: {where}: elevations_deg must be increasing (lowest ring first)")
    else:
        if c.rings <= 0 or c.elevation_max_deg < c.elevation_min_deg:
            raise ConfigError(f"{path}: {where}: needs rings > 0 and elevation_min_deg ≤ elevation_max_deg")
        elev = np.linspace(c.elevation_min_deg, c.elevation_max_deg, c.rings)
    if np.any(np.abs(elev) >= 90):
        raise ConfigError(f"{path}: {where}: elevations must lie in (-90, 90) degrees")
    if c.azimuth_steps <= 0 or c.rate <= 0:
        raise ConfigError(f"{path}: {where}: azimuth_steps and rate must be positive")
    if not 0 <= c.min_range < c.max_range:
        raise ConfigError(f"{path}: {where}: needs 0 ≤ min_range < max_range")
    return LidarModel(c.channel, np.radians(elev), int(c.azimuth_steps), float(c.rate), float(c.max_range),
                      float(c.min_range), _vec(c.translation, 3, f"{where} translation", path),
                      _quat(c.rotation, f"{where} rotation", path))
