"""Import benchmark: `anyscene import nuscenes` of the real scene (../shared/nuscenes-real, scene-0916, 20 s)
with the background reconstruction, in a child process: wall time and peak resident memory (the goal: a 20 s
scene in ≤ 3 minutes on 2 cores, memory bounded). Skipped (recorded as such) when the real scene is absent."""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / ".." / "shared" / "nuscenes-real"


def run(background: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "anyscene.cli.main", "import", "nuscenes", str(REAL), "--version", "v1.0-real",
               "--scene", "scene-0916", "--out", str(Path(tmp) / "scene.yaml")]
        if not background:
            cmd.append("--no-background")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        t0 = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if proc.returncode != 0:
            raise RuntimeError(f"import failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
        npz = Path(tmp) / "scene.background.npz"
        return {"wall_s": round(wall, 2), "peak_rss_mib": round(max(peak, before) / 1024, 1),
                "background_mib": round(npz.stat().st_size / 2**20, 2) if npz.exists() else 0.0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("bench_import.json"))
    args = ap.parse_args(argv)
    if not (REAL / "v1.0-real" / "scene.json").exists():
        result = {"skipped": "the real nuScenes scene (../shared/nuscenes-real) is not available"}
    else:
        # Peak memory of children is the maximum over all children so far: measure the larger run last.
        result = {"scene": "scene-0916 (20 s, 41 LiDAR keyframes)", "cpus": len(os.sched_getaffinity(0)),
                  "without_background": run(False), "with_background": run(True), "goal_s": 180.0}
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
