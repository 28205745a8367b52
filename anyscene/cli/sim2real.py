"""`anyscene sim2real`: the real/synthetic detector benchmark (docs/perception.md)."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Train the reference detector four ways at the same step budget and seed (real-only, synthetic-only, "
        "synthetic -> real, mixed), score each on the real test keyframes with the devkit, and check realism by "
        "scoring the real-only model on the test keyframes' replay. Sources are DATAROOT:VERSION[:SCENES], "
        "SCENES '+'-separated NAME or NAME@FIRST-LAST (0-based keyframes, inclusive). Writes OUT/table.md, "
        "OUT/results.json, OUT/chart.png, the models, the evaluations and the generated data."))
    p.add_argument("--train", required=True, metavar="DATAROOT:VERSION[:SCENES]", help="real training data")
    p.add_argument("--test", required=True, metavar="DATAROOT:VERSION[:SCENES]", help="real test data")
    p.add_argument("--out", type=Path, required=True, help="output folder (must not exist unless --overwrite)")
    p.add_argument("--steps", type=int, default=None, help="steps per arm (600; --quick: 30)")
    p.add_argument("--minutes", type=float, default=None, help="wall-time cap per arm (20; --quick: 2)")
    p.add_argument("--seed", type=int, default=0, help="seed (0)")
    p.add_argument("--synthetic", default=None, metavar="DATAROOT:VERSION[:SCENES]",
                   help="use this synthetic dataset instead of sampling and generating one")
    p.add_argument("--synthetic-scenes", type=int, default=None, help="sampled scenes (8; --quick: 1)")
    p.add_argument("--synthetic-duration", type=float, default=None, help="s per sampled scene (20; --quick: 4)")
    p.add_argument("--sampler", default=None, help="sampler config (nuscenes_like when shipped, else default)")
    p.add_argument("--sweeps", type=int, default=None, help="LiDAR sweeps per input (1 when the test data has "
                   "no sweep files, else 3)")
    p.add_argument("--quick", action="store_true", help="a tiny grid, network and budget (tests, smoke runs)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (cpu)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..perception.data import parse_source
    from ..perception.sim2real import Sim2RealOptions, run_sim2real
    from ..perception.train import pick_device

    kw = {k: v for k, v in dict(steps=args.steps, minutes=args.minutes, synthetic_scenes=args.synthetic_scenes,
                                synthetic_duration=args.synthetic_duration).items() if v is not None}
    if "synthetic_scenes" in kw and not 1 <= kw["synthetic_scenes"] <= 1000:
        raise ConfigError(f"--synthetic-scenes must be 1..1000 (got {kw['synthetic_scenes']})")
    if "synthetic_duration" in kw and not 1 <= kw["synthetic_duration"] <= 600:
        raise ConfigError(f"--synthetic-duration must be 1..600 s (got {kw['synthetic_duration']})")
    common = dict(seed=args.seed, sampler=args.sampler, sweeps=args.sweeps, device=pick_device(args.device),
                  progress=not args.no_progress,
                  synthetic=parse_source(args.synthetic) if args.synthetic else None)
    opts = Sim2RealOptions.quick(**kw, **common) if args.quick else Sim2RealOptions(**kw, **common)
    report = run_sim2real(parse_source(args.train), parse_source(args.test), args.out, opts, args.overwrite)
    print((args.out / "table.md").read_text(), end="")
    return 0 if report else 1
