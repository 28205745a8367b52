"""A nuScenes scene's calibrated sensors as a rig file (`configs/rigs/*.yaml` format, for `generate --rig`)."""
from __future__ import annotations

import io

from ...sensors.rig import LidarConfig

RIG_HEADER = ("# Sensor rig of nuScenes {scene} (log {logfile}, vehicle {vehicle}), from its calibrated_sensor "
              "records.\n# Poses are the sensor's pose in the ego frame: p_ego = R · p_sensor + t; quaternions "
              "[w, x, y, z]. The LiDAR's\n# beam model (rings, azimuth steps, range) is the HDL-32E default; "
              "nuScenes does not record it.\n")


def camera_entry(channel: str, calib: dict, width: int, height: int) -> dict:
    """One camera of the rig from its calibrated_sensor record and image size (px)."""
    k = calib["camera_intrinsic"]
    return {"channel": channel, "width": int(width), "height": int(height),
            "fx": float(k[0][0]), "fy": float(k[1][1]), "cx": float(k[0][2]), "cy": float(k[1][2]),
            "translation": [float(v) for v in calib["translation"]],
            "rotation": [float(v) for v in calib["rotation"]]}


def default_cameras() -> list[dict]:
    """The cameras of the default rig (`configs/rigs/nuscenes.yaml`), as rig entries: for a recording that has
    none (a LiDAR-only dataset), so that its replay can still render cameras."""
    import dataclasses

    from ...resources import resolve
    from ...sensors.rig import _read_config

    cfg, _ = _read_config(resolve("rig", "nuscenes"))
    return [{k: v for k, v in dataclasses.asdict(c).items() if v is not None} for c in cfg.cameras]


def lidar_entry(channel: str, calib: dict) -> dict:
    """The LiDAR of the rig: its calibrated pose and the default HDL-32E beam model."""
    d = LidarConfig(translation=[0.0, 0.0, 0.0], rotation=[1.0, 0.0, 0.0, 0.0])
    return {"channel": channel, "rings": d.rings, "elevation_min_deg": d.elevation_min_deg,
            "elevation_max_deg": d.elevation_max_deg, "azimuth_steps": d.azimuth_steps, "rate": d.rate,
            "max_range": d.max_range, "min_range": d.min_range,
            "translation": [float(v) for v in calib["translation"]],
            "rotation": [float(v) for v in calib["rotation"]]}


def dump_rig(rig: dict, header: str = "") -> str:
    """The rig as YAML text, cameras one per line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def flow(obj):
        if isinstance(obj, list) and all(isinstance(v, (int, float)) for v in obj):
            seq = CommentedSeq(obj)
            seq.fa.set_flow_style()
            return seq
        if isinstance(obj, dict):
            return CommentedMap((k, flow(v)) for k, v in obj.items())
        if isinstance(obj, list):
            return [flow(v) for v in obj]
        return obj

    y = YAML()
    y.default_flow_style = False
    y.width = 160
    buf = io.StringIO()
    y.dump(flow(rig), buf)
    return header + buf.getvalue()
