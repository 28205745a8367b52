"""The default camera path: GL maps + GL renderer where a headless EGL context can be made, the raster
renderer on ray-cast maps otherwise (one line on stderr says so); the editor's previews are the pixels
`anyscene generate` makes."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_egl(monkeypatch):
    from anyscene.pipeline import sensors

    monkeypatch.setenv("ANYSCENE_NO_EGL", "1")
    monkeypatch.setattr(sensors, "_said", set())


def _has_gl() -> bool:
    from anyscene.pipeline.sensors import gl_available

    return gl_available() is None


def test_defaults_are_the_gl_path():
    from anyscene.export.config import load_config
    from anyscene.pipeline.config import StreamConfig

    c = load_config()
    assert (c.renderer, c.camera_backend) == ("gl", "gl")
    assert (StreamConfig().renderer, StreamConfig().camera_backend) == ("gl", "gl")
    assert c.renderer_config() is c.raster  # the registry entry's section is the renderer's config


def test_without_egl_the_raster_path_is_chosen_with_one_line(no_egl, capsys):
    from anyscene.pipeline.sensors import camera_path

    assert camera_path("gl", "gl") == ("raster", "raycast")
    assert camera_path("raster", "gl") == ("raster", "raycast")
    assert camera_path("gl", "raycast") == ("raster", "raycast")
    assert camera_path("raster", "raycast") == ("raster", "raycast")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(set(err)) == len(err) >= 1
    assert all("no headless OpenGL" in line and "ANYSCENE_NO_EGL" in line for line in err)
    camera_path("gl", "gl")
    assert capsys.readouterr().err == ""  # said once per process


def test_generate_falls_back_without_egl(tmp_path, no_egl, capsys):
    sys.path.insert(0, str(ROOT / "tests" / "export"))
    from export_scenes import TINY, write

    from anyscene.export.config import load_config
    from anyscene.export.dataset import generate_dataset

    layout = write(tmp_path / "tiny.yaml", TINY)
    cfg = load_config(overrides=["resolution=160x90", "camera_rate=2", "lidar_rate=2", "progress=false",
                                 "formats=[nuscenes]"])
    out = generate_dataset([layout], tmp_path / "data", cfg)
    assert (cfg.renderer, cfg.camera_backend) == ("raster", "raycast")
    assert len(sorted(out.rglob("*.jpg"))) == 6 * 3
    err = capsys.readouterr().err
    assert err.count("no headless OpenGL") == 1, err


def test_suite_without_egl_uses_the_raster_path(no_egl):
    from anyscene.layout.yamlio import load_layout
    from anyscene.pipeline.sensors import SensorSuite
    from anyscene.sensors.rig import load_rig
    from anyscene.world import World

    world = World.compile(load_layout(ROOT / "layouts" / "t_junction_left_turn.yaml")[0])
    suite = SensorSuite(world, load_rig("nuscenes", (64, 36)))
    assert (suite.config.renderer, suite.config.camera_backend) == ("raster", "raycast")
    img = suite.image(suite.rig.cameras[0], 1.0)
    assert img.shape == (36, 64, 3) and img.std() > 5


def test_previews_are_the_pixels_of_generate():
    if not _has_gl():
        pytest.skip("no EGL here: previews and generate both take the raster path")
    from anyscene.editor.preview import PreviewCache
    from anyscene.export.config import load_config
    from anyscene.layout.yamlio import load_layout
    from anyscene.pipeline.sensors import SensorSuite
    from anyscene.sensors.rig import load_rig
    from anyscene.world import World

    world = World.compile(load_layout(ROOT / "layouts" / "urban_street.yaml")[0])
    cache = PreviewCache()
    suite = SensorSuite(world, load_rig("nuscenes", (160, 90)), load_config().stream_config())
    assert suite.config.renderer == "gl"
    for cam in suite.rig.cameras[:2]:
        preview = cache.render(world, "map", 2.0, cam.channel, 160, 90)
        assert np.array_equal(preview, suite.image(cam, 2.0))
    # the instant's images through the stream are the same bytes
    frames = [suite.camera(c, 2.0) for c in suite.rig.cameras]
    _, _, images = next(suite.render_stream(iter([(0, 2_000_000, frames)])))
    assert np.array_equal(images[0], cache.render(world, "map", 2.0, suite.rig.cameras[0].channel, 160, 90))
