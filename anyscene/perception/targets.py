"""CenterPoint-style training targets, losses and decoding on the head's output cells.

Boxes are float (M, 9) rows in the keyframe's ego frame: centre x, y, z (m), size w, l, h (m, the nuScenes
order: w across, l along the heading), yaw (rad, 0 along +x, counter-clockwise), velocity vx, vy (m/s).
The regression map has REG_CHANNELS channels per head cell: sub-cell offset dx, dy (cells), z (m),
log w, log l, log h, sin yaw, cos yaw, vx, vy.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .grid import BevGrid

REG_CHANNELS = 10
REG_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2)  # CenterPoint's code weights (velocity 0.2)


def gaussian_radius(length: float, width: float, min_overlap: float = 0.1) -> float:
    """CenterNet's radius (in cells) within which a shifted box keeps IoU >= min_overlap with the true one."""
    h, w = length, width
    b1 = h + w
    c1 = w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * c1)) / 2
    b2 = 2 * (h + w)
    c2 = (1 - min_overlap) * w * h
    r2 = (b2 + math.sqrt(b2 ** 2 - 16 * c2)) / 2
    b3 = -2 * min_overlap * (h + w)
    c3 = (min_overlap - 1) * w * h
    r3 = (b3 + math.sqrt(b3 ** 2 - 16 * min_overlap * c3)) / 2
    return min(r1, r2, r3)


def encode_targets(boxes: torch.Tensor, labels: torch.Tensor, grid: BevGrid, num_classes: int,
                   min_radius: int = 2) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Targets of one keyframe: heatmap float (num_classes, H, W) with a Gaussian peak of value 1 at each
    box's centre cell, regression float (REG_CHANNELS, H, W) and mask float (H, W) = 1 at centre cells.
    Boxes whose centre falls outside the grid are skipped; where two centres share a cell the later wins."""
    H, W = grid.out_shape
    s = grid.cell * grid.stride
    heat = torch.zeros(num_classes, H, W)
    reg = torch.zeros(REG_CHANNELS, H, W)
    mask = torch.zeros(H, W)
    ii = torch.arange(H, dtype=torch.float32)[:, None]
    jj = torch.arange(W, dtype=torch.float32)[None, :]
    for box, label in zip(boxes.tolist(), labels.tolist()):
        x, y, z, w, l, h, yaw, vx, vy = box
        u, v = (x - grid.x_min) / s, (y - grid.y_min) / s
        ci, cj = math.floor(u), math.floor(v)
        if not (0 <= ci < H and 0 <= cj < W):
            continue
        radius = max(min_radius, int(gaussian_radius(l / s, w / s)))
        sigma = (2 * radius + 1) / 6
        g = torch.exp(-((ii - ci) ** 2 + (jj - cj) ** 2) / (2 * sigma ** 2))
        g[(ii - ci).abs().expand(H, W) > radius] = 0
        g[(jj - cj).abs().expand(H, W) > radius] = 0
        heat[label] = torch.maximum(heat[label], g)
        reg[:, ci, cj] = torch.tensor([u - ci, v - cj, z, math.log(max(w, 1e-3)), math.log(max(l, 1e-3)),
                                       math.log(max(h, 1e-3)), math.sin(yaw), math.cos(yaw), vx, vy])
        mask[ci, cj] = 1.0
    return heat, reg, mask


def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CornerNet/CenterNet penalty-reduced focal loss (alpha 2, beta 4), normalised by the number of peaks."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    pos_loss = -(torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = -(torch.log(1 - p) * p ** 2 * (1 - target) ** 4 * (1 - pos)).sum()
    return (pos_loss + neg_loss) / pos.sum().clamp(min=1.0)


def regression_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Weighted L1 over the centre cells. pred, target: (B, REG_CHANNELS, H, W); mask (B, H, W)."""
    w = torch.tensor(REG_WEIGHTS, device=pred.device)[None, :, None, None]
    l1 = (pred - target).abs() * w * mask[:, None]
    return l1.sum() / mask.sum().clamp(min=1.0)


def decode(heat_logits: torch.Tensor, reg: torch.Tensor, grid: BevGrid, max_boxes: int = 100,
           min_score: float = 0.05) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Boxes of a batch: per item (boxes (K, 9) as in the module docstring, scores (K,), labels (K,)).
    Non-maximum suppression is a 3x3 max-pool: a cell is kept when it is its neighbourhood's peak."""
    heat = torch.sigmoid(heat_logits)
    peaks = heat * (F.max_pool2d(heat, 3, stride=1, padding=1) == heat)
    B, C, H, W = heat.shape
    s = grid.cell * grid.stride
    out = []
    for b in range(B):
        scores, idx = peaks[b].reshape(-1).topk(min(max_boxes, C * H * W))
        keep = scores > min_score
        scores, idx = scores[keep], idx[keep]
        labels = idx // (H * W)
        cell = idx % (H * W)
        ci, cj = cell // W, cell % W
        r = reg[b][:, ci, cj]
        x = (ci.float() + r[0]) * s + grid.x_min
        y = (cj.float() + r[1]) * s + grid.y_min
        size = r[3:6].clamp(-5, 5).exp()
        yaw = torch.atan2(r[6], r[7])
        boxes = torch.stack([x, y, r[2], size[0], size[1], size[2], yaw, r[8], r[9]], dim=1)
        out.append((boxes, scores, labels))
    return out
