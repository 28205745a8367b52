"""Render the same scene under several environments (time of day, weather) on the default camera path, tiled
like tools/render_examples.py, for docs/images/env_*.jpg.

    python tools/render_environments.py                          # urban_street at t = 2 s, 400x225 per camera
    python tools/render_environments.py layouts/four_way_intersection.yaml --t 6 --size 800x450 --out /tmp/env
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (file stem, time of day h, weather)
ENVIRONMENTS = (("noon", 12.0, "clear"), ("dusk", 18.6, "clear"), ("night", 21.5, "clear"),
                ("fog", 10.0, "fog"), ("rain", 15.0, "rain"))


def render_environment(layout, t: float, size, time_of_day: float, weather: str, config=None,
                       renderer: str = "gl") -> dict:
    """RGB images by channel of every nuScenes rig camera at scene time t, the layout's environment replaced,
    through the SensorSuite (the default camera path unless `renderer` says otherwise)."""
    from anyscene.pipeline.config import StreamConfig
    from anyscene.pipeline.sensors import SensorSuite
    from anyscene.render.raster_renderer import RasterConfig
    from anyscene.sensors.rig import load_rig
    from anyscene.world import World

    env = dataclasses.replace(layout.environment, time_of_day=time_of_day, weather=weather)
    world = World.compile(dataclasses.replace(layout, environment=env))
    rig = load_rig("nuscenes", size)
    stream = StreamConfig(renderer=renderer, renderer_config=config or RasterConfig(),
                          camera_backend="gl" if renderer == "gl" else "raycast", workers=1)
    suite = SensorSuite(world, rig, stream)
    return {c.channel: suite.image(c, t) for c in rig.cameras}


def main(argv=None) -> int:
    from PIL import Image

    from anyscene.layout.yamlio import load_layout
    from tools.render_examples import tile

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("layout", nargs="?", default=str(ROOT / "layouts" / "urban_street.yaml"))
    ap.add_argument("--t", type=float, default=2.0, help="scene time, s")
    ap.add_argument("--size", default="400x225", help="per-camera WxH")
    ap.add_argument("--out", default=str(ROOT / "docs" / "images"), help="folder for env_<name>.jpg")
    ap.add_argument("--only", nargs="*", help="names of ENVIRONMENTS to render")
    ap.add_argument("--renderer", default="gl", help="renderer: gl (default camera path) or raster")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    layout, _ = load_layout(args.layout)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, hour, weather in ENVIRONMENTS:
        if args.only and name not in args.only:
            continue
        images = render_environment(layout, args.t, (w, h), hour, weather, renderer=args.renderer)
        mosaic = tile(images)
        Image.fromarray(mosaic).save(out / f"env_{name}.jpg", quality=88)
        lum = float(np.mean(mosaic.astype(np.float64) @ [0.2126, 0.7152, 0.0722]))
        print(f"{name}: time {hour} h, {weather}: mean luma {lum:.1f} -> {out / f'env_{name}.jpg'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
