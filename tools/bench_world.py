"""Occupancy benchmarks: frames per second at the default grid (one process) and peak memory of streaming
60 s of frames versus 10 s. Run through `make bench` or `python tools/bench_world.py --out FILE`."""
from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUSIEST = ROOT / "layouts" / "crowded_crossing.yaml"


def _world(layout_path: Path, duration: float | None = None):
    from anyscene.layout import load_layout
    from anyscene.world import World

    layout, _ = load_layout(layout_path)
    if duration is not None:
        layout = dataclasses.replace(layout, duration=duration)
    return World.compile(layout)


def bench_frames(layout_path: Path = BUSIEST, rate: float = 10.0, repeats: int = 5) -> dict:
    """Occupancy frames per second (semantics, instances and flow) at the default 200×200×16 grid."""
    from anyscene.world import frame_times

    world = _world(layout_path)
    times = frame_times(world.duration, rate)
    world.frame(0.0)  # warm the per-grid caches
    fps = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _f in world.frames(times):
            pass
        fps.append(len(times) / (time.perf_counter() - t0))
    n_agents = len(world.agents)
    return {"layout": layout_path.name, "agents": n_agents, "frames_per_run": len(times),
            "fps_median": statistics.median(fps), "fps_runs": fps, "goal_fps": 150}


def _stream_peak_rss(layout_path: Path, duration: float, rate: float) -> int:
    """Peak RSS (KiB) of a fresh process streaming `duration` seconds of frames."""
    code = (
        "import sys, resource\n"
        "sys.path.insert(0, %r)\n"
        "from bench_world import _world\n"
        "from anyscene.world import frame_times\n"
        "w = _world(__import__('pathlib').Path(%r), %r)\n"
        "n = 0\n"
        "for f in w.frames(frame_times(w.duration, %r)):\n"
        "    n += int(f.semantics[0, 0, 0])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    ) % (str(Path(__file__).parent), str(layout_path), duration, rate)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1])


def bench_memory(layout_path: Path = BUSIEST, rate: float = 10.0) -> dict:
    """Peak memory of streaming 60 s of frames versus 10 s (goal: ratio ≤ 1.2)."""
    short = _stream_peak_rss(layout_path, 10.0, rate)
    long = _stream_peak_rss(layout_path, 60.0, rate)
    return {"layout": layout_path.name, "rate_hz": rate, "peak_rss_10s_mib": short / 1024,
            "peak_rss_60s_mib": long / 1024, "ratio": long / short, "goal_ratio": 1.2}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--layout", type=Path, default=BUSIEST)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    result = {"occupancy_fps": bench_frames(args.layout), "occupancy_memory": bench_memory(args.layout)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
