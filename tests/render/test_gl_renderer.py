"""The GL renderer: the environment reaches its images (night darker than noon, fog and rain differ), its
output is deterministic, and `anyscene generate` runs with it."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from anyscene.render.lighting import srgb_to_linear

ROOT = Path(__file__).resolve().parents[2]
Y = np.array([0.2126, 0.7152, 0.0722], np.float32)


@pytest.fixture(scope="module")
def urban():
    from anyscene.layout.yamlio import load_layout

    try:
        from anyscene.sensors.gl import shared_context

        shared_context()
    except RuntimeError as e:
        pytest.skip(str(e))
    return load_layout(ROOT / "layouts" / "urban_street.yaml")[0]


def _images(layout, hour: float, weather: str, t: float = 2.0):
    from anyscene.render.gl_renderer import GLRenderConfig, GLRenderer
    from anyscene.sensors.gl import GLWorldCameras
    from anyscene.sensors.raycast import WorldScene
    from anyscene.sensors.rig import load_rig
    from anyscene.world import World

    env = dataclasses.replace(layout.environment, time_of_day=hour, weather=weather)
    world = World.compile(dataclasses.replace(layout, environment=env))
    scene = WorldScene(world)
    rig = load_rig("nuscenes", (160, 90))
    maps = GLWorldCameras(scene)
    renderer = GLRenderer(world, rig.cameras, GLRenderConfig(), seed=layout.seed, scene=scene)
    ego = world.ego_pose(t)
    frames = [maps.render(c, ego, t) for c in rig.cameras]
    return [renderer.render(f, c) for f, c in zip(frames, rig.cameras)], renderer, frames, rig.cameras


def test_gl_renderer_follows_the_environment_and_is_deterministic(urban):
    noon, renderer, frames, cams = _images(urban, 12.0, "clear")
    night = _images(urban, 21.5, "clear")[0]
    fog = _images(urban, 10.0, "fog")[0]
    lum = lambda imgs: float(np.mean([(srgb_to_linear(i) @ Y).mean() for i in imgs]))  # noqa: E731
    assert lum(night) < 0.4 * lum(noon)
    assert all(i.shape == (90, 160, 3) and i.dtype == np.uint8 for i in noon)
    assert np.abs(fog[0].astype(int) - noon[0].astype(int)).mean() > 8
    again = [renderer.render(f, c) for f, c in zip(frames, cams)]
    assert all(np.array_equal(a, b) for a, b in zip(noon, again))
    # Sun shadows: the ground in shadow is darker than the sunlit ground.
    from anyscene.render.lighting import sun_shadow

    front = frames[0]
    shadow = sun_shadow(front, renderer.scene, renderer.style)
    road = front.semantic == 11
    y = srgb_to_linear(noon[0]) @ Y
    assert (road & (shadow > 0)).sum() > 20 and (road & (shadow == 0)).sum() > 20
    assert y[road & (shadow > 0)].mean() < 0.7 * y[road & (shadow == 0)].mean()


def test_generate_with_the_gl_renderer(tmp_path, urban):
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "export"))
    from export_scenes import TINY, write

    from anyscene.export.config import load_config
    from anyscene.export.dataset import generate_dataset

    layout = write(tmp_path / "tiny.yaml", TINY)
    cfg = load_config(overrides=["resolution=160x90", "camera_rate=2", "lidar_rate=2", "progress=false",
                                 "formats=[nuscenes]", "renderer=gl", "camera_backend=gl"])
    out = generate_dataset([layout], tmp_path / "data", cfg)
    jpgs = sorted(out.rglob("*.jpg"))
    assert len(jpgs) == 6 * 3
    from PIL import Image

    with Image.open(jpgs[0]) as im:
        assert im.size == (160, 90)
