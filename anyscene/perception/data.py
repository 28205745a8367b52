"""Keyframes of any nuScenes-format dataroot, read through the devkit: multi-sweep points and boxes in the
keyframe's ego frame.

A source is `DATAROOT:VERSION[:SCENES]`; SCENES is `+`-separated scene names, each optionally with an
inclusive keyframe range `NAME@FIRST-LAST` (0-based keyframe indices within the scene), e.g.
`../shared/nuscenes-real:v1.0-real:scene-0916@0-24`. Without SCENES every scene of the version is used.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import ConfigError, DatasetError

DETECTION_CLASSES = ("car", "truck", "bus", "trailer", "construction_vehicle", "pedestrian", "motorcycle",
                     "bicycle", "traffic_cone", "barrier")
MIN_RANGE = 1.0  # m from the LiDAR: closer points are dropped (as the devkit's remove_close)
TABLES = ("category", "attribute", "visibility", "instance", "sensor", "calibrated_sensor", "ego_pose", "log",
          "scene", "sample", "sample_data", "sample_annotation", "map")


@dataclass(frozen=True)
class SceneSelection:
    """One scene and an inclusive range of its keyframes (0-based; last None = to the end)."""

    name: str
    first: int = 0
    last: int | None = None

    def __str__(self) -> str:
        if self.first == 0 and self.last is None:
            return self.name
        return f"{self.name}@{self.first}-{'' if self.last is None else self.last}"


@dataclass(frozen=True)
class Source:
    """A dataroot, its version and the scenes (all when empty) to read."""

    dataroot: Path
    version: str
    scenes: tuple[SceneSelection, ...] = ()

    def __str__(self) -> str:
        tail = ":" + "+".join(map(str, self.scenes)) if self.scenes else ""
        return f"{self.dataroot}:{self.version}{tail}"


_SCENE_RE = re.compile(r"^([^@]+?)(?:@(\d+)-(\d*))?$")


def parse_scenes(text: str, where: str = "--scenes") -> tuple[SceneSelection, ...]:
    """`NAME[@FIRST-LAST]` items separated by `+` or `,`."""
    out = []
    for item in filter(None, re.split(r"[+,]", text.strip())):
        m = _SCENE_RE.match(item.strip())
        if not m:
            raise ConfigError(f"{where}: {item!r} is not NAME or NAME@FIRST-LAST")
        first = int(m.group(2)) if m.group(2) else 0
        last = int(m.group(3)) if m.group(3) else None
        if last is not None and last < first:
            raise ConfigError(f"{where}: {item!r}: the last keyframe comes before the first")
        out.append(SceneSelection(m.group(1), first, last))
    if not out:
        raise ConfigError(f"{where}: no scene given")
    return tuple(out)


def parse_source(text: str) -> Source:
    """`DATAROOT:VERSION[:SCENES]` (a dataroot may itself hold ':'; the version and scenes may not)."""
    parts = text.rsplit(":", 2)
    if len(parts) == 3 and not re.fullmatch(r"[A-Za-z0-9._-]+", parts[1]):
        parts = [parts[0] + ":" + parts[1], parts[2]]  # DATAROOT:VERSION with a ':' in DATAROOT
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ConfigError(f"{text!r}: expected DATAROOT:VERSION[:SCENES]")
    if len(parts) == 3:
        return Source(Path(parts[0]), parts[1], parse_scenes(parts[2], text))
    return Source(Path(parts[0]), parts[1])


def check_dataroot(dataroot: Path, version: str) -> None:
    """DatasetError unless DATAROOT/VERSION holds the 13 nuScenes tables."""
    if not dataroot.is_dir():
        raise DatasetError(f"{dataroot}: no such folder (expected a nuScenes dataroot)")
    vdir = dataroot / version
    if not vdir.is_dir():
        versions = sorted(p.name for p in dataroot.iterdir() if (p / "scene.json").is_file())
        if not versions:
            raise DatasetError(f"{dataroot}: not a nuScenes dataroot (no VERSION/ folder with scene.json)")
        raise DatasetError(f"{dataroot}: version {version!r} does not exist; it holds {', '.join(versions)}")
    missing = [t for t in TABLES if not (vdir / f"{t}.json").is_file()]
    if missing:
        raise DatasetError(f"{vdir}: not a nuScenes version: missing tables {', '.join(missing)}")


def open_nuscenes(dataroot: Path, version: str):
    """The devkit's NuScenes for DATAROOT/VERSION; DatasetError for anything it cannot load."""
    from nuscenes import NuScenes

    check_dataroot(dataroot, version)
    try:
        return NuScenes(version, str(dataroot), verbose=False)
    except (AssertionError, KeyError, ValueError, TypeError, json.JSONDecodeError, OSError) as e:
        raise DatasetError(f"{dataroot / version}: the nuScenes devkit cannot load it: {e or type(e).__name__}") \
            from None


def scene_keyframes(nusc, selections: tuple[SceneSelection, ...], where: str) -> list[tuple[str, list[str]]]:
    """(scene name, its selected sample tokens in time order) per selection (every scene when empty)."""
    by_name = {s["name"]: s for s in nusc.scene}
    if not selections:
        selections = tuple(SceneSelection(n) for n in by_name)
    out = []
    for sel in selections:
        if sel.name not in by_name:
            names = ", ".join(sorted(by_name)[:8]) + (" ..." if len(by_name) > 8 else "")
            raise DatasetError(f"{where}: scene {sel.name!r} does not exist (scenes: {names})")
        tokens, tok = [], by_name[sel.name]["first_sample_token"]
        while tok:
            tokens.append(tok)
            tok = nusc.get("sample", tok)["next"]
        last = len(tokens) - 1 if sel.last is None else sel.last
        if sel.first >= len(tokens) or last >= len(tokens):
            raise DatasetError(f"{where}: scene {sel.name} has keyframes 0-{len(tokens) - 1}; "
                               f"{sel} is out of range")
        out.append((sel.name, tokens[sel.first:last + 1]))
    return out


def _pose_matrix(rec: dict) -> np.ndarray:
    from pyquaternion import Quaternion

    m = np.eye(4)
    m[:3, :3] = Quaternion(rec["rotation"]).rotation_matrix
    m[:3, 3] = rec["translation"]
    return m


@dataclass
class Keyframe:
    """One annotated keyframe, everything in its LIDAR_TOP keyframe's ego frame.

    points: float32 (N, 4) x, y, z (m) and time lag (s) of the keyframe sweep and up to `sweeps - 1` earlier
    ones that exist on disk. boxes: float32 (M, 9) as in `targets`; labels: int64 (M,) indices into the
    class list. ego_to_global: float64 (4, 4), for writing predictions in the global frame."""

    sample_token: str
    scene: str
    points: torch.Tensor
    boxes: torch.Tensor
    labels: torch.Tensor
    ego_to_global: np.ndarray
    missing_sweeps: int = 0
    names: list[str] = field(default_factory=list)


def load_points(nusc, sd_token: str, sweeps: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Points (N, 4: x, y, z, lag) of a LIDAR_TOP keyframe and its earlier sweeps in the keyframe's ego
    frame; the keyframe's ego->global matrix; and how many of the wanted sweeps had no file."""
    key = nusc.get("sample_data", sd_token)
    ego_to_global = _pose_matrix(nusc.get("ego_pose", key["ego_pose_token"]))
    global_to_ego = np.linalg.inv(ego_to_global)
    clouds, missing, rec = [], 0, key
    for _ in range(sweeps):
        path = Path(nusc.dataroot) / rec["filename"]
        if path.is_file():
            raw = np.fromfile(path, dtype=np.float32)
            if raw.size % 5:
                raise DatasetError(f"{path}: not a LiDAR .pcd.bin (float32 N x 5)")
            pts = raw.reshape(-1, 5)[:, :3].astype(np.float64)
            # firings without a return sit at the sensor's origin (real sweeps), the car's own body next to it
            pts = pts[np.linalg.norm(pts, axis=1) >= MIN_RANGE]
            m = global_to_ego @ _pose_matrix(nusc.get("ego_pose", rec["ego_pose_token"])) @ \
                _pose_matrix(nusc.get("calibrated_sensor", rec["calibrated_sensor_token"]))
            xyz = pts @ m[:3, :3].T + m[:3, 3]
            lag = np.full((len(xyz), 1), (key["timestamp"] - rec["timestamp"]) * 1e-6)
            clouds.append(np.hstack([xyz, lag]).astype(np.float32))
        else:
            missing += 1
        if not rec["prev"]:
            break
        rec = nusc.get("sample_data", rec["prev"])
    if not clouds:
        raise DatasetError(f"{Path(nusc.dataroot) / key['filename']}: the keyframe's LiDAR file is missing")
    return np.concatenate(clouds), ego_to_global, missing


def load_keyframe(nusc, sample_token: str, scene: str, classes: tuple[str, ...], sweeps: int,
                  max_range: float = 60.0) -> Keyframe:
    """A keyframe's points and its boxes of `classes` (those with >= 1 LiDAR or radar point, as the
    devkit's evaluation keeps) within `max_range` m of the ego."""
    from nuscenes.eval.detection.utils import category_to_detection_name
    from pyquaternion import Quaternion

    sample = nusc.get("sample", sample_token)
    if "LIDAR_TOP" not in sample["data"]:
        raise DatasetError(f"{nusc.dataroot}: sample {sample_token} has no LIDAR_TOP data")
    points, ego_to_global, missing = load_points(nusc, sample["data"]["LIDAR_TOP"], sweeps)
    rot = ego_to_global[:3, :3].T
    boxes, labels, names = [], [], []
    for ann_token in sample["anns"]:
        ann = nusc.get("sample_annotation", ann_token)
        name = category_to_detection_name(ann["category_name"])
        if name is None:
            continue
        names.append(name)
        if name not in classes or ann["num_lidar_pts"] + ann["num_radar_pts"] == 0:
            continue
        c = rot @ (np.asarray(ann["translation"]) - ego_to_global[:3, 3])
        if np.hypot(c[0], c[1]) > max_range:
            continue
        q = Quaternion(matrix=rot) * Quaternion(ann["rotation"])
        yaw = float(np.arctan2(q.rotation_matrix[1, 0], q.rotation_matrix[0, 0]))
        v = nusc.box_velocity(ann_token)
        v = np.zeros(3) if not np.all(np.isfinite(v)) else rot @ v
        w, l, h = ann["size"]
        boxes.append([c[0], c[1], c[2], w, l, h, yaw, v[0], v[1]])
        labels.append(classes.index(name))
    return Keyframe(sample_token, scene, torch.from_numpy(points),
                    torch.tensor(boxes, dtype=torch.float32).reshape(-1, 9), torch.tensor(labels, dtype=torch.long),
                    ego_to_global, missing, names)


def classes_in(source: Source) -> dict[str, int]:
    """Boxes per detection class in a source's selected keyframes (read from the tables only)."""
    from nuscenes.eval.detection.utils import category_to_detection_name

    nusc = open_nuscenes(source.dataroot, source.version)
    counts: dict[str, int] = {}
    for _, tokens in scene_keyframes(nusc, source.scenes, str(source)):
        for tok in tokens:
            for ann_token in nusc.get("sample", tok)["anns"]:
                ann = nusc.get("sample_annotation", ann_token)
                name = category_to_detection_name(ann["category_name"])
                if name and ann["num_lidar_pts"] + ann["num_radar_pts"] > 0:
                    counts[name] = counts.get(name, 0) + 1
    return counts


def load_source(source: Source, classes: tuple[str, ...], sweeps: int, max_range: float = 60.0,
                progress: bool = False) -> list[Keyframe]:
    """Every selected keyframe of a source, in scene and time order."""
    nusc = open_nuscenes(source.dataroot, source.version)
    frames = []
    for scene, tokens in scene_keyframes(nusc, source.scenes, str(source)):
        for tok in tokens:
            frames.append(load_keyframe(nusc, tok, scene, classes, sweeps, max_range))
    return frames


def has_sweep_files(source: Source) -> bool:
    """Whether the source's first selected keyframe has an earlier LiDAR sweep file on disk."""
    nusc = open_nuscenes(source.dataroot, source.version)
    _, tokens = scene_keyframes(nusc, source.scenes, str(source))[0]
    rec = nusc.get("sample_data", nusc.get("sample", tokens[-1])["data"]["LIDAR_TOP"])
    return bool(rec["prev"]) and os.path.isfile(Path(nusc.dataroot) / nusc.get("sample_data", rec["prev"])["filename"])
