"""`anyscene occupancy LAYOUT --out DIR`: ego-frame occupancy labels (labels.npz) for every frame of a scene."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError

DEFAULT_RATE = 2.0  # Hz: the nuScenes keyframe rate, at which Occ3D labels exist


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Validate the layout, compile its world and write DIR/<frame>/labels.npz (semantics uint8, instances "
        "uint16, flow float32 (..., 2)) for frames 0, 1/rate, 2/rate, ... plus DIR/index.json with each frame's "
        "time and ego pose. The folder appears only when complete."))
    p.add_argument("layout", type=Path, help="layout YAML file")
    p.add_argument("--out", type=Path, required=True, help="output folder (must not exist unless --overwrite)")
    p.add_argument("--rate", type=float, default=DEFAULT_RATE, help=f"frames per second (default {DEFAULT_RATE:g})")
    add_grid_argument(p)
    p.add_argument("--duration", type=float, default=None,
                   help="seconds of the scene to write, from its start (default: the whole scene)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.set_defaults(func=run)


def add_grid_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--grid", default="occ3d",
                   help="grid preset under configs/grid (occ3d, occ3d_aligned) or a grid YAML file (default occ3d)")


def load_valid_world(path: Path):
    """Load and validate a layout file (errors stop with the validator's FILE:LINE:COL messages, warnings are
    printed) and compile its World."""
    from ..errors import LayoutError
    from ..validation import failed, validate_layout
    from ..layout.yamlio import load_layout
    from ..world import World

    layout, source = load_layout(path)
    issues = validate_layout(layout, source, str(path))
    if failed(issues, strict=False):
        raise LayoutError(issues)
    for issue in issues:
        print(issue, file=sys.stderr)
    return World.compile(layout)


def scene_span(world, duration: float | None) -> float:
    """Seconds to cover: the scene's duration, or a shorter `--duration`."""
    if duration is None:
        return world.duration
    if not 0.0 <= duration <= world.duration:
        raise ConfigError(f"--duration {duration:g}: must be between 0 and the scene's duration "
                          f"{world.duration:g} s")
    return duration


def check_rate(rate: float) -> None:
    if not rate > 0:
        raise ConfigError(f"--rate {rate:g}: must be positive")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..world import frame_times, load_grid
    from ..world.labels import check_output_dir, write_occupancy

    check_rate(args.rate)
    grid = load_grid(args.grid)
    check_output_dir(args.out, args.overwrite)
    world = load_valid_world(args.layout)
    times = frame_times(scene_span(world, args.duration), args.rate)
    with tqdm(total=len(times), desc=f"occupancy {world.layout.name}", unit="frame", file=sys.stderr,
              leave=False) as bar:
        out = write_occupancy(world, args.out, times, grid, rate=args.rate, overwrite=args.overwrite,
                              on_frame=lambda n: bar.update(1))
    print(f"wrote {len(times)} frames to {out}", file=sys.stderr)
    return 0
