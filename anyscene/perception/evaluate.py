"""Scoring: a model's predictions on a dataroot's selected keyframes, as the devkit's results JSON, scored
by the devkit's own DetectionEval (nothing of the metric is re-implemented here), and BEV pictures."""
from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..atomic import atomic_folder
from .data import SceneSelection, load_keyframe, open_nuscenes
from .grid import voxelise
from .modelfile import load_model
from .subset import write_subset
from .targets import decode

SPLIT = "eval"
VEHICLES = {"car", "truck", "bus", "trailer", "construction_vehicle"}


@dataclass
class EvalResult:
    """What an evaluation wrote and found: the devkit's summary plus which classes had ground truth."""

    out: Path
    summary: dict                  # metrics_summary.json as the devkit wrote it
    gt_classes: dict[str, int]     # ground-truth boxes per class after the devkit's filters
    keyframes: int

    def ap(self, cls: str) -> float:
        """Mean AP of a class over the four distance thresholds (the devkit's mean_dist_aps)."""
        return float(self.summary["mean_dist_aps"].get(cls, float("nan")))

    def present_map(self) -> float:
        """mAP over the classes with ground truth in the evaluated keyframes."""
        aps = [self.ap(c) for c in self.gt_classes if self.gt_classes[c]]
        return float(np.mean(aps)) if aps else float("nan")


def attribute(name: str, speed: float) -> str:
    moving = speed > 0.2
    if name in VEHICLES:
        return "vehicle.moving" if moving else "vehicle.parked"
    if name == "pedestrian":
        return "pedestrian.moving" if moving else "pedestrian.standing"
    if name in ("bicycle", "motorcycle"):
        return "cycle.with_rider" if moving else "cycle.without_rider"
    return ""


def to_results(sample_token: str, boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor,
               classes: tuple[str, ...], ego_to_global: np.ndarray) -> list[dict]:
    """Ego-frame predictions as the devkit's result boxes (global frame)."""
    from pyquaternion import Quaternion

    rot, t = ego_to_global[:3, :3], ego_to_global[:3, 3]
    q_ego = Quaternion(matrix=rot)
    out = []
    for b, s, l in zip(boxes.tolist(), scores.tolist(), labels.tolist()):
        x, y, z, w, ln, h, yaw, vx, vy = b
        c = rot @ np.array([x, y, z]) + t
        v = rot @ np.array([vx, vy, 0.0])
        q = q_ego * Quaternion(axis=[0, 0, 1], angle=yaw)
        name = classes[l]
        out.append({"sample_token": sample_token, "translation": c.tolist(), "size": [w, ln, h],
                    "rotation": list(q.elements), "velocity": v[:2].tolist(), "detection_name": name,
                    "detection_score": float(s), "attribute_name": attribute(name, float(np.hypot(vx, vy)))})
    return out


@torch.no_grad()
def predict(model, spec, frame, device: str, max_boxes: int = 100):
    heat, reg = model(voxelise(frame.points.to(device), spec.grid)[None])
    return decode(heat, reg, spec.grid, max_boxes=max_boxes)[0]


def evaluate(model_path: str | Path, dataroot: str | Path, version: str, scenes: tuple[SceneSelection, ...],
             out: str | Path, *, device: str = "cpu", pictures: int = 4, overwrite: bool = False,
             progress: bool = False) -> EvalResult:
    """Score a model on DATAROOT/VERSION's selected keyframes; write into OUT: `dataroot/` (the derived
    version scored, sensor files linked), `results_nusc.json`, the devkit's `metrics_summary.json` and
    `metrics_details.json`, and `bev/*.png` pictures of `pictures` keyframes."""
    from nuscenes.eval.common.config import config_factory
    from nuscenes.eval.detection.evaluate import DetectionEval

    spec, model = load_model(model_path, device)
    dataroot = Path(dataroot).absolute()
    open_nuscenes(dataroot, version)  # a clear error before anything is written
    with atomic_folder(out, overwrite) as tmp:
        root = tmp / "dataroot"
        tokens = write_subset(dataroot, version, scenes, root, SPLIT)
        nusc = open_nuscenes(root, version)
        results: dict[str, list[dict]] = {}
        shown = set(np.linspace(0, len(tokens) - 1, min(pictures, len(tokens))).round().astype(int).tolist()) \
            if pictures else set()
        it = tokens
        if progress:
            from tqdm import tqdm

            it = tqdm(tokens, unit="keyframe", desc="eval")
        for i, tok in enumerate(it):
            frame = load_keyframe(nusc, tok, "", spec.classes, spec.sweeps)
            boxes, scores, labels = (t.cpu() for t in predict(model, spec, frame, device))
            results[tok] = to_results(tok, boxes, scores, labels, spec.classes, frame.ego_to_global)
            if i in shown:
                from .pictures import draw_bev

                (tmp / "bev").mkdir(exist_ok=True)
                draw_bev(tmp / "bev" / f"{i:03d}_{tok}.png", frame, boxes, scores, labels, spec)
        meta = {"use_lidar": True, "use_camera": False, "use_radar": False, "use_map": False, "use_external": False}
        result_path = tmp / "results_nusc.json"
        result_path.write_text(json.dumps({"meta": meta, "results": results}))
        cfg = config_factory("detection_cvpr_2019")
        ev = DetectionEval(nusc, cfg, str(result_path), eval_set=SPLIT, output_dir=str(tmp), verbose=False)
        with contextlib.redirect_stdout(io.StringIO()):  # the devkit prints its summary table
            ev.main(plot_examples=0, render_curves=False)
        gt = {c: 0 for c in cfg.class_names}
        for b in ev.gt_boxes.all:
            gt[b.detection_name] += 1
        (tmp / "run.json").write_text(json.dumps({"model": str(Path(model_path).absolute()), "model_info": spec.info,
                                                  "dataroot": str(dataroot), "version": version,
                                                  "scenes": [str(s) for s in scenes], "keyframes": len(tokens),
                                                  "gt_boxes": gt, "anyscene_version": __version__}, indent=2))
    out = Path(out)
    summary = json.loads((out / "metrics_summary.json").read_text())
    return EvalResult(out, summary, gt, len(tokens))
