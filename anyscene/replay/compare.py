"""Real recording vs its replay: per class and distance bin, box differences, LiDAR point counts per box and
camera visibility; per sweep, points, range, ring and intensity distributions.

Pairing: keyframes at the same time since each scene's first keyframe (±0.2 s); the synthetic global frame is
the real one shifted by whole metres (measured from the ego poses); boxes within a keyframe by optimal
assignment on ground-plane centre distance among boxes of the same class (≤ 2 m). Distances are planar, real box
centre to real ego. Ratios are synthetic / real `num_lidar_pts` over real boxes with at least one point.

Per paired sweep and in total (anyscene.replay.metrics): Chamfer distance of the static points (outside every
annotated box, in the real global frame; median and p90), per-ring return rate, intensity histogram distance.
Cameras: PSNR and SSIM of the replay against the real images on the held-out (odd) keyframes, over the pixels
where the replay's depth map hits non-sky geometry, with that coverage.
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
from .lidar import INTENSITY_BINS, MIN_RETURN_RANGE, RANGE_BINS, RINGS, read_sweep, sweep_stats
from .metrics import (chamfer_distances, distance_stats, histogram_distance, psnr, ring_return_rate, ssim,
                      static_mask)
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
    if m:
        res["points_per_box"] = {"real_mean": float(np.mean([b.real_pts for b in m])),
                                 "synthetic_mean": float(np.mean([b.syn_pts for b in m])),
                                 "real_zero_fraction": float(np.mean([b.real_pts == 0 for b in m])),
                                 "synthetic_zero_fraction": float(np.mean([b.syn_pts == 0 for b in m]))}
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


def lidar_report(real: Dataset, syn: Dataset, pairs, shift: np.ndarray | None = None) -> dict:
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
    out.update(sweep_metrics(real, syn, pairs, np.zeros(2) if shift is None else shift))
    return out


def _global_returns(ds: Dataset, sd_token: str) -> tuple[np.ndarray, np.ndarray]:
    """(returns (N, 5) in the LiDAR frame, their (N, 3) global positions) of a LIDAR_TOP sample_data."""
    from nuscenes.utils.geometry_utils import transform_matrix
    from pyquaternion import Quaternion

    sd = ds.nusc.get("sample_data", sd_token)
    pts = read_sweep(ds.root / sd["filename"])
    pts = pts[np.linalg.norm(pts[:, :3], axis=1) >= MIN_RETURN_RANGE]
    cs = ds.nusc.get("calibrated_sensor", sd["calibrated_sensor_token"])
    pose = ds.nusc.get("ego_pose", sd["ego_pose_token"])
    m = transform_matrix(pose["translation"], Quaternion(pose["rotation"])) @ transform_matrix(
        cs["translation"], Quaternion(cs["rotation"]))
    return pts, pts[:, :3].astype(np.float64) @ m[:3, :3].T + m[:3, 3]


def sweep_metrics(real: Dataset, syn: Dataset, pairs, shift: np.ndarray) -> dict:
    """Per paired keyframe sweep and in total: Chamfer distance of the static points (outside every annotated box
    of its own dataset, in the real global frame), per-ring return rate, intensity histogram distance."""
    per, pooled = [], []
    for i, j in pairs:
        toks = (real.samples[i]["data"]["LIDAR_TOP"], syn.samples[j]["data"]["LIDAR_TOP"])
        paths = [ds.root / ds.nusc.get("sample_data", t)["filename"] for ds, t in zip((real, syn), toks)]
        if not all(p.is_file() for p in paths):
            continue
        (rp, rg), (sp, sg) = _global_returns(real, toks[0]), _global_returns(syn, toks[1])
        rs = rg[static_mask(rg, real.nusc.get_boxes(toks[0]))]
        ss = sg[static_mask(sg, syn.nusc.get_boxes(toks[1]))] + np.array([*shift, 0.0])
        d = chamfer_distances(rs, ss)
        pooled.append(d)
        per.append({"keyframe": int(i), "real_points": int(len(rp)), "synthetic_points": int(len(sp)),
                    "static_points": [int(len(rs)), int(len(ss))], "chamfer_static_m": distance_stats(d),
                    "ring_return_rate": {"real": ring_return_rate(rp, RINGS).tolist(),
                                         "synthetic": ring_return_rate(sp, RINGS).tolist()},
                    "intensity_distance": histogram_distance(np.histogram(rp[:, 3], INTENSITY_BINS)[0],
                                                             np.histogram(sp[:, 3], INTENSITY_BINS)[0])})
    if not per:
        return {"per_sweep": []}
    d = np.concatenate(pooled)
    d = d[np.isfinite(d)]
    rr = np.array([p["ring_return_rate"]["real"] for p in per])
    sr = np.array([p["ring_return_rate"]["synthetic"] for p in per])
    return {"per_sweep": per,
            "chamfer_static_m": {"median": float(np.median(d)) if d.size else None,
                                 "p90": float(np.percentile(d, 90)) if d.size else None},
            "ring_return_rate": {"real": rr.mean(axis=0).tolist(), "synthetic": sr.mean(axis=0).tolist()},
            "intensity_distance": {"median": float(np.nanmedian([p["intensity_distance"] for p in per]))}}


def camera_report(real: Dataset, syn: Dataset, pairs) -> dict:
    """PSNR and SSIM of the replay's camera images against the real ones on the held-out (odd) keyframes, over
    the pixels the replay's depth map puts on non-sky geometry (conditions/<CHANNEL>/<token>.npz), with that
    coverage. Without depth maps in the replay, says so."""
    from PIL import Image

    from ..classes import FREE

    rows, missing = [], 0
    for i, j in pairs:
        if i % 2 == 0:
            continue
        for ch, stok in syn.samples[j]["data"].items():
            sd = syn.nusc.get("sample_data", stok)
            if sd["sensor_modality"] != "camera" or ch not in real.samples[i]["data"]:
                continue
            cond = syn.root / "conditions" / ch / f"{stok}.npz"
            if not cond.is_file():
                missing += 1
                continue
            with np.load(cond) as z:
                cover = (z["depth"] > 0) & (z["semantic"] != FREE)
            rsd = real.nusc.get("sample_data", real.samples[i]["data"][ch])
            with Image.open(syn.root / sd["filename"]) as im:
                syn_im = np.asarray(im.convert("RGB"))
            with Image.open(real.root / rsd["filename"]) as im:
                real_im = np.asarray(im.convert("RGB").resize((syn_im.shape[1], syn_im.shape[0]), Image.BILINEAR))
            rows.append({"keyframe": int(i), "channel": ch, "coverage": float(cover.mean()),
                         "psnr_db": psnr(real_im, syn_im, cover), "ssim": ssim(real_im, syn_im, cover)})
    out = {"held_out": "odd keyframes", "images": len(rows)}
    if missing and not rows:
        out["note"] = ("the replay has no depth maps (generate it with the conditions format): PSNR and SSIM "
                       "over the covered pixels cannot be computed")
        return out
    if rows:
        ok = [r for r in rows if np.isfinite(r["psnr_db"])]
        out.update({"per_image": rows, "coverage_mean": float(np.mean([r["coverage"] for r in rows])),
                    "psnr_db_median": float(np.median([r["psnr_db"] for r in ok])) if ok else None,
                    "ssim_median": float(np.nanmedian([r["ssim"] for r in rows]))})
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
              "boxes": box_report(boxes), "lidar": lidar_report(real, syn, pairs, shift),
              "cameras": camera_report(real, syn, pairs)}
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
