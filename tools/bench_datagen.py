"""Benchmark of LiDAR-only training data: keyframes per second from the `nuscenes_like` sampler through
`anyscene batch` (sensors: [lidar]; keyframes at 2 Hz, sweeps at 20 Hz, as nuScenes), on local processes.

    python tools/bench_datagen.py --out bench_datagen.json [--keyframes 2000] [--workers 2] [--duration 20]

The goal (docs/batch.md): 2,000 keyframes in at most 15 minutes on 2 cores. The scene count is the smallest
that gives `--keyframes` keyframes at `--duration` s per scene; sampling runs inside the batch's workers, so the
wall time covers sampler, simulation, writing and the merge. Nothing is extrapolated: the figures are those of
the run made. `bench_datagen(...) -> dict` is what tools/bench.py calls (through `main`).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_KEYFRAMES, TARGET_S = 2000, 15 * 60


def _batch_yaml(n: int, duration: float, seed: int, formats: list[str]) -> str:
    return (f"source:\n  sampler:\n    config: nuscenes_like\n    n: {n}\n    seed: {seed}\n"
            f"    overrides: [\"duration={duration:g}\"]\n"
            f"generate:\n  workers: 1\n  lidar_rate: 20.0\n  keyframe_rate: 2.0\n  formats: [{', '.join(formats)}]\n"
            f"sensors: [lidar]\nversion: v1.0-bench\nval_fraction: 0.2\n")


def bench_datagen(keyframes: int = TARGET_KEYFRAMES, workers: int = 2, duration: float = 20.0, seed: int = 0,
                  formats: tuple[str, ...] = ("nuscenes", "lidarseg", "infos"), work_dir: str | Path | None = None
                  ) -> dict:
    """Generate at least `keyframes` LiDAR-only keyframes with `workers` local processes; return the timings."""
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="anyscene-bench-datagen-") as tmp:
            return {**bench_datagen(keyframes, workers, duration, seed, formats, tmp), "work_dir": None}
    from anyscene.batch.config import load_batch_config
    from anyscene.batch.runner import run_batch

    tmp = Path(work_dir)
    tmp.mkdir(parents=True, exist_ok=True)
    per_scene = int(math.floor(duration * 2.0 + 1e-9)) + 1
    n = max(1, math.ceil(keyframes / per_scene))
    cfg_path = tmp / "batch.yaml"
    cfg_path.write_text(_batch_yaml(n, duration, seed, list(formats)))
    t0 = time.perf_counter()
    report = run_batch(load_batch_config(cfg_path), tmp / "data", workers=workers, overwrite=True, progress=False)
    wall = time.perf_counter() - t0
    root = tmp / "data"
    samples = json.loads((root / "v1.0-bench" / "sample.json").read_text())
    sweeps = sum(1 for sd in json.loads((root / "v1.0-bench" / "sample_data.json").read_text()))
    anns = json.loads((root / "v1.0-bench" / "sample_annotation.json").read_text())
    manifest = json.loads((root / "manifest.json").read_text())
    done = [s for s in manifest["scenes"] if s["status"] == "done"]
    channels = sorted(p.name for p in (root / "samples").iterdir())
    return {
        "benchmark": "datagen_lidar_only_keyframes_per_second",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_avg_1min_at_start": os.getloadavg()[0]},
        "sampler": "nuscenes_like", "sensors": ["lidar"], "formats": list(formats), "workers": workers,
        "scenes": n, "scenes_done": len(done), "failed": sorted(report.failed), "duration_s": duration,
        "keyframes": len(samples), "lidar_sweeps": sweeps, "annotations": len(anns),
        "annotations_with_points": sum(1 for a in anns if a["num_lidar_pts"] > 0), "channels_written": channels,
        "wall_s": round(wall, 1), "keyframes_per_s": round(len(samples) / wall, 3) if wall > 0 else None,
        "sweeps_per_s": round(sweeps / wall, 2) if wall > 0 else None,
        "scene_s_mean": round(sum(s["seconds"] for s in done) / max(len(done), 1), 1),
        "goal": {"keyframes": TARGET_KEYFRAMES, "seconds": TARGET_S, "workers": 2,
                 "met": bool(len(samples) >= TARGET_KEYFRAMES and wall <= TARGET_S and workers <= 2)},
        "work_dir": str(tmp),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("bench_datagen.json"), help="JSON result file")
    ap.add_argument("--keyframes", type=int, default=TARGET_KEYFRAMES, help="keyframes to generate (2000)")
    ap.add_argument("--workers", type=int, default=2, help="local scene processes (2)")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per scene (20: 41 keyframes)")
    ap.add_argument("--formats", default="nuscenes,lidarseg,infos", help="generation formats (nuscenes,lidarseg,infos)")
    ap.add_argument("--work-dir", type=Path, default=None, help="keep the generated data here")
    args = ap.parse_args(argv)
    result = bench_datagen(args.keyframes, args.workers, args.duration,
                           formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
                           work_dir=args.work_dir)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
