"""`anyscene train-renderer CONFIG.yaml [key=value ...]`: train the multi-view video diffusion renderer."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Train the diffusion renderer on a nuScenes-format dataroot (an AnyScene export, real nuScenes with "
        "Occ3D labels, or real nuScenes alone: its scenes are imported and their condition maps rendered from "
        "the imported world at each real image's time). CONFIG is a YAML file such as configs/renderer/tiny.yaml or sd15_128x224.yaml (or the "
        "name of one); trailing key=value arguments override it, e.g. data.dataroot=out/ds "
        "train.output_dir=runs/r1 train.max_steps=1000. The run folder receives log.jsonl, samples/*.png, "
        "resumable checkpoints/ (train.resume=latest continues) and pipeline/, the weights for "
        "`anyscene generate --renderer diffusion --weights RUN/pipeline`. Several GPUs: start it with "
        "`accelerate launch -m anyscene.cli.main train-renderer ...`."))
    p.add_argument("config", help="training config YAML (or a name under configs/renderer/)")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..render.diffusion.config import load_train_config
    from ..training.diffusion_train import train

    cfg = load_train_config(args.config, args.overrides)
    check_run_folder(Path(cfg.train.output_dir))
    result = train(cfg, layouts=imported_layouts(cfg.data.dataroot, cfg.data.version))
    print(f"trained {result.steps} steps; weights in {result.pipeline_dir}", file=sys.stderr)
    return 0


def check_run_folder(out: Path) -> None:
    """OutputError when the run folder, or anything training writes or removes in it (log, samples,
    checkpoints and each checkpoint, pipeline), is a symbolic link: training never writes or deletes
    through a link."""
    from ..atomic import refuse_link

    refuse_link(out)
    for name in ("log.jsonl", "samples", "checkpoints", "pipeline"):
        refuse_link(out / name)
    if (out / "checkpoints").is_dir():
        for entry in (out / "checkpoints").iterdir():
            refuse_link(entry)


def imported_layouts(dataroot: str, version: str):
    """scene name -> the Layout `anyscene import nuscenes` makes of it (each scene imported once, when first
    needed)."""
    cache: dict = {}

    def layout(scene: str):
        if scene not in cache:
            from ..importers.nuscenes import import_nuscenes

            cache.clear()
            cache[scene] = import_nuscenes(dataroot, version, scene).layout
        return cache[scene]

    return layout
