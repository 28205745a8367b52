"""Car AP within 20, 30 and 50 m of the ego for `anyscene detector eval` folders: the devkit's DetectionEval
run again on each folder's own derived dataroot and results, with the car class range set to each distance
(the devkit filters ground truth and predictions by it), so a user sees at which distances a model loses.

    python tools/ap_by_range.py out/bench-sim2real/evals/real_only out/bench-sim2real/evals/synthetic_only
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

RANGES = (20, 30, 50)


def ap_by_range(folder: Path, cls: str = "car", ranges=RANGES) -> dict[int, dict]:
    """{range m: {"ap": mean over the 0.5/1/2/4 m thresholds, "ap_by_threshold": {...}}} of one eval folder."""
    from nuscenes.eval.common.config import config_factory
    from nuscenes.eval.detection.evaluate import DetectionEval
    from nuscenes.nuscenes import NuScenes

    from anyscene.perception.evaluate import SPLIT

    run = json.loads((folder / "run.json").read_text())
    with contextlib.redirect_stdout(io.StringIO()):
        nusc = NuScenes(run["version"], str(folder / "dataroot"), verbose=False)
    out = {}
    for r in ranges:
        cfg = config_factory("detection_cvpr_2019")
        cfg.class_range = {c: (r if c == cls else v) for c, v in cfg.class_range.items()}
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
            ev = DetectionEval(nusc, cfg, str(folder / "results_nusc.json"), eval_set=SPLIT, output_dir=tmp,
                               verbose=False)
            metrics, _ = ev.evaluate()
        m = metrics.serialize()
        out[r] = {"ap": m["mean_dist_aps"][cls], "ap_by_threshold": m["label_aps"][cls]}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", type=Path, help="`anyscene detector eval` output folders")
    ap.add_argument("--class", dest="cls", default="car", help="detection class (car)")
    args = ap.parse_args(argv)
    for folder in args.folders:
        res = ap_by_range(folder, args.cls)
        print(folder.name + ": " + " | ".join(f"within {r} m AP {v['ap']:.3f}" for r, v in res.items()))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
