"""Diffusion renderer benchmarks: sampling time per 6-view frame at given step counts and resolution, and peak
GPU memory of long videos (chunked generation keeps it constant in the video's length).

    python tools/bench_diffusion.py --device cpu --out bench_diffusion.json            # tiny model, CPU
    python tools/bench_diffusion.py --device cuda --model sd15 --height 128 --width 224 \
        --steps 4 8 25 50 --frames 360 --dtype float16 --out bench_diffusion_gpu.json  # SD1.5-size model, GPU
    python tools/bench_diffusion.py --device cuda --weights RUN/pipeline ...           # trained weights

Timings exclude a warm-up chunk. Memory: torch.cuda.max_memory_allocated over the whole generation, for a short
and a long video; on the CPU the process's peak resident memory is reported instead.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _pipeline(model: str, weights: str | None, height: int, width: int, device: str, dtype):
    import torch

    from anyscene.render.diffusion.build import sd15_architecture_pipeline, tiny_random_pipeline
    from anyscene.render.diffusion.renderer import load_pipeline

    if weights:
        return load_pipeline(weights, device=device, dtype=dtype)
    if model == "sd15":
        pipe = sd15_architecture_pipeline(height=height, width=width, torch_dtype=dtype)
    else:
        pipe = tiny_random_pipeline(height=height, width=width)
        if dtype != torch.float32:
            pipe.to(dtype=dtype)
    return pipe.to(device)


def _inputs(frames: int, views: int, height: int, width: int):
    """Condition maps of a plausible street (ground below the horizon, sky above, a car) and the nuScenes rig."""
    import numpy as np

    from anyscene.render.diffusion.conditions import encode_maps
    from anyscene.sensors import load_rig

    rig = load_rig("nuscenes", (width, height))
    cams = list(rig.cameras)[:views]
    sem = np.full((height, width), 17, np.uint8)
    sem[height // 2:] = 11
    depth = np.zeros((height, width), np.float32)
    rows = np.arange(height // 2, height)
    depth[height // 2:] = (1.5 * width / (rows - height / 2 + 0.5))[:, None]
    inst = np.zeros((height, width), np.uint16)

    def frame(t: int):
        s, d, i = sem.copy(), depth.copy(), inst.copy()
        x0 = (t * 2) % max(width - width // 4, 1)
        s[height // 2 - height // 8:height // 2 + height // 8, x0:x0 + width // 4] = 4
        i[height // 2 - height // 8:height // 2 + height // 8, x0:x0 + width // 4] = 1
        return np.stack([encode_maps(s, d, i, height, width)] * views)

    return (frame(t) for t in range(frames)), cams


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def bench_sampling(pipe, steps: int, frames: int, views: int, height: int, width: int, device: str,
                   chunk_size: int, overlap: int) -> dict:
    """Seconds per generated 6-view frame (all views of one instant) at `steps` sampling steps."""
    import torch

    cond, cams = _inputs(chunk_size, views, height, width)
    pipe(list(cond), cams, num_inference_steps=steps, generator=torch.Generator().manual_seed(0),
         chunk_size=chunk_size, overlap=overlap)  # warm-up chunk
    cond, cams = _inputs(frames, views, height, width)
    _sync(device)
    t0 = time.perf_counter()
    pipe(cond, cams, num_inference_steps=steps, generator=torch.Generator().manual_seed(0), chunk_size=chunk_size,
         overlap=overlap)
    _sync(device)
    dt = time.perf_counter() - t0
    return {"steps": steps, "frames": frames, "views": views, "seconds": round(dt, 3),
            "seconds_per_frame": round(dt / frames, 4)}


def bench_long_video(pipe, frames: int, views: int, height: int, width: int, device: str, chunk_size: int,
                     overlap: int, steps: int) -> dict:
    """Peak memory while generating `frames` frames in chunks (frames are decoded and handed back per chunk)."""
    import torch

    cond, cams = _inputs(frames, views, height, width)
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    out = pipe(cond, cams, num_inference_steps=steps, generator=torch.Generator().manual_seed(0),
               chunk_size=chunk_size, overlap=overlap)
    _sync(device)
    rec = {"frames": frames, "views": views, "steps": steps, "seconds": round(time.perf_counter() - t0, 3),
           "output_shape": list(out.frames.shape)}
    if device.startswith("cuda"):
        rec["peak_gpu_bytes"] = int(torch.cuda.max_memory_allocated())
    else:
        rec["peak_rss_bytes"] = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return rec


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--model", choices=("tiny", "sd15"), default="tiny",
                   help="random weights in the tiny or the Stable Diffusion 1.5 architecture")
    p.add_argument("--weights", default=None, help="a trained pipeline folder instead of random weights")
    p.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32")
    p.add_argument("--height", type=int, default=32)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--views", type=int, default=6)
    p.add_argument("--steps", type=int, nargs="+", default=[4, 25], help="sampling steps to time")
    p.add_argument("--timed-frames", type=int, default=8, help="frames generated per timing")
    p.add_argument("--frames", type=int, default=24, help="frames of the long video (360 = 30 s at 12 Hz)")
    p.add_argument("--short-frames", type=int, default=None, help="frames of the short video (chunk size)")
    p.add_argument("--memory-steps", type=int, default=4, help="sampling steps of the memory runs")
    p.add_argument("--chunk-size", type=int, default=8)
    p.add_argument("--overlap", type=int, default=2)
    p.add_argument("--out", type=Path, default=None, help="JSON file to write (default: stdout only)")
    a = p.parse_args(argv)

    import torch

    dtype = getattr(torch, a.dtype)
    if a.device == "cpu":
        torch.set_num_threads(max(1, torch.get_num_threads()))
    pipe = _pipeline(a.model, a.weights, a.height, a.width, a.device, dtype)
    result = {
        "device": a.device if not a.device.startswith("cuda") else torch.cuda.get_device_name(a.device),
        "model": a.weights or a.model, "dtype": a.dtype, "height": a.height, "width": a.width, "views": a.views,
        "chunk_size": a.chunk_size, "overlap": a.overlap, "torch": torch.__version__,
        "python": platform.python_version(),
        "sampling": [bench_sampling(pipe, s, a.timed_frames, a.views, a.height, a.width, a.device, a.chunk_size,
                                    a.overlap) for s in a.steps],
    }
    short = a.short_frames or a.chunk_size
    result["long_video"] = [bench_long_video(pipe, n, a.views, a.height, a.width, a.device, a.chunk_size, a.overlap,
                                             a.memory_steps) for n in (short, a.frames)]
    if a.device.startswith("cuda"):
        mem = [r["peak_gpu_bytes"] for r in result["long_video"]]
        result["memory_ratio_long_over_short"] = round(mem[1] / mem[0], 4)
    text = json.dumps(result, indent=2)
    print(text)
    if a.out:
        a.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
