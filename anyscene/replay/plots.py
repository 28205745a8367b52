"""Plots of a replay comparison (matplotlib, Agg backend): the per-box LiDAR ratio per class, points per sweep,
range, ring and intensity distributions, Chamfer distance per sweep, per-ring return rate, camera PSNR and SSIM."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def write_plots(report: dict, boxes: list, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    seen = [b for b in boxes if b.matched and b.real_pts > 0]
    if seen:
        classes = sorted({b.cls for b in seen})
        data = [np.log10([max(b.syn_pts, 0.5) / b.real_pts for b in seen if b.cls == c]) for c in classes]
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.boxplot(data, tick_labels=classes)
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_ylabel("log10(synthetic / real num_lidar_pts)")
        ax.set_title("LiDAR points per box, synthetic vs real (0 points plotted at 0.5)")
        files.append(_save(fig, out / "lidar_ratio_by_class.png"))
        fig, ax = plt.subplots(figsize=(5, 5))
        r = np.array([b.real_pts for b in seen])
        s = np.array([b.syn_pts for b in seen])
        ax.loglog(r, np.maximum(s, 0.5), ".", alpha=0.5)
        lim = [0.5, max(r.max(), s.max()) * 1.5]
        ax.plot(lim, lim, "k-", lw=0.8)
        ax.set_xlabel("real num_lidar_pts")
        ax.set_ylabel("synthetic num_lidar_pts")
        files.append(_save(fig, out / "lidar_points_per_box.png"))
    lid = report.get("lidar", {})
    if lid.get("sweeps"):
        for key, bins, xlabel, name in (
                ("range_fraction", np.array(lid["range_bins_m"]), "range (m)", "range_histogram.png"),
                ("intensity_fraction", np.array(lid["intensity_bins"]), "intensity", "intensity_histogram.png"),
                ("ring_fraction", np.arange(lid["real"]["rings"] + 1) - 0.5, "ring index", "ring_coverage.png")):
            fig, ax = plt.subplots(figsize=(7, 3.5))
            for side in ("real", "synthetic"):
                ax.stairs(lid[side][key], bins, label=side)
            ax.set_xlabel(xlabel)
            ax.set_ylabel("fraction of points")
            ax.legend()
            files.append(_save(fig, out / name))
        fig, ax = plt.subplots(figsize=(7, 3.5))
        for side in ("real", "synthetic"):
            ax.plot(lid[side]["points_per_sweep_each"], ".-", label=side)
        ax.set_xlabel("paired keyframe")
        ax.set_ylabel("points per sweep")
        ax.legend()
        files.append(_save(fig, out / "points_per_sweep.png"))
    per = lid.get("per_sweep") or []
    if per:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        k = [p["keyframe"] for p in per]
        ax.plot(k, [p["chamfer_static_m"]["median"] for p in per], ".-", label="median")
        ax.plot(k, [p["chamfer_static_m"]["p90"] for p in per], ".-", label="p90")
        ax.set_xlabel("real keyframe")
        ax.set_ylabel("Chamfer distance, static points (m)")
        ax.legend()
        files.append(_save(fig, out / "chamfer_static.png"))
        fig, ax = plt.subplots(figsize=(7, 3.5))
        for side in ("real", "synthetic"):
            ax.plot(lid["ring_return_rate"][side], ".-", label=side)
        ax.set_xlabel("ring index")
        ax.set_ylabel("returns per firing")
        ax.legend()
        files.append(_save(fig, out / "ring_return_rate.png"))
    cams = report.get("cameras", {}).get("per_image") or []
    if cams:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5))
        channels = sorted({c["channel"] for c in cams})
        for ax, key, label in ((a1, "psnr_db", "PSNR (dB)"), (a2, "ssim", "SSIM")):
            ax.boxplot([[c[key] for c in cams if c["channel"] == ch and np.isfinite(c[key])] for ch in channels],
                       tick_labels=channels)
            ax.set_ylabel(label + " over covered pixels")
            ax.tick_params(axis="x", labelrotation=35, labelsize=7)
        files.append(_save(fig, out / "camera_psnr_ssim.png"))
    return files


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
