"""`anyscene generate LAYOUT.yaml [MORE.yaml ...] --out DIR [key=value ...]`: a nuScenes-format dataset."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError
from .overrides import OVERRIDE, TrailingOverrides


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Validate the layouts, simulate cameras and LiDAR, and write DIR as a nuScenes dataroot: the 13 tables, "
        "images and sweeps, lidarseg, Occ3D gts + annotations.json, per-camera condition maps, mmdetection3d "
        "info pkls, splits.json and preview videos (see docs/output.md). DIR appears only when complete. "
        "Trailing key=value arguments override any field of configs/generate.yaml (values are read as YAML: "
        "no tags, no ${...} interpolations, of the field's type). Every input is bounded; the limits are listed "
        "in docs/layout.md (Limits)."))
    p.add_argument("inputs", nargs="+", metavar="LAYOUT_OR_KEY=VALUE",
                   help="layout YAML files, then optional key=value config overrides (e.g. annotation.max_distance=40)")
    p.add_argument("--out", type=Path, required=True, help="output dataset folder (must not exist unless --overwrite)")
    p.add_argument("--config", type=Path, default=None, help="config YAML (default configs/generate.yaml)")
    p.add_argument("--renderer", default=None,
                   help="camera renderer: gl (default; raster where there is no EGL), raster or diffusion")
    p.add_argument("--weights", type=Path, default=None, help="diffusion renderer weights folder")
    p.add_argument("--rig", default=None, help="rig name under configs/rigs or a rig YAML file (nuscenes); limits in docs/layout.md")
    p.add_argument("--resolution", default=None, help="camera resolution WxH, e.g. 800x450 (rig's own); 16..8192 px a side, at most 3840x2160 pixels")
    p.add_argument("--duration", type=float, default=None, help="seconds per scene, 0.5..600 (each layout's own); the layouts are validated again at it")
    p.add_argument("--seed", type=int, default=None, help="seed of textures and noise, 0..2147483647 (each layout's own)")
    p.add_argument("--version", default=None, help="dataset version folder (v1.0-anyscene): 1 to 64 letters, digits, . _ -")
    p.add_argument("--camera-rate", type=float, default=None, help="camera frames per second, in (0, 100] (12)")
    p.add_argument("--lidar-rate", type=float, default=None, help="LiDAR sweeps per second, in (0, 100] (20)")
    p.add_argument("--keyframe-rate", type=float, default=None, help="annotated keyframes per second, in (0, 100] (2)")
    p.add_argument("--formats", default=None,
                   help="comma-separated subset of nuscenes,lidarseg,occ3d,conditions,infos,previews (all)")
    p.add_argument("--jpeg-quality", type=int, default=None, help="JPEG quality 1..100 (90)")
    p.add_argument("--grid", default=None, help="occupancy grid name under configs/grid or YAML file (occ3d); at most 16,000,000 voxels")
    p.add_argument("--workers", type=int, default=None, help="file-writing threads, 1..64 (2)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run, overrides=[])
    p.__class__ = TrailingOverrides  # same parser, plus the trailing key=value arguments


def split_inputs(inputs: list[str], trailing: list[str] = ()) -> tuple[list[Path], list[str]]:
    """Layout paths and key=value overrides: `inputs` are layouts, then overrides; `trailing` are the overrides
    given after the options."""
    layouts, overrides = [], []
    for item in inputs:
        if OVERRIDE.match(item) and not Path(item).exists():
            overrides.append(item)
        elif overrides:
            raise ConfigError(f"{item}: layouts must come before the key=value overrides")
        else:
            layouts.append(Path(item))
    if not layouts:
        raise ConfigError("give at least one layout YAML file")
    return layouts, overrides + list(trailing)


def run(args: argparse.Namespace) -> int:
    from ..export import generate_dataset, load_config

    layouts, overrides = split_inputs(args.inputs, args.overrides)
    options = {
        "renderer": args.renderer, "weights": str(args.weights) if args.weights else None, "rig": args.rig,
        "resolution": args.resolution, "duration": args.duration, "seed": args.seed, "version": args.version,
        "camera_rate": args.camera_rate, "lidar_rate": args.lidar_rate, "keyframe_rate": args.keyframe_rate,
        "formats": [f.strip() for f in args.formats.split(",") if f.strip()] if args.formats is not None else None,
        "jpeg_quality": args.jpeg_quality, "grid": args.grid, "workers": args.workers,
        "overwrite": True if args.overwrite else None, "progress": False if args.no_progress else None,
    }
    config = load_config(args.config, options, overrides)
    generate_dataset(layouts, args.out, config)
    return 0
