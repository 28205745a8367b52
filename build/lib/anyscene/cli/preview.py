"""`anyscene preview LAYOUT --out FILE`: draw a scene's occupancy (or whole map) as PNG, GIF or MP4."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError
from .occupancy import add_grid_argument, check_rate, load_valid_world, scene_span

DEFAULT_RATE = {".gif": 4.0, ".mp4": 10.0}  # Hz
MIN_SIZE, MAX_SIZE = 64, 4096  # px


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Draw the scene from above. The file type picks what is drawn: FILE.png one picture at --t, FILE.gif or "
        "FILE.mp4 an animation over the scene. --view bev (default) shows the ego-frame occupancy, each column "
        "coloured by its highest occupied class; --view world shows the whole map with every agent, its "
        "trajectory and the ego's grid range, for authoring."))
    p.add_argument("layout", type=Path, help="layout YAML file")
    p.add_argument("--out", type=Path, required=True, help="output picture: .png, .gif or .mp4 (replaced if present)")
    p.add_argument("--view", choices=("bev", "world"), default="bev", help="what to draw (default bev)")
    p.add_argument("--t", type=float, default=0.0, help="time of a PNG picture in seconds (default 0)")
    p.add_argument("--rate", type=float, default=None,
                   help="animation frames per second (default 4 for GIF, 10 for MP4)")
    p.add_argument("--duration", type=float, default=None,
                   help="seconds of the scene to animate, from its start (default: the whole scene)")
    p.add_argument("--size", type=int, default=800, help="pixels across the map (default 800)")
    add_grid_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..world import frame_times, load_grid
    from ..world.preview import SUFFIXES, make_view, write_preview

    suffix = args.out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"--out {args.out}: unknown picture type '{suffix}'; use one of {', '.join(SUFFIXES)}")
    if not MIN_SIZE <= args.size <= MAX_SIZE:
        raise ConfigError(f"--size {args.size}: must be between {MIN_SIZE} and {MAX_SIZE} pixels")
    rate = args.rate if args.rate is not None else DEFAULT_RATE.get(suffix, 1.0)
    check_rate(rate)
    grid = load_grid(args.grid)
    world = load_valid_world(args.layout)
    if suffix == ".png":
        if not 0.0 <= args.t <= world.duration:
            raise ConfigError(f"--t {args.t:g}: must be between 0 and the scene's duration {world.duration:g} s")
        times = [args.t]
    else:
        times = list(frame_times(scene_span(world, args.duration), rate))
    view = make_view(world, args.view, grid, args.size)
    with tqdm(total=len(times), desc=f"preview {world.layout.name}", unit="frame", file=sys.stderr,
              leave=False, disable=len(times) == 1) as bar:
        out = write_preview(view, args.out, times, rate, on_frame=lambda n: bar.update(1))
    print(f"wrote {out}", file=sys.stderr)
    return 0
