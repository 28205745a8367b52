"""`anyscene import nuscenes DATAROOT --version V --scene NAME --out LAYOUT.yaml [--rig-out RIG.yaml]`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import OutputError


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Import a recorded scene as an editable layout: ego path, agents, props, drivable map and the recorded "
        "sensor timeline (see docs/import.md). Warnings say what could not be imported as recorded."))
    sub = p.add_subparsers(dest="dataset", metavar="DATASET")
    n = sub.add_parser("nuscenes", help="a scene of a nuScenes dataroot", description=(
        "Read the nuScenes tables of DATAROOT/VERSION and write scene NAME as a layout (and its calibrated "
        "sensors as a rig file for `generate --rig`)."))
    n.add_argument("dataroot", type=Path, metavar="DATAROOT", help="nuScenes dataroot (holds VERSION/, maps/)")
    n.add_argument("--version", required=True, help="version folder, e.g. v1.0-mini")
    n.add_argument("--scene", required=True, help="scene name, e.g. scene-0916")
    n.add_argument("--out", type=Path, required=True, help="layout YAML to write")
    n.add_argument("--rig-out", type=Path, default=None, help="rig YAML to write (the scene's calibration)")
    n.add_argument("--map-margin", type=float, default=60.0, help="m of drivable area traced around the "
                   "ego's path (60)")
    n.add_argument("--overwrite", action="store_true", help="replace existing output files")
    n.set_defaults(func=run_nuscenes)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_nuscenes(args: argparse.Namespace) -> int:
    from ..importers.nuscenes import import_nuscenes
    from ..layout.yamlio import save_layout
    from ..validation import check

    outputs = [p for p in (args.out, args.rig_out) if p is not None]
    for path in outputs:
        if path.exists() and not args.overwrite:
            raise OutputError(f"{path}: already exists; pass --overwrite to replace it")
        if not path.parent.is_dir():
            raise OutputError(f"{path}: folder {path.parent} does not exist")
    if args.map_margin < 0:
        raise OutputError(f"--map-margin: must be ≥ 0, got {args.map_margin}")
    scene = import_nuscenes(args.dataroot, args.version, args.scene, map_margin=args.map_margin)
    for w in scene.warnings:
        print(f"warning: {w}", file=sys.stderr)
    check(scene.layout, file=str(args.out))  # recorded-data findings are warnings, never errors
    save_layout(scene.layout, args.out)
    if args.rig_out is not None:
        tmp = args.rig_out.with_suffix(args.rig_out.suffix + ".tmp")
        tmp.write_text(scene.rig_yaml, encoding="utf-8")
        tmp.replace(args.rig_out)
    lay = scene.layout
    print(f"{args.out}: {lay.name}, {lay.duration:.2f} s, {len(lay.timeline.keyframes)} keyframes, "
          f"{len(lay.agents)} agents, {len(lay.map.props)} props, {len(lay.map.areas)} map areas"
          + (f"; rig {args.rig_out}" if args.rig_out else ""))
    return 0
