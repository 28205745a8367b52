"""Opening the two dataroots and pairing what they recorded: keyframes by time since the first keyframe, the
frame shift between their global frames from the ego poses, boxes by centre within each keyframe."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..errors import DatasetError
from ..importers.nuscenes.tables import read_tables

KEYFRAME_SLACK = 0.2  # s: keyframes further apart in time are not paired
BOX_MATCH = 2.0  # m: boxes whose centres are further apart (ground plane) are not paired


@dataclass
class Dataset:
    """A loaded nuScenes dataroot (devkit `NuScenes`) and its one scene's keyframes in time order."""

    root: Path
    version: str
    nusc: object
    samples: list[dict]

    def ego(self, sample: dict) -> dict:
        sd = self.nusc.get("sample_data", sample["data"]["LIDAR_TOP"])
        return self.nusc.get("ego_pose", sd["ego_pose_token"])


def find_version(root: Path, version: str | None) -> str:
    """`version`, or the one folder of `root` holding the tables."""
    if version:
        return version
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder")
    found = sorted(p.name for p in root.iterdir() if (p / "sample.json").is_file())
    if len(found) != 1:
        raise DatasetError(f"{root}: " + (f"several version folders ({', '.join(found)}); pass the version"
                                          if found else "not a nuScenes dataroot (no version folder with tables)"))
    return found[0]


def open_dataset(root: str | Path, version: str | None = None, scene: str | None = None) -> Dataset:
    """Load a dataroot with the devkit; the scene is `scene` or the first one."""
    from nuscenes import NuScenes

    root = Path(root)
    version = find_version(root, version)
    tables = read_tables(root, version)  # clear errors for broken tables before the devkit asserts
    if scene is not None:
        tables.scene(scene)
    nusc = NuScenes(version, str(root), verbose=False)
    rec = next(s for s in nusc.scene if scene is None or s["name"] == scene)
    samples, tok = [], rec["first_sample_token"]
    while tok:
        s = nusc.get("sample", tok)
        samples.append(s)
        tok = s["next"]
    return Dataset(root, version, nusc, samples)


def pair_keyframes(real: Dataset, syn: Dataset) -> list[tuple[int, int]]:
    """(real index, synthetic index) of keyframes at the same time since each scene's first keyframe."""
    tr = np.array([s["timestamp"] - real.samples[0]["timestamp"] for s in real.samples]) / 1e6
    ts = np.array([s["timestamp"] - syn.samples[0]["timestamp"] for s in syn.samples]) / 1e6
    pairs = []
    for j, t in enumerate(ts):
        i = int(np.argmin(np.abs(tr - t)))
        if abs(tr[i] - t) <= KEYFRAME_SLACK:
            pairs.append((i, j))
    return pairs


def frame_shift(real: Dataset, syn: Dataset, pairs) -> np.ndarray:
    """(2,) m: real global = synthetic global + shift; whole metres, from the paired keyframes' ego poses."""
    d = np.array([np.asarray(real.ego(real.samples[i])["translation"][:2])
                  - np.asarray(syn.ego(syn.samples[j])["translation"][:2]) for i, j in pairs])
    return np.round(np.median(d, axis=0))


def pair_boxes(real_anns: list[dict], syn_anns: list[dict], shift: np.ndarray, same_class) -> list[tuple]:
    """(real index, synthetic index or None) for each real box: optimal assignment on ground-plane centre
    distance among boxes of the same class, within BOX_MATCH."""
    out = [(i, None) for i in range(len(real_anns))]
    if not real_anns or not syn_anns:
        return out
    rc = np.array([a["translation"][:2] for a in real_anns])
    sc = np.array([a["translation"][:2] for a in syn_anns]) + shift
    cost = np.hypot(rc[:, None, 0] - sc[None, :, 0], rc[:, None, 1] - sc[None, :, 1])
    for i, a in enumerate(real_anns):
        for j, b in enumerate(syn_anns):
            if not same_class(a, b):
                cost[i, j] = 1e6
    rows, cols = linear_sum_assignment(cost)
    for i, j in zip(rows, cols):
        if cost[i, j] <= BOX_MATCH:
            out[i] = (i, int(j))
    return out
