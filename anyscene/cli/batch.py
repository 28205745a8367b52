"""`anyscene batch CONFIG.yaml --out DIR`: many scenes into one dataset, on local processes or Ray."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .overrides import TrailingOverrides

EXIT_SOME_FAILED = 3  # anyscene.batch.runner.EXIT_SOME_FAILED (kept import-free for --help)


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Generate every scene of a batch (a folder or glob of layouts, or the procedural sampler) and merge them "
        "into one nuScenes dataset in DIR: one version holding all scenes, splits.json and info pkls split by "
        "ratio, Occ3D annotations. Scenes run in parallel on local processes (all cores by default) or, with "
        "--ray, as one Ray task per scene. DIR/manifest.json records each scene's status, seed, timing and "
        "error; rerunning the same command skips finished scenes and retries interrupted and failed ones. "
        f"Exit status: 0 when every scene succeeded, {EXIT_SOME_FAILED} when some failed (DIR then holds the "
        "others), 2 for a bad config or folder, 130 when interrupted. Trailing key=value arguments override "
        "batch config fields (e.g. generate.resolution=800x450 workers=2), read as strictly as the file (no YAML "
        "tags, no ${...}, the field's type). The layouts of a folder are read (1 MiB each at most, UTF-8) before "
        "anything runs; every limit is listed in docs/layout.md."))
    p.add_argument("config", type=Path, help="batch config YAML (see configs/batch/default.yaml)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="batch config overrides")
    p.add_argument("--out", type=Path, required=True, help="dataset folder (a new folder, or a batch's to resume)")
    p.add_argument("--ray", default=None, metavar="auto|local|ADDRESS",
                   help="run on Ray: auto (a running cluster, else a local instance), local, or a cluster address")
    p.add_argument("--workers", type=int, default=None, help="scenes at once on local processes (0 = all cores)")
    p.add_argument("--retry-failed", action="store_true",
                   help="run only the scenes the manifest records as failed, then merge")
    p.add_argument("--overwrite", action="store_true", help="discard DIR (and its finished scenes) and start over")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--sensors", default=None,
                   help="comma-separated sensor kinds to simulate and write: camera,lidar,radar (the config's `sensors`)")
    p.add_argument("--report", type=Path, default=None, help="also write the run's report as JSON here")
    p.set_defaults(func=run)
    p.__class__ = TrailingOverrides


def run(args: argparse.Namespace) -> int:
    from ..batch.config import load_batch_config
    from ..batch.runner import report_json, run_batch
    from ..errors import ConfigError, OutputError

    if args.workers is not None and args.workers < 0:
        raise ConfigError(f"--workers {args.workers}: must be >= 0 (0 = all cores)")
    from .generate import sensor_list

    options = {"sensors": sensor_list(args.sensors)} if args.sensors is not None else None
    cfg = load_batch_config(args.config, args.overrides, options)
    report = run_batch(cfg, args.out, ray=args.ray, workers=args.workers, retry_failed_only=args.retry_failed,
                       overwrite=args.overwrite, progress=not args.no_progress)
    print(report.summary(), file=sys.stderr)
    if args.report:
        try:
            args.report.write_text(json.dumps(report_json(report), indent=1) + "\n")
        except OSError as e:
            raise OutputError(f"{args.report}: cannot write the report: {e.strerror or e}") from None
    return report.exit_code
