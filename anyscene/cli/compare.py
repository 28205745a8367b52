"""`anyscene compare REAL_DATAROOT GENERATED_DATAROOT --out DIR`: a real recording against its replay."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import OutputError


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Pair the keyframes and boxes of a real nuScenes scene and of its replay (the imported scene generated "
        "again) and write DIR/comparison.json (per class and distance bin: box differences, synthetic/real "
        "LiDAR points per box, 0-point fraction, camera visibility agreement; per sweep: points, range, ring and "
        "intensity distributions, Chamfer distance of the static points, per-ring return rate, intensity histogram "
        "distance; cameras: PSNR and SSIM on the held-out odd keyframes over the replay's covered pixels), "
        "DIR/boxes.json and PNG plots. See docs/import.md."))
    p.add_argument("real", type=Path, metavar="REAL_DATAROOT", help="the real nuScenes dataroot")
    p.add_argument("generated", type=Path, metavar="GENERATED_DATAROOT", help="the generated replay")
    p.add_argument("--out", type=Path, required=True, help="folder for the report (created)")
    p.add_argument("--real-version", default=None, help="version folder of the real dataroot (its only one)")
    p.add_argument("--generated-version", default=None, help="version folder of the replay (its only one)")
    p.add_argument("--scene", default=None, help="scene of the real dataroot (its first)")
    p.add_argument("--overwrite", action="store_true", help="write into an existing folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..replay import compare_datasets, write_report

    if args.out.exists() and not args.overwrite:
        raise OutputError(f"{args.out}: already exists; pass --overwrite to write into it")
    report, boxes = compare_datasets(args.real, args.generated, real_version=args.real_version,
                                     generated_version=args.generated_version, scene=args.scene)
    files = write_report(report, boxes, args.out)
    b = report["boxes"]["all"]["all"]
    lid = report["lidar"]
    ratio = b.get("lidar_ratio", {}).get("median", float("nan"))
    print(f"{args.out}: {report['keyframes']['paired']} keyframes, {b['matched']}/{b['real_boxes']} real boxes "
          f"matched; LiDAR points per box synthetic/real median {ratio:.2f}, "
          f"0-point fraction {b.get('zero_point_fraction', float('nan')):.2f}"
          + (f"; points per sweep real {lid['real']['points_per_sweep']['median']:.0f}, synthetic "
             f"{lid['synthetic']['points_per_sweep']['median']:.0f}" if lid.get("sweeps") else "")
          + f"; {len(files)} files")
    return 0
