"""`anyscene stats DATAROOT [--version V] [--compare OTHER[:VERSION]] [--out DIR]`: annotation statistics."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Print the annotation statistics of a nuScenes-format dataroot, real or generated: boxes per keyframe "
        "and the class mix of the 10 detection classes, distances from the ego, per-class sizes (mean, spread), "
        "moving and parked shares, speeds, LiDAR points per box. With --compare, a second dataroot beside it; "
        "with --out, DIR/stats.json and DIR/stats.png (the two side by side). See docs/import.md."))
    p.add_argument("root", type=Path, metavar="DATAROOT", help="a nuScenes dataroot")
    p.add_argument("--version", default=None, help="its version folder (its only one)")
    p.add_argument("--compare", default=None, metavar="OTHER[:VERSION]",
                   help="a second dataroot to show beside it, optionally with its version folder")
    p.add_argument("--out", type=Path, default=None, help="folder for stats.json and stats.png (created)")
    p.set_defaults(func=run)


def split_root(text: str) -> tuple[Path, str | None]:
    """'ROOT:VERSION' -> (ROOT, VERSION); a plain 'ROOT' (or one whose tail is a folder) -> (ROOT, None)."""
    head, sep, tail = text.rpartition(":")
    if sep and head and "/" not in tail and not Path(text).exists():
        return Path(head), tail
    return Path(text), None


def run(args: argparse.Namespace) -> int:
    from ..atomic import atomic_folder
    from ..replay.stats import dataset_stats, format_stats, plot_stats

    stats = dataset_stats(args.root, args.version)
    other = None
    if args.compare:
        root, version = split_root(args.compare)
        other = dataset_stats(root, version)
    print(format_stats(stats, other))
    if args.out is not None:
        with atomic_folder(args.out) as tmp:
            (tmp / "stats.json").write_text(json.dumps({"stats": stats, "compare": other}, indent=1) + "\n")
            plot_stats(stats, other, tmp / "stats.png")
        print(f"{args.out}: stats.json, stats.png")
    return 0
