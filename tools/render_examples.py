"""Render the six cameras of a rig on the default camera path (GL maps + GL renderer, or --renderer raster)
through the SensorSuite for example layouts and save them tiled, for the README (docs/images/).

    python tools/render_examples.py                                   # the default examples
    python tools/render_examples.py layouts/urban_street.yaml --t 2.0 --time-of-day 17.5
    python tools/render_examples.py --bench bench_render.json         # also time maps and RGB, write JSON

Each image is 3 × 2 tiles (front-left, front, front-right over back-left, back, back-right), every camera at
--size, with sun shadows. The benchmark times the camera maps and the RGB per camera (median of --repeat runs,
wall-clock seconds) at the rig's full resolution.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (layout, scene time s, time of day h or None for the style's default)
DEFAULT_EXAMPLES = (("layouts/urban_street.yaml", 2.0, 10.0), ("layouts/four_way_intersection.yaml", 6.0, 15.5))
TILE_ORDER = ("CAM_FRONT_LEFT", "CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_BACK_LEFT", "CAM_BACK", "CAM_BACK_RIGHT")


def suite_for(layout, rig, renderer: str = "gl", style=None, shadows: bool = True, hour=None):
    """The SensorSuite of `layout` (its time of day set to `hour` where given) with `renderer` on the default
    camera path, noise-free settings otherwise as generate's defaults."""
    import dataclasses

    from anyscene.pipeline.config import StreamConfig
    from anyscene.pipeline.sensors import SensorSuite
    from anyscene.render.raster_renderer import RasterConfig
    from anyscene.world import World

    if hour is not None:
        layout = dataclasses.replace(layout, environment=dataclasses.replace(layout.environment, time_of_day=hour))
    config = StreamConfig(renderer=renderer, renderer_config=RasterConfig(style=style, shadows=shadows),
                          camera_backend="gl" if renderer == "gl" else "raycast", workers=1)
    return SensorSuite(World.compile(layout), rig, config)


def render_rig(suite, t: float) -> dict:
    """RGB images (H, W, 3) uint8 by channel of every camera of the suite's rig at scene time t."""
    return {cam.channel: suite.image(cam, t) for cam in suite.rig.cameras}


def tile(images: dict, label: bool = True) -> np.ndarray:
    """The six camera images as one (2H, 3W, 3) uint8 mosaic, channel names in the corners."""
    from PIL import Image, ImageDraw

    rows = []
    for r in range(2):
        row = []
        for name in TILE_ORDER[3 * r:3 * r + 3]:
            img = Image.fromarray(images[name])
            if label:
                d = ImageDraw.Draw(img)
                d.rectangle((4, 4, 8 + 7 * len(name), 20), fill=(0, 0, 0))
                d.text((7, 6), name, fill=(255, 255, 255))
            row.append(np.asarray(img))
        rows.append(np.concatenate(row, axis=1))
    return np.concatenate(rows, axis=0)


def bench(suite, t: float, repeat: int) -> dict:
    """Median seconds per camera of its camera maps and its RGB, at the rig's resolution."""
    rows = {}
    renderer = suite.renderer()
    for cam in suite.rig.cameras:
        renderer.render(suite.camera(cam, t), cam)  # warm
        times = {"maps": [], "rgb": []}
        for _ in range(repeat):
            t0 = time.perf_counter()
            frame = suite.camera(cam, t)
            t1 = time.perf_counter()
            renderer.render(frame, cam)
            t2 = time.perf_counter()
            times["maps"].append(t1 - t0)
            times["rgb"].append(t2 - t1)
        rows[cam.channel] = {k: float(np.median(v)) for k, v in times.items()}
    return {"width": suite.rig.cameras[0].width, "height": suite.rig.cameras[0].height, "repeat": repeat,
            "renderer": suite.config.renderer, "cameras": rows,
            "rgb_median_s": float(np.median([r["rgb"] for r in rows.values()])),
            "maps_median_s": float(np.median([r["maps"] for r in rows.values()]))}


def main(argv=None) -> int:
    from PIL import Image

    from anyscene.layout import load_layout
    from anyscene.sensors.rig import load_rig

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("layouts", nargs="*", help="layout files (default: two examples at chosen times)")
    ap.add_argument("--t", type=float, default=None, help="scene time in seconds (default per example, else 2)")
    ap.add_argument("--time-of-day", type=float, default=None, help="hours; default per example or the style's")
    ap.add_argument("--size", default="800x450", help="camera resolution WxH (default 800x450)")
    ap.add_argument("--rig", default="nuscenes", help="rig name or file (default nuscenes)")
    ap.add_argument("--style", default=None, help="raster style name or file (default configs/render/raster.yaml)")
    ap.add_argument("--renderer", default="gl", help="renderer: gl (default camera path) or raster")
    ap.add_argument("--out", default=str(ROOT / "docs" / "images"), help="output folder")
    ap.add_argument("--format", default="jpg", choices=("jpg", "png"), help="image format (default jpg)")
    ap.add_argument("--no-shadows", action="store_true", help="skip the sun shadow rays")
    ap.add_argument("--bench", default=None, help="also time the renderer at full resolution; write JSON here")
    ap.add_argument("--repeat", type=int, default=3, help="benchmark repetitions (default 3)")
    args = ap.parse_args(argv)

    examples = [(p, args.t if args.t is not None else 2.0, args.time_of_day) for p in args.layouts] or [
        (ROOT / p, args.t if args.t is not None else t, args.time_of_day if args.time_of_day is not None else h)
        for p, t, h in DEFAULT_EXAMPLES]
    w, h = (int(v) for v in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {}
    for path, t, hour in examples:
        layout, _ = load_layout(path)
        suite = suite_for(layout, load_rig(args.rig, (w, h)), args.renderer, args.style, not args.no_shadows, hour)
        images = render_rig(suite, t)
        name = out / f"raster_{Path(path).stem}.{args.format}"
        img = Image.fromarray(tile(images))
        img.save(name, quality=88) if args.format == "jpg" else img.save(name, optimize=True)
        print(f"{name}  ({name.stat().st_size // 1024} KB, t = {t} s, time of day {hour} h)")
        if args.bench:
            full = suite_for(layout, load_rig(args.rig), args.renderer, args.style, not args.no_shadows, hour)
            report[Path(path).stem] = bench(full, t, args.repeat)
    if args.bench:
        Path(args.bench).write_text(json.dumps(report, indent=2))
        print(f"benchmark: {args.bench}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
