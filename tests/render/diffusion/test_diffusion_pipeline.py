"""The multi-view video pipeline: shapes, view and time dependence, determinism, saving, chunking, samplers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusion_helpers import activate_new_layers, random_conditions

from anyscene.errors import ConfigError
from anyscene.render.diffusion.build import tiny_random_pipeline
from anyscene.render.diffusion.schedulers import make_scheduler
from anyscene.render.diffusion.renderer import check_weights_folder, load_pipeline


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def active_pipe():
    """A tiny pipeline whose new layers have (random) weights, as after training."""
    return activate_new_layers(tiny_random_pipeline())


def test_output_shapes_six_views(rig6, active_pipe):
    cond = random_conditions(3, 6)
    out = active_pipe(cond, rig6, num_inference_steps=2, generator=_gen(), chunk_size=3, overlap=1)
    assert out.frames.shape == (3, 6, 32, 64, 3) and out.frames.dtype == np.uint8
    assert out.context.latents.shape == (1, 6, 4, 8, 16)
    lat = active_pipe(cond, rig6, num_inference_steps=2, generator=_gen(), chunk_size=3, overlap=1,
                      output_type="latent").frames
    assert tuple(lat.shape) == (3, 6, 4, 8, 16)


def _view0(pipe, rig, cond):
    return pipe(cond, rig, num_inference_steps=2, generator=_gen(), chunk_size=2, overlap=0).frames[:, 0]


def test_cross_view_attention_couples_neighbours(rig6, active_pipe):
    """View 1 (CAM_FRONT_RIGHT) is a rig neighbour of view 0 (CAM_FRONT)."""
    cond = random_conditions(2, 6)
    other = cond.clone()
    other[:, 1] = random_conditions(2, 1, seed=7)[:, 0]
    assert not np.array_equal(_view0(active_pipe, rig6, cond), _view0(active_pipe, rig6, other))
    off = activate_new_layers(tiny_random_pipeline(cross_view=False))
    assert np.array_equal(_view0(off, rig6, cond), _view0(off, rig6, other))


def test_temporal_attention_is_causal(rig6, active_pipe):
    cond = random_conditions(3, 2)
    other = cond.clone()
    other[2] = random_conditions(1, 2, seed=5)[0]
    kw = dict(num_inference_steps=2, chunk_size=3, overlap=0, output_type="latent")
    a = active_pipe(cond, rig6[:2], generator=_gen(), **kw).frames
    b = active_pipe(other, rig6[:2], generator=_gen(), **kw).frames
    assert torch.equal(a[:2], b[:2])  # frames 0 and 1 do not see frame 2
    assert not torch.equal(a[2], b[2])
    # ... while a later frame does see an earlier one
    early = cond.clone()
    early[0] = random_conditions(1, 2, seed=6)[0]
    c = active_pipe(early, rig6[:2], generator=_gen(), **kw).frames
    assert not torch.equal(a[2], c[2])


def test_seeded_determinism(rig6, active_pipe):
    cond = random_conditions(2, 6)
    a = active_pipe(cond, rig6, num_inference_steps=2, generator=_gen(3), chunk_size=2, overlap=1).frames
    b = active_pipe(cond, rig6, num_inference_steps=2, generator=_gen(3), chunk_size=2, overlap=1).frames
    c = active_pipe(cond, rig6, num_inference_steps=2, generator=_gen(4), chunk_size=2, overlap=1).frames
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_save_load_round_trip(tmp_path, rig6, active_pipe):
    active_pipe.save_pretrained(tmp_path / "w")
    files = sorted(p for p in (tmp_path / "w").rglob("*") if p.is_file())
    assert files and all(p.suffix in (".safetensors", ".json") for p in files)
    assert {p.parent.name for p in files if p.suffix == ".safetensors"} == {
        "vae", "unet", "condition_encoder", "scene_encoder"}
    loaded = load_pipeline(tmp_path / "w", device="cpu")
    cond = random_conditions(2, 6)
    kw = dict(prompt="night", num_inference_steps=2, chunk_size=2, overlap=1)
    assert np.array_equal(active_pipe(cond, rig6, generator=_gen(), **kw).frames,
                          loaded(cond, rig6, generator=_gen(), **kw).frames)
    with pytest.raises(ValueError, match="safetensors only"):
        active_pipe.save_pretrained(tmp_path / "p", safe_serialization=False)


def test_pickled_weights_are_refused(tmp_path):
    (tmp_path / "model_index.json").write_text("{}")
    (tmp_path / "unet").mkdir()
    (tmp_path / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04")
    with pytest.raises(ConfigError, match="pickled"):
        check_weights_folder(tmp_path)
    with pytest.raises(ConfigError, match="model_index.json"):
        check_weights_folder(tmp_path / "unet")


def test_chunked_long_video_streams_identically(rig6, active_pipe):
    """10 frames in chunks of 4 with 2 context frames; streaming chunk by chunk (with the returned context)
    gives exactly the same frames as one call."""
    cond = random_conditions(10, 2)
    kw = dict(num_inference_steps=2, chunk_size=4, overlap=2, output_type="latent")
    whole = active_pipe(cond, rig6[:2], generator=_gen(), **kw)
    assert whole.frames.shape[0] == 10
    g = _gen()
    parts, ctx, start = [], None, 0
    for n in (4, 2, 2, 2):
        out = active_pipe(cond[start:start + n], rig6[:2], generator=g, context=ctx, **kw)
        parts.append(out.frames)
        ctx, start = out.context, start + n
    assert torch.equal(torch.cat(parts), whole.frames)
    # the context matters: the same frames generated without it differ
    alone = active_pipe(cond[4:6], rig6[:2], generator=_gen(), **kw).frames
    assert not torch.equal(alone, whole.frames[4:6])
    # a lazy iterable of frames is read chunk by chunk
    lazy = active_pipe((f for f in cond), rig6[:2], generator=_gen(), **kw)
    assert torch.equal(lazy.frames, whole.frames)
    # stopping early: the same frames (the last chunk is smaller, which changes float rounding only)
    limited = active_pipe(cond, rig6[:2], num_frames=7, generator=_gen(), **kw)
    assert torch.equal(limited.frames[:6], whole.frames[:6])
    torch.testing.assert_close(limited.frames, whole.frames[:7], rtol=0, atol=1e-4)


@pytest.mark.parametrize("objective,sampler", [("flow_matching", "dpmsolver"), ("flow_matching", "euler"),
                                               ("v_prediction", "ddim"), ("v_prediction", "dpmsolver")])
def test_few_step_samplers(rig6, objective, sampler):
    pipe = tiny_random_pipeline(objective=objective, sampler=sampler)
    pipe.scheduler = make_scheduler(objective, sampler)
    out = pipe(random_conditions(2, 6), rig6, num_inference_steps=4, generator=_gen(), chunk_size=2, overlap=1)
    assert out.frames.shape == (2, 6, 32, 64, 3)
    assert len(pipe.scheduler.timesteps) == 4


def test_bad_inputs_are_reported(rig6, active_pipe):
    cond = random_conditions(2, 6)
    with pytest.raises(ValueError, match="cameras"):
        active_pipe(cond, rig6[:5], num_inference_steps=1)
    with pytest.raises(ValueError, match="overlap"):
        active_pipe(cond, rig6, num_inference_steps=1, chunk_size=2, overlap=2)
    with pytest.raises(ValueError, match="multiple"):
        active_pipe(random_conditions(1, 6, height=30, width=64), rig6, num_inference_steps=1)
    with pytest.raises(ValueError, match="mismatched|sampler|objective"):
        make_scheduler("v_prediction", "euler")
