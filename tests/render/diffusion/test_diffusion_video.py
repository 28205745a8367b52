"""The renderer interface of `anyscene generate --renderer diffusion`: CameraFrames in, camera images out."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusion_helpers import TINY_LAYOUT, activate_new_layers

from anyscene.render.diffusion.build import tiny_random_pipeline
from anyscene.render.diffusion.renderer import DiffusionRenderer


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "pipeline"
    activate_new_layers(tiny_random_pipeline()).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def camera_stream(request):
    """Camera frames of the tiny layout at 64×36, 5 instants at 12 Hz, simulated by the
    sensor module; returns (cameras, frames per instant)."""
    from anyscene.layout import load_layout
    from anyscene.sensors import load_rig, render_camera
    from anyscene.sensors.raycast import WorldScene
    from anyscene.world import World

    tmp = request.getfixturevalue("tmp_path_factory").mktemp("layout")
    (tmp / "tiny.yaml").write_text(TINY_LAYOUT)
    world = World.compile(load_layout(tmp / "tiny.yaml")[0])
    rig = load_rig("nuscenes", (64, 36))
    scene = WorldScene(world)
    times = np.arange(5) / 12.0
    frames = [[render_camera(scene, cam, world.ego_pose(t), t) for cam in rig.cameras] for t in times]
    return rig.cameras, frames


def test_renders_camera_frames_streaming(weights, camera_stream):
    cameras, frames = camera_stream
    renderer = DiffusionRenderer.from_pretrained(weights, device="cpu", num_inference_steps=2, chunk_size=3,
                                                 overlap=1)
    consumed = []

    def stream():
        for i, f in enumerate(frames):
            consumed.append(i)
            yield f

    out = []
    for images in renderer.render_video(stream(), cameras, seed=3):
        out.append(images)
        if len(out) == 1:  # the first chunk (3 instants) is out before the rest of the stream is read
            assert consumed == [0, 1, 2]
    assert len(out) == 5 and all(len(row) == 6 for row in out)
    assert all(img.shape == (36, 64, 3) and img.dtype == np.uint8 for row in out for img in row)
    again = list(renderer.render_video(iter(frames), cameras, seed=3))
    assert all(np.array_equal(a, b) for ra, rb in zip(out, again) for a, b in zip(ra, rb))
    other = list(renderer.render_video(iter(frames), cameras, seed=4))
    assert not np.array_equal(out[0][0], other[0][0])


def test_images_come_from_the_pipeline(weights, camera_stream):
    """At the model's resolution the renderer returns exactly the pipeline's frames for the frames' conditions."""
    cameras, frames = camera_stream
    renderer = DiffusionRenderer.from_pretrained(weights, device="cpu", num_inference_steps=2, chunk_size=3,
                                                 overlap=1, prompt="night")
    got = np.stack([np.stack(row) for row in renderer.render_video(iter(frames), cameras, seed=0,
                                                                    native_size=False)])
    cond = np.stack([renderer.conditions(f) for f in frames])
    assert cond.shape == (5, 6, 20, 32, 64)
    want = renderer.pipeline(cond, cameras, prompt="night", num_inference_steps=2,
                             generator=torch.Generator().manual_seed(0), chunk_size=3, overlap=1).frames
    assert np.array_equal(got, want)


def test_mismatched_cameras_are_reported(weights, camera_stream):
    cameras, frames = camera_stream
    renderer = DiffusionRenderer.from_pretrained(weights, device="cpu", num_inference_steps=1, chunk_size=2,
                                                 overlap=0)
    with pytest.raises(ValueError, match="do not match"):
        list(renderer.render_video(iter(frames), cameras[::-1]))
