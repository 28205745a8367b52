"""Annotation statistics of a nuScenes-format dataroot, real or generated: the class mix and objects per keyframe,
distances from the ego, per-class sizes, parked / moving shares and speeds, LiDAR points per box.

Read straight from the JSON tables (no devkit needed, so any dataroot with the standard tables works). Classes
are the devkit's 10 detection classes (`category_to_detection_name`; other categories are left out). A box's
distance is planar, from the ego pose of its sample's LIDAR_TOP keyframe; its speed is the planar finite
difference of its centres across the neighbouring annotations of its instance (as `NuScenes.box_velocity`), nan
for an instance annotated once.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .datasets import find_version

DETECTION_CLASSES = ("car", "truck", "bus", "trailer", "construction_vehicle", "pedestrian", "motorcycle",
                     "bicycle", "traffic_cone", "barrier")
DISTANCE_EDGES = (0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0)  # m, the distance histogram's bins
TABLES = ("sample", "sample_data", "ego_pose", "sample_annotation", "instance", "category", "attribute")


@dataclass(frozen=True)
class BoxTable:
    """One row per annotation of a detection class (B rows): `cls` (B,) class names; `distance` (B,) m;
    `size` (B, 3) w, l, h m; `speed` (B,) m/s (nan: unknown); `attribute` (B,) attribute names ("" none);
    `num_lidar_pts` (B,) int; `keyframes` the number of samples; `per_keyframe` (K,) boxes of each sample."""

    cls: np.ndarray
    distance: np.ndarray
    size: np.ndarray
    speed: np.ndarray
    attribute: np.ndarray
    num_lidar_pts: np.ndarray
    keyframes: int
    per_keyframe: np.ndarray


def _load(root: Path, version: str) -> dict[str, list]:
    out = {}
    for name in TABLES:
        path = root / version / f"{name}.json"
        try:
            out[name] = json.loads(path.read_text())
        except FileNotFoundError:
            raise DatasetError(f"{path}: no such table; is {root} a nuScenes dataroot of version {version}?") from None
        except (OSError, ValueError) as e:
            raise DatasetError(f"{path}: cannot read the table: {e}") from None
    return out


def box_table(root: str | Path, version: str | None = None) -> BoxTable:
    """The annotation rows of a dataroot (see BoxTable); DatasetError for a folder that is not one."""
    from nuscenes.eval.detection.utils import category_to_detection_name

    root = Path(root)
    t = _load(root, find_version(root, version))
    try:
        by = {name: {r["token"]: r for r in t[name]} for name in TABLES}
        ego_of = {}
        for sd in t["sample_data"]:
            if sd["is_key_frame"] and sd.get("channel", sd["filename"].split("/")[1]) == "LIDAR_TOP":
                ego_of[sd["sample_token"]] = by["ego_pose"][sd["ego_pose_token"]]["translation"]
        stamp = {s["token"]: s["timestamp"] for s in t["sample"]}
        rows = []
        count = dict.fromkeys(stamp, 0)
        for a in t["sample_annotation"]:
            cat = by["category"][by["instance"][a["instance_token"]]["category_token"]]["name"]
            cls = category_to_detection_name(cat)
            if cls is None:
                continue
            count[a["sample_token"]] += 1
            ego = ego_of.get(a["sample_token"])
            dist = float(np.hypot(a["translation"][0] - ego[0], a["translation"][1] - ego[1])) if ego else np.nan
            attr = by["attribute"][a["attribute_tokens"][0]]["name"] if a["attribute_tokens"] else ""
            rows.append((cls, dist, a["size"], _speed(a, by["sample_annotation"], stamp), attr,
                         int(a.get("num_lidar_pts", 0))))
    except (KeyError, TypeError, IndexError) as e:
        raise DatasetError(f"{root}: the tables do not link up ({type(e).__name__}: {e})") from None
    cols = list(zip(*rows)) if rows else [[]] * 6
    return BoxTable(np.array(cols[0], dtype=object), np.array(cols[1], float), np.array(cols[2], float).reshape(-1, 3),
                    np.array(cols[3], float), np.array(cols[4], dtype=object), np.array(cols[5], np.int64),
                    len(stamp), np.array(list(count.values()), np.int64))


def _speed(a: dict, anns: dict, stamp: dict) -> float:
    """Planar speed (m/s) from the neighbouring annotations of the same instance (nan when there are none)."""
    prev, nxt = anns.get(a["prev"]) if a["prev"] else None, anns.get(a["next"]) if a["next"] else None
    first, last = prev or a, nxt or a
    if first is last:
        return float("nan")
    dt = (stamp[last["sample_token"]] - stamp[first["sample_token"]]) / 1e6
    if dt <= 0:
        return float("nan")
    d = np.subtract(last["translation"][:2], first["translation"][:2])
    return float(np.hypot(*d) / dt)


def _summary(v: np.ndarray) -> dict:
    v = v[np.isfinite(v)]
    if not v.size:
        return {"n": 0}
    return {"n": int(v.size), "mean": float(v.mean()), "std": float(v.std()), "median": float(np.median(v)),
            "p90": float(np.percentile(v, 90))}


def dataset_stats(root: str | Path, version: str | None = None) -> dict:
    """The statistics of a dataroot as a JSON-ready dict (see the module docstring)."""
    b = box_table(root, version)
    n = len(b.cls)
    out = {"root": str(root), "keyframes": b.keyframes, "boxes": n,
           "boxes_per_keyframe": _summary(b.per_keyframe.astype(float)),
           "distance_edges": list(DISTANCE_EDGES), "classes": {}}
    for c in DETECTION_CLASSES:
        m = b.cls == c
        k = int(m.sum())
        attrs = b.attribute[m]
        moving = np.isin(attrs, ["vehicle.moving", "cycle.with_rider", "pedestrian.moving"])
        parked = attrs == "vehicle.parked"
        hist = np.histogram(b.distance[m], bins=DISTANCE_EDGES)[0] if k else np.zeros(len(DISTANCE_EDGES) - 1, int)
        out["classes"][c] = {
            "boxes": k, "share": k / n if n else 0.0, "per_keyframe": k / b.keyframes if b.keyframes else 0.0,
            "distance": _summary(b.distance[m]), "distance_hist": [int(x) for x in hist],
            "width": _summary(b.size[m, 0]), "length": _summary(b.size[m, 1]), "height": _summary(b.size[m, 2]),
            "moving_share": float(moving.mean()) if k else None, "parked_share": float(parked.mean()) if k else None,
            "speed": _summary(b.speed[m]), "speed_moving": _summary(b.speed[m][moving]),
            "lidar_pts": _summary(b.num_lidar_pts[m].astype(float)),
            "zero_point_fraction": float((b.num_lidar_pts[m] == 0).mean()) if k else None,
            "within_30m_with_points": int(((b.distance[m] <= 30) & (b.num_lidar_pts[m] > 0)).sum()),
        }
    return out


def format_stats(stats: dict, other: dict | None = None) -> str:
    """A plain-text table of `stats` (and of `other` beside it, when given)."""
    lines = [f"{stats['root']}: {stats['keyframes']} keyframes, {stats['boxes']} boxes, "
             f"{stats['boxes_per_keyframe'].get('mean', 0):.1f} per keyframe"]
    if other:
        lines.append(f"{other['root']}: {other['keyframes']} keyframes, {other['boxes']} boxes, "
                     f"{other['boxes_per_keyframe'].get('mean', 0):.1f} per keyframe")
    head = f"{'class':22s} {'share':>6s} {'dist m':>7s} {'w':>5s} {'l':>6s} {'h':>5s} {'moving':>6s} {'parked':>6s} {'v mov':>6s} {'0-pt':>5s}"
    lines.append(head)

    def row(name: str, c: dict) -> str:
        f = lambda d, k="mean": d.get(k, float("nan")) if d.get("n") else float("nan")  # noqa: E731
        nz = lambda v: float("nan") if v is None else v  # noqa: E731
        return (f"{name:22s} {c['share']:6.3f} {f(c['distance'], 'median'):7.1f} {f(c['width']):5.2f} "
                f"{f(c['length']):6.2f} {f(c['height']):5.2f} {nz(c['moving_share']):6.2f} {nz(c['parked_share']):6.2f} "
                f"{f(c['speed_moving'], 'median'):6.2f} {nz(c['zero_point_fraction']):5.2f}")

    for cls in DETECTION_CLASSES:
        lines.append(row(cls, stats["classes"][cls]))
        if other:
            lines.append(row("  (compare)", other["classes"][cls]))
    return "\n".join(lines)


def plot_stats(stats: dict, other: dict | None, path: Path) -> Path:
    """A PNG of class mix, distance histogram, sizes and speeds, `stats` beside `other` (when given)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = [(stats, "C0")] + ([(other, "C1")] if other else [])
    x = np.arange(len(DETECTION_CLASSES))
    w = 0.8 / len(sets)
    fig, axes = plt.subplots(2, 2, figsize=(13, 8))
    for i, (s, colour) in enumerate(sets):
        label = Path(s["root"]).name
        cl = [s["classes"][c] for c in DETECTION_CLASSES]
        axes[0, 0].bar(x + i * w, [c["per_keyframe"] for c in cl], w, color=colour, label=label)
        hist = np.sum([c["distance_hist"] for c in cl], axis=0).astype(float)
        centres = np.array(DISTANCE_EDGES[:-1]) + 5
        axes[0, 1].bar(centres + (i - 0.5 * (len(sets) - 1)) * 4, hist / max(hist.sum(), 1), 4, color=colour,
                       label=label)
        axes[1, 0].bar(x + i * w, [c["length"].get("mean", 0) if c["length"].get("n") else 0 for c in cl], w,
                       yerr=[c["length"].get("std", 0) if c["length"].get("n") else 0 for c in cl], color=colour,
                       label=label)
        axes[1, 1].bar(x + i * w, [c["speed_moving"].get("median", 0) if c["speed_moving"].get("n") else 0
                                   for c in cl], w, color=colour, label=label)
    for ax, title in zip(axes.flat, ("boxes per keyframe by class", "distance from the ego (share of boxes), m",
                                     "box length (mean ± std), m", "speed of moving boxes (median), m/s")):
        ax.set_title(title)
        ax.legend()
        if ax is not axes[0, 1]:
            ax.set_xticks(x + w * (len(sets) - 1) / 2, DETECTION_CLASSES, rotation=35, ha="right", fontsize=8)
    fig.tight_layout()
    from ..atomic import atomic_file

    try:
        with atomic_file(path) as tmp:
            fig.savefig(tmp, format="png", dpi=90)
    finally:
        plt.close(fig)
    return path
