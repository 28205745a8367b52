"""Generation benchmark: wall time and peak memory of `generate_dataset` for one scene, against the time the ray
engine alone needs for the same camera and LiDAR rays, written as JSON.

    .venv/bin/python tools/bench_generate.py --out bench_generate.json
        [--layout layouts/crowded_crossing.yaml] [--duration 30] [--resolutions 1600x900 800x450]

Goals (30 s of layouts/crowded_crossing.yaml, six cameras at 12 Hz, LiDAR at 20 Hz, labels at 2 Hz, at
1600×900): at most 8 minutes, and at most 1.5× the ray engine's time for the same rays. Generation runs in a
fresh subprocess (peak RSS from its own getrusage); the engine is timed in this process on every camera image
and LiDAR sweep of the scene: the agents' BVH built for each instant and the casts, with the rays set up
beforehand (their set-up time is reported separately). A last section compares the peak memory of a 5 s and a
20 s scene at 320×180: streaming generation keeps it flat.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUSIEST = ROOT / "layouts" / "crowded_crossing.yaml"
GOAL_S = 8 * 60
GOAL_RATIO = 1.5

_CHILD = """
import json, resource, sys, time
from anyscene.export import generate_dataset, load_config
layout, out, resolution, duration, workers = sys.argv[1:6]
config = load_config(options={"resolution": resolution, "duration": float(duration), "workers": int(workers),
                              "progress": False})
t0 = time.perf_counter()
generate_dataset([layout], out, config)
wall = time.perf_counter() - t0
print(json.dumps({"wall_s": wall, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _world(layout: Path, duration: float):
    import dataclasses

    from anyscene.layout import load_layout
    from anyscene.world import World

    lay, _ = load_layout(layout)
    return World.compile(dataclasses.replace(lay, duration=float(duration)))


def engine_time(layout: Path, resolution: tuple[int, int], duration: float) -> dict:
    """Seconds the ray engine alone needs for every camera and LiDAR ray of the scene (see the module doc)."""
    import numpy as np

    from anyscene.export.config import load_config
    from anyscene.pipeline.timeline import regular_timeline, seconds
    from anyscene.sensors.camera import image_rays
    from anyscene.sensors.lidar import lidar_rays
    from anyscene.sensors.raycast import WorldScene
    from anyscene.sensors.rig import load_rig

    cfg = load_config()
    world = _world(layout, duration)
    rig = load_rig(cfg.rig, resolution)
    tl = regular_timeline(world.duration, cfg.camera_rate, cfg.lidar_rate, cfg.keyframe_rate, world.layout.name)
    t0 = time.perf_counter()
    scene = WorldScene(world)
    static_s = time.perf_counter() - t0
    cast_s = setup_s = 0.0
    n_rays = 0
    for us, cams_fired, lidar_i, _radar in tl.events:
        t = seconds(us)
        ego = world.ego_pose(t)
        t0 = time.perf_counter()
        rays = []
        rays += [np.ascontiguousarray(image_rays(rig.cameras[c], ego).reshape(-1, 6)) for c, _j in cams_fired]
        if lidar_i >= 0:
            rays.append(np.ascontiguousarray(lidar_rays(rig.lidar, ego)))
        setup_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        snapshot = scene.snapshot(t)
        for r in rays:
            snapshot.cast(r)
        cast_s += time.perf_counter() - t0
        n_rays += sum(r.shape[0] for r in rays)
    return {"engine_s": cast_s, "ray_setup_s": setup_s, "static_bvh_s": static_s, "rays": n_rays,
            "camera_instants": tl.n_camera_instants, "lidar_sweeps": int(len(tl.lidar)),
            "keyframes": int(len(tl.keyframes)), "rays_per_s": n_rays / cast_s if cast_s else None}


def generate_time(layout: Path, resolution: tuple[int, int], duration: float, workers: int = 2) -> dict:
    """Wall time (s) and peak RSS (MiB) of generating the dataset in a fresh process, and its size on disk."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "data"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(layout), str(out), f"{resolution[0]}x{resolution[1]}",
                               str(duration), str(workers)], cwd=ROOT, capture_output=True, text=True)
        total = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"generation failed ({proc.returncode}): {proc.stderr[-3000:]}")
        child = json.loads(proc.stdout.strip().splitlines()[-1])
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"generate_s": child["wall_s"], "process_s": total, "peak_rss_mb": child["peak_rss_mb"],
            "dataset_mb": size / 2**20}


def bench_generate(layout: str | Path = BUSIEST, resolution: tuple[int, int] = (1600, 900), duration: float = 30.0,
                   workers: int = 2) -> dict:
    """Generation against the ray engine for one scene; see the module docstring."""
    layout = Path(layout)
    engine = engine_time(layout, tuple(resolution), duration)
    gen = generate_time(layout, tuple(resolution), duration, workers)
    ratio = gen["generate_s"] / engine["engine_s"]
    return {"layout": str(layout.relative_to(ROOT) if layout.is_relative_to(ROOT) else layout),
            "resolution": list(resolution), "duration_s": duration, "workers": workers, **engine, **gen,
            "generate_over_engine": ratio, "goal_s": GOAL_S, "goal_ratio": GOAL_RATIO,
            "meets_time_goal": gen["generate_s"] <= GOAL_S, "meets_ratio_goal": ratio <= GOAL_RATIO}


def bench_streaming(layout: str | Path = BUSIEST, resolution: tuple[int, int] = (320, 180),
                    durations: tuple[float, float] = (5.0, 20.0), workers: int = 2) -> dict:
    """Peak RSS of a short and a 4× longer generation at a low resolution: streaming keeps them close."""
    runs = {f"{d:g}s": generate_time(Path(layout), resolution, d, workers) for d in durations}
    short, long = (runs[f"{d:g}s"]["peak_rss_mb"] for d in durations)
    return {"resolution": list(resolution), "runs": runs, "peak_rss_growth": long / short}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("bench_generate.json"))
    ap.add_argument("--layout", type=Path, default=BUSIEST)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--resolutions", nargs="+", default=["1600x900", "800x450"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-streaming", action="store_true", help="skip the memory-growth runs")
    args = ap.parse_args(argv)
    import os

    result = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "runs": []}
    for res in args.resolutions:
        w, h = (int(v) for v in res.lower().split("x"))
        print(f"== {res}", file=sys.stderr, flush=True)
        result["runs"].append(bench_generate(args.layout, (w, h), args.duration, args.workers))
        args.out.write_text(json.dumps(result, indent=2))
    if not args.no_streaming:
        print("== streaming", file=sys.stderr, flush=True)
        result["streaming"] = bench_streaming(args.layout, workers=args.workers)
        args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
