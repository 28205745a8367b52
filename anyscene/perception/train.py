"""Training: keyframes of one or more sources -> a detector model file (deterministic for a seed)."""
from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_file, check_output
from ..errors import ConfigError, DatasetError
from .data import DETECTION_CLASSES, Keyframe, Source, classes_in, load_source
from .grid import BevGrid, voxelise
from .model import BevDetector
from .modelfile import DetectorSpec, load_model, save_model
from .targets import encode_targets, focal_loss, regression_loss

MAX_STEPS = 1_000_000


@dataclass
class TrainOptions:
    """Everything a training run depends on besides its sources."""

    steps: int = 1000                 # optimiser steps
    seed: int = 0                     # seed of initialisation, batch order and augmentation
    batch: int = 2                    # keyframes per step
    lr: float = 2e-3                  # peak learning rate (AdamW, warm-up then cosine decay)
    classes: tuple[str, ...] | None = None  # None: the detection classes present in the training data
    sweeps: int = 1                   # LiDAR sweeps per input (keyframe + earlier ones that exist)
    grid: BevGrid = BevGrid()
    width: int = 32                   # network width
    init: Path | None = None          # start from this model (its classes, grid, sweeps and width)
    balance_sources: bool = False     # draw each source equally often (else each keyframe equally often)
    minutes: float | None = None      # stop after this wall time even if steps remain
    augment: bool = True              # random rotation (+-22.5 deg), flip and scale of each keyframe
    device: str = "cpu"
    progress: bool = True

    def validate(self) -> "TrainOptions":
        if not isinstance(self.steps, int) or not 1 <= self.steps <= MAX_STEPS:
            raise ConfigError(f"--steps must be 1..{MAX_STEPS:,} (got {self.steps})")
        if not 1 <= self.batch <= 64:
            raise ConfigError(f"--batch must be 1..64 (got {self.batch})")
        if not 1 <= self.sweeps <= 20:
            raise ConfigError(f"--sweeps must be 1..20 (got {self.sweeps})")
        if not (0 < self.lr <= 1):
            raise ConfigError(f"--lr must be in (0, 1] (got {self.lr})")
        if not 4 <= self.width <= 256 or self.width % 2:
            raise ConfigError(f"--width must be an even number 4..256 (got {self.width})")
        if self.minutes is not None and not 0 < self.minutes <= 24 * 60:
            raise ConfigError(f"--minutes must be in (0, 1440] (got {self.minutes})")
        if not 0 <= self.seed <= 2**31 - 1:
            raise ConfigError(f"--seed must be 0..2147483647 (got {self.seed})")
        self.grid.validate()
        return self


def pick_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: no CUDA device is available")
    if name != "cpu" and not name.startswith("cuda"):
        raise ConfigError(f"--device must be cpu, cuda, cuda:N or auto (got {name!r})")
    return name


def resolve_classes(sources: list[Source], wanted: tuple[str, ...] | None) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for s in sources:
        for k, v in classes_in(s).items():
            counts[k] = counts.get(k, 0) + v
    if wanted is None:
        found = tuple(c for c in DETECTION_CLASSES if counts.get(c))
        if not found:
            raise DatasetError("the training data holds no box of any detection class "
                               f"({', '.join(DETECTION_CLASSES)})")
        return found
    for c in wanted:
        if c not in DETECTION_CLASSES:
            raise ConfigError(f"--classes: unknown class {c!r}; the detection classes are "
                              f"{', '.join(DETECTION_CLASSES)}")
        if not counts.get(c):
            raise DatasetError(f"--classes: class {c!r} has no box in the training data "
                               f"({', '.join(map(str, sources))}); present: "
                               f"{', '.join(f'{k} ({v})' for k, v in sorted(counts.items())) or 'none'}")
    return tuple(wanted)


def augment(frame: Keyframe, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Points and boxes of a keyframe, rotated about z (+-pi/8), mirrored across x (half the time) and
    scaled (0.95..1.05), consistently for both."""
    theta = rng.uniform(-math.pi / 8, math.pi / 8)
    flip = rng.random() < 0.5
    scale = rng.uniform(0.95, 1.05)
    c, s = math.cos(theta), math.sin(theta)
    rot = torch.tensor([[c, -s], [s, c]], dtype=torch.float32)
    pts = frame.points.clone()
    box = frame.boxes.clone()
    if flip:
        pts[:, 1] *= -1
        box[:, 1] *= -1
        box[:, 6] *= -1
        box[:, 8] *= -1
    pts[:, :2] = pts[:, :2] @ rot.T * scale
    pts[:, 2] *= scale
    box[:, :2] = box[:, :2] @ rot.T * scale
    box[:, 7:9] = box[:, 7:9] @ rot.T * scale
    box[:, 2:6] *= scale
    box[:, 6] += theta
    return pts, box


def train(sources: list[Source], out: str | Path, opts: TrainOptions) -> dict:
    """Train on the sources' keyframes and write the model to `out` (its loss log to OUT.log.jsonl).
    Returns the run's summary (steps done, final loss, seconds)."""
    opts.validate()
    out = Path(out)
    check_output(out, True, folder=False)
    device = pick_device(opts.device)
    if opts.init is not None:
        init_spec, init_model = load_model(opts.init)
        classes, grid, sweeps, width = init_spec.classes, init_spec.grid, init_spec.sweeps, init_spec.width
        if opts.classes is not None and tuple(opts.classes) != classes:
            raise ConfigError(f"--classes: {opts.init} was trained on {', '.join(classes)}; fine-tuning keeps them")
    else:
        classes = resolve_classes(sources, tuple(opts.classes) if opts.classes else None)
        grid, sweeps, width = opts.grid, opts.sweeps, opts.width
    torch.manual_seed(opts.seed)
    rng = np.random.default_rng(opts.seed)
    reach = max(abs(grid.x_min), grid.x_max, abs(grid.y_min), grid.y_max) * math.sqrt(2) + 2
    pools = [load_source(s, classes, sweeps, max_range=reach) for s in sources]
    for s, pool in zip(sources, pools):
        if not pool:
            raise DatasetError(f"{s}: no keyframe selected")
    frames = [f for pool in pools for f in pool]
    if opts.balance_sources:
        weights = np.concatenate([np.full(len(p), 1.0 / (len(p) * len(pools))) for p in pools])
    else:
        weights = np.full(len(frames), 1.0 / len(frames))
    model = init_model if opts.init is not None else BevDetector(grid, len(classes), width)
    model = model.to(device).train()
    optim = torch.optim.AdamW(model.parameters(), lr=opts.lr, weight_decay=0.01)
    warm = max(1, opts.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda i: min(1.0, (i + 1) / warm) * (
        0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, i / opts.steps)))))
    bar = None
    if opts.progress:
        from tqdm import tqdm

        bar = tqdm(total=opts.steps, unit="step", desc="train", file=sys.stderr)
    log, start, step = [], time.monotonic(), 0
    try:
        for step in range(1, opts.steps + 1):
            idx = rng.choice(len(frames), size=opts.batch, p=weights)
            bev, heat, reg, mask = [], [], [], []
            for i in idx:
                pts, boxes = augment(frames[i], rng) if opts.augment else (frames[i].points, frames[i].boxes)
                bev.append(voxelise(pts.to(device), grid))
                h, r, m = encode_targets(boxes, frames[i].labels, grid, len(classes))
                heat.append(h), reg.append(r), mask.append(m)
            heat_t, reg_t, mask_t = (torch.stack(t).to(device) for t in (heat, reg, mask))
            heat_logits, reg_pred = model(torch.stack(bev))
            l_heat = focal_loss(heat_logits, heat_t)
            l_reg = regression_loss(reg_pred, reg_t, mask_t)
            loss = l_heat + 0.25 * l_reg
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 35.0)
            optim.step()
            sched.step()
            log.append({"step": step, "loss": round(loss.item(), 5), "heatmap": round(l_heat.item(), 5),
                        "regression": round(l_reg.item(), 5), "lr": optim.param_groups[0]["lr"],
                        "seconds": round(time.monotonic() - start, 2)})
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
            if opts.minutes is not None and time.monotonic() - start > opts.minutes * 60:
                break
    finally:
        if bar is not None:
            bar.close()
    summary = {"steps": step, "steps_asked": opts.steps, "seed": opts.seed, "batch": opts.batch,
               "sources": [str(s) for s in sources], "keyframes": len(frames),
               "init": str(opts.init) if opts.init else None, "device": device,
               "final_loss": float(np.mean([r["loss"] for r in log[-20:]])),
               "seconds": round(time.monotonic() - start, 1),
               "missing_sweep_files": int(sum(f.missing_sweeps for f in frames))}
    save_model(out, DetectorSpec(classes, grid, sweeps, width, summary), model.cpu())
    with atomic_file(out.with_name(out.name + ".log.jsonl")) as tmp:
        tmp.write_text("".join(json.dumps(r) + "\n" for r in log))
    return summary
