"""`anyscene occupancy LAYOUT --out DIR`: ego-frame occupancy labels (labels.npz) for every frame of a scene."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError

DEFAULT_RATE = 2.0  # Hz: the nuScenes keyframe rate, at which Occ3D labels exist
MAX_RATE = 20.0  # Hz: frames per second of occupancy labels (the LiDAR rate)
MAX_VOXEL_FRAMES = 4e9  # voxels × frames of one run (about 14 bytes each before compression)


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Validate the layout, compile its world and write DIR/<frame>/labels.npz (semantics uint8, instances "
        "uint16, flow float32 (..., 2)) for frames 0, 1/rate, 2/rate, ... plus DIR/index.json with each frame's "
        "time and ego pose. The folder appears only when complete."))
    p.add_argument("layout", type=Path, help="layout YAML file")
    p.add_argument("--out", type=Path, required=True, help="output folder (must not exist unless --overwrite)")
    p.add_argument("--rate", type=float, default=DEFAULT_RATE,
                   help=f"frames per second, in (0, {MAX_RATE:g}] (default {DEFAULT_RATE:g}); frames × voxels at "
                        f"most {MAX_VOXEL_FRAMES:.0e}")
    add_grid_argument(p)
    p.add_argument("--duration", type=float, default=None,
                   help="seconds of the scene to write, from its start (default: the whole scene)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.set_defaults(func=run)


def add_grid_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--grid", default="occ3d",
                   help="grid preset under configs/grid (occ3d, occ3d_aligned) or a grid YAML file (default occ3d); "
                        "at most 16,000,000 voxels of 0.01..10 m")


def load_valid_world(path: Path):
    """Load and validate a layout file (errors stop with the validator's FILE:LINE:COL messages, warnings are
    printed) and compile its World, once."""
    from ..errors import format_issues
    from ..layout.yamlio import load_layout
    from ..validation import check

    layout, source = load_layout(path)
    valid = check(layout, source, str(path))
    for line in format_issues(valid.issues):
        print(line, file=sys.stderr)
    return valid.compile()


def scene_span(world, duration: float | None) -> float:
    """Seconds to cover: the scene's duration, or a shorter `--duration`."""
    if duration is None:
        return world.duration
    if not 0.0 <= duration <= world.duration:  # also false for NaN
        raise ConfigError(f"--duration {duration:g}: must be between 0 and the scene's duration "
                          f"{world.duration:g} s")
    return duration


def check_rate(rate: float, most: float = MAX_RATE) -> None:
    """--rate in (0, most] Hz (NaN and infinity refused)."""
    if not 0 < rate <= most:
        raise ConfigError(f"--rate {rate:g}: must be in (0, {most:g}] frames per second")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..world import frame_times, load_grid
    from ..world.labels import check_output_dir, write_occupancy

    check_rate(args.rate)
    grid = load_grid(args.grid)
    check_output_dir(args.out, args.overwrite)
    world = load_valid_world(args.layout)
    span = scene_span(world, args.duration)
    frames = int(span * args.rate) + 1
    voxels = grid.nx * grid.ny * grid.nz
    if frames * voxels > MAX_VOXEL_FRAMES:
        raise ConfigError(f"--rate {args.rate:g}: {frames:,} frames of {voxels:,} voxels is more than the "
                          f"{MAX_VOXEL_FRAMES:.0e} voxel-frames one run may write; lower --rate or --duration, or "
                          "use a smaller grid")
    times = frame_times(span, args.rate)
    with tqdm(total=len(times), desc=f"occupancy {world.layout.name}", unit="frame", file=sys.stderr,
              leave=False) as bar:
        out = write_occupancy(world, args.out, times, grid, rate=args.rate, overwrite=args.overwrite,
                              on_frame=lambda n: bar.update(1))
    print(f"wrote {len(times)} frames to {out}", file=sys.stderr)
    return 0
