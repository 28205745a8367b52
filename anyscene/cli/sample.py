"""`anyscene sample CONFIG.yaml --n N --out DIR`: procedural layouts from road templates."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

MAX_LAYOUTS = 1_000_000  # layouts of one run (as source.sampler.n of a batch)


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Write N procedural layouts DIR/<prefix>_<index>.yaml drawn from road templates (junctions, straight and "
        "curved roads, a roundabout, T-junctions, urban streets with parking) with traffic, pedestrians, "
        "cyclists, parked cars and props as the config sets out. Each layout passes the strict validator; "
        "the same config and seed give the same files. DIR appears only when all are written. Trailing "
        "key=value arguments override config fields (e.g. density.vehicles=2)."))
    p.add_argument("config", type=Path, help="sampler config YAML (see configs/sampler/default.yaml)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. duration=10")
    p.add_argument("--n", type=int, required=True, help=f"number of layouts, 1..{MAX_LAYOUTS:,}")
    p.add_argument("--out", type=Path, required=True, help="output folder (must be empty unless --overwrite)")
    p.add_argument("--seed", type=int, default=None, help="base seed (the config's when omitted)")
    p.add_argument("--start", type=int, default=0, help="index of the first layout (0)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing non-empty output folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
    from .overrides import TrailingOverrides

    p.__class__ = TrailingOverrides


def run(args: argparse.Namespace) -> int:
    from ..procgen.sampler import sample_to_dir
    from ..procgen.config import load_sampler_config
    from ..errors import ConfigError

    if not 1 <= args.n <= MAX_LAYOUTS:
        raise ConfigError(f"--n {args.n}: give 1..{MAX_LAYOUTS:,}")
    if args.start < 0:
        raise ConfigError(f"--start {args.start}: must be >= 0")
    if args.seed is not None and args.seed < 0:
        raise ConfigError(f"--seed {args.seed}: must be >= 0")
    cfg = load_sampler_config(args.config, args.overrides, {"seed": args.seed})
    stats = sample_to_dir(cfg, args.n, args.out, overwrite=args.overwrite, progress=not args.no_progress,
                          start=args.start)
    first = sum(1 for s in stats if s.attempt == 0)
    templates: dict[str, int] = {}
    for s in stats:
        templates[s.template] = templates.get(s.template, 0) + 1
    mix = ", ".join(f"{k} {v}" for k, v in sorted(templates.items()))
    print(f"sample: {len(stats)} layouts in {args.out} ({first} valid at the first draw); {mix}", file=sys.stderr)
    return 0
