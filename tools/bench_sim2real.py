"""The sim2real benchmark on the development split of the real scene (`make bench-sim2real`).

Trains on keyframes 0-24 of scene-0916 in ../shared/nuscenes-real and tests on keyframes 25-40 (a split in
time: the one real scene available for development). Any other real dataroot, version and scenes can be given;
extra arguments go to `anyscene sim2real` (e.g. --steps 300, --quick, --synthetic DATAROOT:VERSION).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / ".." / "shared" / "nuscenes-real"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=f"{REAL}:v1.0-real:scene-0916@0-24")
    ap.add_argument("--test", default=f"{REAL}:v1.0-real:scene-0916@25-40")
    ap.add_argument("--out", default=str(ROOT / "out" / "bench-sim2real"))
    args, rest = ap.parse_known_args(argv)
    sys.path.insert(0, str(ROOT))
    from anyscene.cli.main import main as cli

    return cli(["sim2real", "--train", args.train, "--test", args.test, "--out", args.out, "--overwrite", *rest])


if __name__ == "__main__":
    sys.exit(main())
