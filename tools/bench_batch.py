"""Benchmark of `anyscene batch`: scenes per hour for procedural 10 s scenes at 800×450 with 1 and 2 local
worker processes and with Ray on this machine, and the scaling ratios.

    python tools/bench_batch.py --out bench_batch.json [--scenes 2] [--duration 10] [--resolution 800x450]

`bench_batch(...) -> dict` is what tools/bench.py calls. The layouts are sampled once (configs/sampler/
quick.yaml) and the same files are generated in every mode, each into a fresh output folder.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _batch_yaml(layouts: Path, duration: float, resolution: str, formats: list[str] | None) -> str:
    fmt = f"  formats: [{', '.join(formats)}]\n" if formats else ""
    return (f"source:\n  layouts: {layouts}\n"
            f"generate:\n  resolution: {resolution}\n  duration: {duration}\n  workers: 1\n{fmt}"
            f"version: v1.0-bench\nval_fraction: 0.25\n")


def bench_batch(scenes: int = 2, duration: float = 10.0, resolution: str = "800x450", workers=(1, 2),
                ray: bool = True, seed: int = 0, formats: list[str] | None = None,
                sampler_config: str | Path = ROOT / "configs" / "sampler" / "quick.yaml",
                work_dir: str | Path | None = None) -> dict:
    """Generate the same `scenes` procedural scenes with each local worker count and (if installed) with Ray
    (a local instance with max(workers) CPUs); return timings, scenes per hour and scaling ratios. The data is
    written under `work_dir` (kept), or a temporary folder removed at the end."""
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="anyscene-bench-batch-") as tmp:
            result = bench_batch(scenes, duration, resolution, workers, ray, seed, formats, sampler_config, tmp)
        result["work_dir"] = None
        return result
    from anyscene.batch.config import load_batch_config
    from anyscene.batch.runner import run_batch
    from anyscene.procgen.sampler import sample_to_dir
    from anyscene.procgen.config import load_sampler_config

    tmp = Path(work_dir)
    tmp.mkdir(parents=True, exist_ok=True)
    scfg = load_sampler_config(sampler_config, [f"duration={duration}"], {"seed": seed})
    t0 = time.time()
    stats = sample_to_dir(scfg, scenes, tmp / "layouts", overwrite=True)
    sample_s = time.time() - t0
    cfg_path = tmp / "batch.yaml"
    cfg_path.write_text(_batch_yaml(tmp / "layouts", duration, resolution, formats))
    modes = [(f"local_{w}", None, w) for w in workers]
    if ray:
        try:
            import ray as _ray  # noqa: F401
            modes.append(("ray_local", "local", max(workers)))
        except ImportError:
            pass
    runs = {}
    for name, address, w in modes:
        overrides = [f"ray.num_cpus={w}"] if address else []
        t = time.time()
        report = run_batch(load_batch_config(cfg_path, overrides), tmp / name, ray=address, workers=w,
                           overwrite=True, progress=False)
        wall = time.time() - t
        manifest = json.loads((tmp / name / "manifest.json").read_text())
        per_scene = [s["seconds"] for s in manifest["scenes"] if s["status"] == "done"]
        runs[name] = {
            "workers": w, "backend": "ray" if address else "local", "wall_s": round(wall, 2),
            "scenes_done": len(per_scene), "failed": sorted(report.failed),
            "scene_s_mean": round(sum(per_scene) / max(len(per_scene), 1), 2),
            "scenes_per_hour": round(len(per_scene) / wall * 3600.0, 2) if wall > 0 else None,
        }
    sph = {k: v["scenes_per_hour"] for k, v in runs.items()}
    lo, hi = f"local_{min(workers)}", f"local_{max(workers)}"
    result = {
        "benchmark": "batch_scenes_per_hour",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "scenes": scenes, "duration_s": duration, "resolution": resolution, "formats": formats or "all",
        "sampling_s": round(sample_s, 2), "templates": sorted({s.template for s in stats}),
        "runs": runs,
        "scaling_local": round(sph[hi] / sph[lo], 3) if sph.get(lo) and sph.get(hi) else None,
        "scaling_ray": round(sph["ray_local"] / sph[lo], 3) if sph.get("ray_local") and sph.get(lo) else None,
        "ray_vs_local": round(sph["ray_local"] / sph[hi], 3) if sph.get("ray_local") and sph.get(hi) else None,
        "work_dir": str(tmp),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("bench_batch.json"), help="JSON result file")
    ap.add_argument("--scenes", type=int, default=2, help="scenes per mode (2)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per scene (10)")
    ap.add_argument("--resolution", default="800x450", help="camera resolution (800x450)")
    ap.add_argument("--formats", default=None, help="comma-separated subset of the generation formats (all)")
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray run")
    ap.add_argument("--work-dir", type=Path, default=None, help="keep the generated data here")
    args = ap.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",")] if args.formats else None
    result = bench_batch(args.scenes, args.duration, args.resolution, ray=not args.no_ray, formats=formats,
                         work_dir=args.work_dir)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
