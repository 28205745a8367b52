"""Real recording vs its replay: per class and distance bin, box differences, LiDAR point counts per box and
camera visibility; per sweep, points, range, ring and intensity distributions.

Pairing: keyframes at the same time since each scene's first keyframe (±0.2 s); the synthetic global frame is
the real one shifted by whole metres (measured from the ego poses); boxes within a keyframe by optimal
assignment on ground-plane centre distance among boxes of the same class (≤ 2 m). Distances are planar, real box
centre to real ego. Ratios are synthetic / real `num_lidar_pts` over real boxes with at least one point.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from ..errors import DatasetError
from ..importers.nuscenes.categories import agent_class
from .datasets import Dataset, frame_shift, open_dataset, pair_boxes, pair_keyframes
from .lidar import INTENSITY_BINS, RANGE_BINS, RINGS, read_sweep, sweep_stats
from .plots import write_plots

DISTANCE_BINS = ((0.0, 10.0), (10.0, 20.0), (20.0, 30.0), (30.0, 50.0), (50.0, float("inf")))


@dataclass(frozen=True)
class BoxPair:
    """One real keyframe box and its synthetic counterpart (`matched` False: none; the differences are nan).

    distance m (planar, to the real ego); d_xy m ground-plane centre difference; d_z m (synthetic − real centre
    height); d_yaw rad; d_size m (largest of |Δw|, |Δl|, |Δh|); real_pts / syn_pts num_lidar_pts; real_vis /
    syn_vis visibility levels 1..4 (0 unknown); cams_agree / cams_total: cameras agreeing on whether the box is
    in their image."""

    cls: str
    keyframe: int
    distance: float
    matched: bool
    d_xy: float
    d_z: float
    d_yaw: float
    d_size: float
    real_pts: int
    syn_pts: int
    real_vis: int
    syn_vis: int
    cams_agree: int
    cams_total: int


def _class_of(nusc, ann: dict) -> str:
    cat = ann.get("category_name") or nusc.get("category", nusc.get("instance", ann["instance_token"])
                                               ["category_token"])["name"]
    return agent_class(cat) or cat


def _yaw(q) -> float:
    w, x, y, z = q
    return float(np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))


def _in_view(ds: Dataset, sample: dict) -> dict[str, set[str]]:
    """Camera channel -> tokens of the sample's annotations with any corner in that camera's image."""
    from nuscenes.utils.geometry_utils import BoxVisibility

    out = {}
    for ch, sd_tok in sample["data"].items():
        sd = ds.nusc.get("sample_data", sd_tok)
        if sd["sensor_modality"] != "camera":
            continue
        _, boxes, _ = ds.nusc.get_sample_data(sd_tok, box_vis_level=BoxVisibility.ANY)
        out[ch] = {b.token for b in boxes}
    return out


def box_pairs(real: Dataset, syn: Dataset, pairs, shift: np.ndarray) -> list[BoxPair]:
    """Every real keyframe box of the paired keyframes, with its synthetic counterpart when there is one."""
    out = []
    for i, j in pairs:
        rs, ss = real.samples[i], syn.samples[j]
        ra = [real.nusc.get("sample_annotation", t) for t in rs["anns"]]
        sa = [syn.nusc.get("sample_annotation", t) for t in ss["anns"]]
        rcls = [_class_of(real.nusc, a) for a in ra]
        scls = [_class_of(syn.nusc, a) for a in sa]
        cls_of = {id(a): c for a, c in zip(ra + sa, rcls + scls)}
        assignment = pair_boxes(ra, sa, shift, lambda a, b: cls_of[id(a)] == cls_of[id(b)])
        ego = np.asarray(real.ego(rs)["translation"][:2])
        rview, sview = _in_view(real, rs), _in_view(syn, ss)
        cams = sorted(set(rview) & set(sview))
        for (k, m), a, c in zip(assignment, ra, rcls):
            dist = float(np.hypot(*(np.asarray(a["translation"][:2]) - ego)))
            rvis = int(a.get("visibility_token") or 0)
            if m is None:
                out.append(BoxPair(c, i, dist, False, *(np.nan,) * 4, int(a["num_lidar_pts"]), 0, rvis, 0, 0, 0))
                continue
            b = sa[m]
            d_xy = float(np.hypot(*(np.asarray(b["translation"][:2]) + shift - a["translation"][:2])))
            d_yaw = float(abs((_yaw(b["rotation"]) - _yaw(a["rotation"]) + np.pi) % (2 * np.pi) - np.pi))
            agree = sum((a["token"] in rview[ch]) == (b["token"] in sview[ch]) for ch in cams)
            out.append(BoxPair(c, i, dist, True, d_xy, float(b["translation"][2] - a["translation"][2]), d_yaw,
                               float(np.max(np.abs(np.subtract(b["size"], a["size"])))), int(a["num_lidar_pts"]),
                               int(b["num_lidar_pts"]), rvis, int(b.get("visibility_token") or 0), agree,
                               len(cams)))
    return out


def _stats(boxes: list[BoxPair]) -> dict:
    """Aggregate figures of a group of box pairs (see the module docstring)."""
    m = [b for b in boxes if b.matched]
    res = {"real_boxes": len(boxes), "matched": len(m)}
    if m:
        for key in ("d_xy", "d_z", "d_yaw", "d_size"):
            v = np.array([getattr(b, key) for b in m])
            res[key] = {"median": float(np.median(np.abs(v))), "max": float(np.max(np.abs(v)))}
        res["d_z"]["mean"] = float(np.mean([b.d_z for b in m]))
    seen = [b for b in m if b.real_pts > 0]
    res["real_boxes_with_points"] = len(seen)
    if seen:
        ratio = np.array([b.syn_pts / b.real_pts for b in seen])
        q25, q50, q75 = np.percentile(ratio, [25, 50, 75])
        res["lidar_ratio"] = {"median": float(q50), "q25": float(q25), "q75": float(q75)}
        res["zero_point_fraction"] = float(np.mean([b.syn_pts == 0 for b in seen]))
        if len(seen) >= 3 and len({b.real_pts for b in seen}) > 1 and len({b.syn_pts for b in seen}) > 1:
            res["spearman"] = float(spearmanr([b.real_pts for b in seen], [b.syn_pts for b in seen]).statistic)
    vis = [b for b in m if b.real_vis and b.syn_vis]
    if vis:
        res["visibility_level_agreement"] = float(np.mean([b.real_vis == b.syn_vis for b in vis]))
        res["visibility_level_mean_difference"] = float(np.mean([b.syn_vis - b.real_vis for b in vis]))
    tot = sum(b.cams_total for b in m)
    if tot:
        res["camera_in_view_agreement"] = float(sum(b.cams_agree for b in m) / tot)
    return res


def _bin_name(lo: float, hi: float) -> str:
    return f"{lo:g}-{hi:g}" if np.isfinite(hi) else f"{lo:g}+"


def box_report(boxes: list[BoxPair]) -> dict:
    """{class: {"all": stats, "0-10": stats, ...}}, plus "all" over every class."""
    out = {}
    for cls in sorted({b.cls for b in boxes}) + ["all"]:
        group = [b for b in boxes if cls == "all" or b.cls == cls]
        entry = {"all": _stats(group)}
        for lo, hi in DISTANCE_BINS:
            sub = [b for b in group if lo <= b.distance < hi]
            if sub:
                entry[_bin_name(lo, hi)] = _stats(sub)
        out[cls] = entry
    return out


def lidar_report(real: Dataset, syn: Dataset, pairs) -> dict:
    """Sweep statistics of the paired keyframes whose LiDAR files exist on both sides (returns only, see
    lidar.py)."""
    rows = []
    for i, j in pairs:
        files = []
        for ds, s in ((real, real.samples[i]), (syn, syn.samples[j])):
            files.append(ds.root / ds.nusc.get("sample_data", s["data"]["LIDAR_TOP"])["filename"])
        if all(f.is_file() for f in files):
            rows.append([sweep_stats(read_sweep(f)) for f in files])
    if not rows:
        return {"sweeps": 0}
    out = {"sweeps": len(rows), "range_bins_m": RANGE_BINS.tolist(), "intensity_bins": INTENSITY_BINS.tolist()}
    for side, k in (("real", 0), ("synthetic", 1)):
        pts = np.array([r[k].points for r in rows])
        recs = np.array([r[k].records for r in rows])
        rng = np.sum([r[k].range_hist for r in rows], axis=0)
        ring = np.sum([r[k].ring_points for r in rows], axis=0)
        inten = np.sum([r[k].intensity_hist for r in rows], axis=0)
        out[side] = {"points_per_sweep": {"mean": float(pts.mean()), "median": float(np.median(pts)),
                                          "min": int(pts.min()), "max": int(pts.max())},
                     "points_per_sweep_each": pts.tolist(), "records_per_sweep_median": float(np.median(recs)),
                     "range_fraction": (rng / max(rng.sum(), 1)).tolist(),
                     "ring_fraction": (ring / max(ring.sum(), 1)).tolist(),
                     "rings_with_returns": int(np.sum(ring > 0)), "rings": RINGS,
                     "intensity_fraction": (inten / max(inten.sum(), 1)).tolist(),
                     "median_range_m": float(_hist_median(rng, RANGE_BINS))}
    out["points_ratio_median"] = float(np.median([r[1].points / max(r[0].points, 1) for r in rows]))
    return out


def _hist_median(counts: np.ndarray, bins: np.ndarray) -> float:
    c = np.cumsum(counts)
    if c[-1] == 0:
        return float("nan")
    k = int(np.searchsorted(c, c[-1] / 2))
    return float(0.5 * (bins[k] + bins[k + 1]))


def compare_datasets(real_root, generated_root, *, real_version: str | None = None,
                     generated_version: str | None = None, scene: str | None = None) -> tuple[dict, list[BoxPair]]:
    """The comparison report (a JSON-ready dict) and the box pairs behind it."""
    real = open_dataset(real_root, real_version, scene)
    syn = open_dataset(generated_root, generated_version)
    pairs = pair_keyframes(real, syn)
    if not pairs:
        raise DatasetError(f"{generated_root}: no keyframe pairs with {real_root} (times since the first keyframe "
                           "differ by more than 0.2 s everywhere)")
    shift = frame_shift(real, syn, pairs)
    boxes = box_pairs(real, syn, pairs, shift)
    report = {"real": str(real_root), "generated": str(generated_root),
              "keyframes": {"real": len(real.samples), "generated": len(syn.samples), "paired": len(pairs)},
              "frame_shift_m": shift.tolist(),
              "distance_bins_m": [_bin_name(lo, hi) for lo, hi in DISTANCE_BINS],
              "boxes": box_report(boxes), "lidar": lidar_report(real, syn, pairs)}
    return report, boxes


def write_report(report: dict, boxes: list[BoxPair], out: Path) -> list[Path]:
    """comparison.json, boxes.json (every pair) and the plots into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "comparison.json", out / "boxes.json"]
    files[0].write_text(json.dumps(report, indent=1, allow_nan=False, default=_jsonable) + "\n")
    files[1].write_text(json.dumps([_clean(asdict(b)) for b in boxes], indent=0) + "\n")
    return files + write_plots(report, boxes, out)


def _clean(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()}


def _jsonable(v):
    if isinstance(v, (np.integer, np.floating)):
        return v.item()
    raise TypeError(type(v).__name__)
