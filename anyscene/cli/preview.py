"""`anyscene preview LAYOUT --out FILE`: draw a scene's occupancy (or whole map) as PNG, GIF or MP4."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError
from .occupancy import add_grid_argument, check_rate, load_valid_world, scene_span

DEFAULT_RATE = {".gif": 4.0, ".mp4": 10.0}  # Hz
MAX_RATE = {".gif": 50.0, ".mp4": 60.0}  # Hz: GIF delays are whole centiseconds (at least 2)
MAX_FRAMES = 36_000  # frames of one animation
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
                   help="animation frames per second: GIF (0, 50] (default 4), MP4 (0, 60] (default 10); at most "
                        f"{MAX_FRAMES:,} frames")
    p.add_argument("--duration", type=float, default=None,
                   help="seconds of the scene to animate, from its start (default: the whole scene)")
    p.add_argument("--size", type=int, default=800,
                   help=f"pixels across the map, {MIN_SIZE}..{MAX_SIZE} (default 800)")
    add_grid_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..world import frame_times, load_grid
    from ..world.pictures import SUFFIXES, make_view, write_preview

    suffix = args.out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"--out {args.out}: unknown picture type '{suffix}'; use one of {', '.join(SUFFIXES)}")
    if not MIN_SIZE <= args.size <= MAX_SIZE:
        raise ConfigError(f"--size {args.size}: must be between {MIN_SIZE} and {MAX_SIZE} pixels")
    rate = args.rate if args.rate is not None else DEFAULT_RATE.get(suffix, 1.0)
    check_rate(rate, MAX_RATE.get(suffix, 1.0) if suffix != ".png" else float("inf"))
    grid = load_grid(args.grid)
    world = load_valid_world(args.layout)
    if suffix == ".png":
        if not 0.0 <= args.t <= world.duration:
            raise ConfigError(f"--t {args.t:g}: must be between 0 and the scene's duration {world.duration:g} s")
        times = [args.t]
    else:
        span = scene_span(world, args.duration)
        if int(span * rate) + 1 > MAX_FRAMES:
            raise ConfigError(f"--rate {rate:g}: {int(span * rate) + 1:,} frames; an animation may have at most "
                              f"{MAX_FRAMES:,} (lower --rate or --duration)")
        times = list(frame_times(span, rate))
    view = make_view(world, args.view, grid, args.size)
    with tqdm(total=len(times), desc=f"preview {world.layout.name}", unit="frame", file=sys.stderr,
              leave=False, disable=len(times) == 1) as bar:
        out = write_preview(view, args.out, times, rate, on_frame=lambda n: bar.update(1))
    print(f"wrote {out}", file=sys.stderr)
    return 0
