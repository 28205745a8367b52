"""`anyscene detector train|eval`: the reference BEV LiDAR detector (docs/perception.md)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Train a small BEV LiDAR 3D detector (pure PyTorch, CenterPoint-style head) on nuScenes-format "
        "dataroots, ours or real, and score it with the nuScenes devkit's detection evaluation. "
        "See docs/perception.md."))
    sub = p.add_subparsers(dest="detector_command", metavar="ACTION", required=True)
    t = sub.add_parser("train", help="train a detector model file", description=(
        "Train on the keyframes of one or more sources, each DATAROOT:VERSION[:SCENES] where SCENES is "
        "'+'-separated scene names, each optionally NAME@FIRST-LAST (0-based keyframe range, inclusive). "
        "Deterministic for a seed on one device. Writes MODEL and MODEL.log.jsonl (loss per step)."))
    t.add_argument("sources", metavar="DATAROOT:VERSION[:SCENES][,...]",
                   help="training sources, comma-separated (repeat the argument for more)", nargs="+")
    t.add_argument("--out", type=Path, required=True, help="model file to write (replaced if it exists)")
    t.add_argument("--steps", type=int, required=True, help="optimiser steps, 1..1,000,000")
    t.add_argument("--minutes", type=float, default=None, help="also stop after this many minutes")
    t.add_argument("--init", type=Path, default=None, help="start from this model (fine-tuning)")
    t.add_argument("--seed", type=int, default=0, help="seed, 0..2147483647 (0)")
    t.add_argument("--batch", type=int, default=2, help="keyframes per step (2)")
    t.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (0.002)")
    t.add_argument("--classes", default=None,
                   help="comma-separated detection classes (default: those present in the training data)")
    t.add_argument("--sweeps", type=int, default=1, help="LiDAR sweeps per input, 1..20 (1); missing sweep "
                   "files are skipped")
    t.add_argument("--range", type=float, default=51.2, dest="half_range",
                   help="half extent of the square BEV grid, m (51.2)")
    t.add_argument("--cell", type=float, default=0.4, help="BEV cell size, m (0.4)")
    t.add_argument("--stride", type=int, default=2, help="head output stride, 1 or 2 (2)")
    t.add_argument("--width", type=int, default=32, help="network width (32)")
    t.add_argument("--balance-sources", action="store_true", help="draw each source equally often")
    t.add_argument("--no-augment", action="store_true", help="no random rotation, flip or scale")
    t.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (cpu)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=run_train)
    e = sub.add_parser("eval", help="score a model with the devkit's detection evaluation", description=(
        "Predict on DATAROOT's selected keyframes and score them with nuscenes-devkit's DetectionEval on a "
        "custom split of a derived version in OUT (tables filtered to the scenes and keyframe ranges, sensor "
        "files linked). OUT gets results_nusc.json, the devkit's metrics_summary.json and metrics_details.json, "
        "and bev/*.png pictures of predictions (red) against ground truth (green)."))
    e.add_argument("model", type=Path, metavar="MODEL", help="a model file of `anyscene detector train`")
    e.add_argument("dataroot", type=Path, metavar="DATAROOT", help="nuScenes dataroot")
    e.add_argument("--version", required=True, help="version folder, e.g. v1.0-mini")
    e.add_argument("--scenes", default="", help="comma-separated NAME or NAME@FIRST-LAST (default: all)")
    e.add_argument("--out", type=Path, required=True, help="output folder (must not exist unless --overwrite)")
    e.add_argument("--pictures", type=int, default=4, help="keyframes drawn as BEV PNGs (4)")
    e.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (cpu)")
    e.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    e.add_argument("--no-progress", action="store_true", help="no progress bar")
    e.set_defaults(func=run_eval)


def run_train(args: argparse.Namespace) -> int:
    from ..perception.data import parse_source
    from ..perception.grid import BevGrid
    from ..perception.train import TrainOptions, train

    sources = [parse_source(s) for arg in args.sources for s in arg.split(",") if s]
    r = args.half_range
    opts = TrainOptions(steps=args.steps, seed=args.seed, batch=args.batch, lr=args.lr,
                        classes=tuple(c.strip() for c in args.classes.split(",") if c.strip()) if args.classes
                        else None, sweeps=args.sweeps, grid=BevGrid(-r, r, -r, r, cell=args.cell, stride=args.stride),
                        width=args.width, init=args.init, balance_sources=args.balance_sources, minutes=args.minutes,
                        augment=not args.no_augment, device=args.device, progress=not args.no_progress)
    summary = train(sources, args.out, opts)
    print(f"{args.out}: {summary['steps']} steps on {summary['keyframes']} keyframes in {summary['seconds']} s, "
          f"final loss {summary['final_loss']:.3f}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..perception.data import parse_scenes
    from ..perception.evaluate import evaluate
    from ..perception.train import pick_device

    if not 0 <= args.pictures <= 100:
        raise ConfigError(f"--pictures must be 0..100 (got {args.pictures})")
    scenes = parse_scenes(args.scenes) if args.scenes else ()
    res = evaluate(args.model, args.dataroot, args.version, scenes, args.out, device=pick_device(args.device),
                   pictures=args.pictures, overwrite=args.overwrite, progress=not args.no_progress)
    aps = ", ".join(f"{c} {res.ap(c):.3f}" for c, n in res.gt_classes.items() if n)
    print(f"{args.out}: {res.keyframes} keyframes; mAP {res.summary['mean_ap']:.3f}, NDS {res.summary['nd_score']:.3f}; "
          f"AP of the classes present: {aps or 'none'}")
    print(json.dumps({"mAP_present": res.present_map()}))
    return 0
