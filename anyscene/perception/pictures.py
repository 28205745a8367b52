"""BEV pictures of predictions against ground truth (PNG, matplotlib's Agg backend)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch


def _corners(x: float, y: float, w: float, l: float, yaw: float) -> np.ndarray:
    c, s = math.cos(yaw), math.sin(yaw)
    pts = np.array([[l / 2, w / 2], [l / 2, -w / 2], [-l / 2, -w / 2], [-l / 2, w / 2], [l / 2, w / 2]])
    return pts @ np.array([[c, s], [-s, c]]) + [x, y]


def draw_bev(path: Path, frame, boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, spec,
             min_score: float = 0.3) -> None:
    """Points (grey), ground-truth boxes (green) and predictions scoring >= min_score (red, with class and
    score) of one keyframe, ego frame, x forward pointing up."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = spec.grid
    fig, ax = plt.subplots(figsize=(8, 8), dpi=100)
    p = frame.points.numpy()
    keep = (p[:, 0] > g.x_min) & (p[:, 0] < g.x_max) & (p[:, 1] > g.y_min) & (p[:, 1] < g.y_max)
    ax.scatter(-p[keep, 1], p[keep, 0], s=0.2, c="0.6", linewidths=0)
    for b in frame.boxes.tolist():
        q = _corners(b[0], b[1], b[3], b[4], b[6])
        ax.plot(-q[:, 1], q[:, 0], color="tab:green", lw=1)
    for b, s, l in zip(boxes.tolist(), scores.tolist(), labels.tolist()):
        if s < min_score:
            continue
        q = _corners(b[0], b[1], b[3], b[4], b[6])
        ax.plot(-q[:, 1], q[:, 0], color="tab:red", lw=1)
        ax.text(-b[1], b[0], f"{spec.classes[l]} {s:.2f}", fontsize=5, color="tab:red")
    ax.set_xlim(-g.y_max, -g.y_min)
    ax.set_ylim(g.x_min, g.x_max)
    ax.set_aspect("equal")
    ax.set_xlabel("-y (m, right)")
    ax.set_ylabel("x (m, forward)")
    ax.set_title(f"{frame.sample_token}: ground truth (green), predictions >= {min_score} (red)", fontsize=8)
    fig.savefig(path)
    plt.close(fig)
