"""A nuScenes scene's calibrated sensors as a rig file (`configs/rigs/*.yaml` format, for `generate --rig`)."""
from __future__ import annotations

import dataclasses
import io

import numpy as np

from ...sensors.rig import read_rig_config

RIG_HEADER = ("# Sensor rig of nuScenes {scene} (log {logfile}, vehicle {vehicle}), from its calibrated_sensor "
              "records.\n# Poses are the sensor's pose in the ego frame: p_ego = R · p_sensor + t; quaternions "
              "[w, x, y, z]. The LiDAR's\n# beam model (rings, azimuth steps, range, dropout, ego-body mask) is "
              "the default nuscenes rig's; nuScenes does not record it.\n")


def camera_entry(channel: str, calib: dict, width: int, height: int) -> dict:
    """One camera of the rig from its calibrated_sensor record and image size (px)."""
    k = calib["camera_intrinsic"]
    return {"channel": channel, "width": int(width), "height": int(height),
            "fx": float(k[0][0]), "fy": float(k[1][1]), "cx": float(k[0][2]), "cy": float(k[1][2]),
            "translation": [float(v) for v in calib["translation"]],
            "rotation": [float(v) for v in calib["rotation"]]}


DEFAULT_RIG = "nuscenes"  # the shipped rig of the nuScenes vehicle: its cameras and LiDAR beam model
SAME_MOUNT = (0.10, 2.0)  # m, degrees: a recorded LiDAR this close to the default rig's sits on the same body


def default_cameras() -> list[dict]:
    """The cameras of the default rig (`configs/rigs/nuscenes.yaml`), as rig entries: for a recording that has
    none (a LiDAR-only dataset), so that its replay can still render cameras."""
    cfg = read_rig_config(DEFAULT_RIG)
    return [{k: v for k, v in dataclasses.asdict(c).items() if v is not None} for c in cfg.cameras]


def _angle_deg(q1: list[float], q2: list[float]) -> float:
    """The rotation angle (degrees) between two unit quaternions [w, x, y, z]."""
    a, b = np.asarray(q1, np.float64), np.asarray(q2, np.float64)
    dot = abs(float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.degrees(2.0 * np.arccos(min(1.0, dot))))


def lidar_entry(channel: str, calib: dict, warnings: list[str]) -> dict:
    """The LiDAR of the rig: its calibrated pose and the default rig's HDL-32E beam model (rings, firings,
    ranges, per-ring dropout: sensor constants). The default's ego-body mask (`self_occlusion`, measured on the
    nuScenes vehicle) is kept when the recorded LiDAR sits within SAME_MOUNT of the default's pose, the same
    vehicle; otherwise it is left out, with a warning."""
    d = read_rig_config(DEFAULT_RIG).lidar
    entry = {k: v for k, v in dataclasses.asdict(d).items() if v is not None}
    entry.update(channel=channel, translation=[float(v) for v in calib["translation"]],
                 rotation=[float(v) for v in calib["rotation"]])
    shift = float(np.linalg.norm(np.subtract(entry["translation"], d.translation)))
    turn = _angle_deg(entry["rotation"], d.rotation)
    if d.self_occlusion and (shift > SAME_MOUNT[0] or turn > SAME_MOUNT[1]):
        entry.pop("self_occlusion")
        warnings.append(f"{channel} sits {shift:.2f} m and {turn:.1f}° from the default nuscenes rig's LiDAR: "
                        "another vehicle, so the rig has no ego-body mask (self_occlusion); measure one with "
                        "tools/lidar_beams.py")
    return entry


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
