"""The inflated denoiser, the condition encoder and the scene prompt."""
from __future__ import annotations

import copy

import pytest
import torch
from diffusion_helpers import activate_new_layers, random_conditions

from anyscene.render.diffusion.build import tiny_random_pipeline
from anyscene.render.diffusion.models.condition_encoder import unet_skip_layout
from anyscene.render.diffusion.models.scene_prompt import parse_tags, tags_from_description
from anyscene.render.diffusion.pipeline_multiview_video import rig_tensors


def _inputs(pipe, rig, frames=2, views=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    n = frames * views
    sample = torch.randn(n, 4, 8, 16, generator=g)
    t = torch.full((n,), 500.0)
    ehs = pipe.scene_encoder(["night"])
    feats, nbrs = rig_tensors(rig[:views])
    cond = random_conditions(frames, views, seed=seed).flatten(0, 1)
    return sample, t, ehs, feats, nbrs, cond


def test_fresh_inflation_reproduces_the_image_unet_exactly(rig6):
    pipe = tiny_random_pipeline()
    sample, t, ehs, feats, nbrs, cond = _inputs(pipe, rig6)
    with torch.no_grad():
        control = pipe.condition_encoder(cond)
        inflated = pipe.unet(sample, t, ehs, num_frames=2, num_views=6, camera_features=feats, neighbors=nbrs,
                             control=control).sample
        plain = pipe.unet.unet(sample, t, ehs.repeat_interleave(12, 0)).sample
    assert all(float(r.abs().max()) == 0.0 for r in (control.input, control.mid, *control.down))
    assert torch.equal(inflated, plain)
    # ... and no longer once the new layers have weights: the comparison above can fail
    activate_new_layers(pipe)
    with torch.no_grad():
        changed = pipe.unet(sample, t, ehs, num_frames=2, num_views=6, camera_features=feats, neighbors=nbrs,
                            control=pipe.condition_encoder(cond)).sample
    assert not torch.equal(changed, plain)


def test_inflation_layers_cover_every_transformer():
    pipe = tiny_random_pipeline()
    names = pipe.unet.transformer_names
    assert len(names) == 4  # down 0, mid, up 1 (two layers)
    assert len(pipe.unet.cross_view_layers) == len(pipe.unet.temporal_layers) == len(names)
    off = tiny_random_pipeline(cross_view=False, temporal=False)
    assert len(off.unet.cross_view_layers) == len(off.unet.temporal_layers) == 0


def test_condition_residuals_match_the_unet_skips(rig6):
    pipe = tiny_random_pipeline()
    cfg = pipe.unet.unet.config
    layout = unet_skip_layout(cfg.block_out_channels, cfg.layers_per_block, len(cfg.down_block_types))
    res = pipe.condition_encoder(random_conditions(1, 2).flatten(0, 1))
    assert [tuple(r.shape[1:]) for r in res.down] == [(c, 8 >> lvl, 16 >> lvl) for c, lvl in layout]
    assert tuple(res.mid.shape[1:]) == (64, 4, 8) and tuple(res.input.shape[1:]) == (32, 8, 16)


def test_inflated_model_can_be_copied(rig6):
    """Hooks live only during a forward call, so a deep copy (e.g. for EMA) is an independent model."""
    pipe = activate_new_layers(tiny_random_pipeline())
    twin = copy.deepcopy(pipe.unet)
    sample, t, ehs, feats, nbrs, cond = _inputs(pipe, rig6)
    with torch.no_grad():
        control = pipe.condition_encoder(cond)
        a = pipe.unet(sample, t, ehs, num_frames=2, num_views=6, camera_features=feats, neighbors=nbrs,
                      control=control).sample
        b = twin(sample, t, ehs, num_frames=2, num_views=6, camera_features=feats, neighbors=nbrs,
                 control=control).sample
    assert torch.equal(a, b)


def test_gradient_checkpointing_gives_the_same_gradients(rig6):
    pipe = activate_new_layers(tiny_random_pipeline())
    sample, t, ehs, feats, nbrs, cond = _inputs(pipe, rig6, frames=2, views=2)

    def grads():
        pipe.unet.zero_grad()
        out = pipe.unet(sample, t, ehs.detach(), num_frames=2, num_views=2, camera_features=feats,
                        neighbors=nbrs).sample
        out.square().mean().backward()
        return {n: p.grad.clone() for n, p in pipe.unet.named_parameters() if p.grad is not None}

    ref = grads()
    pipe.unet.enable_gradient_checkpointing()
    assert pipe.unet.temporal_layers[next(iter(pipe.unet.temporal_layers))].gradient_checkpointing
    ckpt = grads()
    assert ref.keys() == ckpt.keys()
    for k in ref:
        torch.testing.assert_close(ckpt[k], ref[k], rtol=1e-4, atol=1e-6)


def test_scene_prompt_tags():
    pipe = tiny_random_pipeline()
    enc = pipe.scene_encoder
    assert parse_tags(" Night,rain  night ") == ["night", "rain"]
    assert tags_from_description("Night, rain, peds crossing; raining") == "night, rain"
    e = enc(["night, rain", None])
    assert e.shape == (2, 5, 32)
    assert not torch.equal(e[0], e[1])
    with pytest.raises(ValueError, match="unknown scene tag"):
        enc(["sandstorm"])


def test_starts_from_a_local_image_model_folder(tmp_path, rig6):
    """A diffusers image-model folder (vae/, unet/ as in Stable Diffusion) is loaded, and the inflated model
    starts out computing exactly what its UNet computes."""
    from diffusers import AutoencoderKL, UNet2DConditionModel

    from anyscene.errors import ConfigError
    from anyscene.render.diffusion.build import TINY_UNET, TINY_VAE, pipeline_from_image_model

    torch.manual_seed(1)
    AutoencoderKL(**TINY_VAE).save_pretrained(tmp_path / "sd" / "vae")
    unet = UNet2DConditionModel(**TINY_UNET)
    unet.save_pretrained(tmp_path / "sd" / "unet")
    pipe = pipeline_from_image_model(tmp_path / "sd", height=32, width=64)
    assert all(torch.equal(a, b) for a, b in zip(pipe.unet.unet.state_dict().values(), unet.state_dict().values()))
    sample, t, ehs, feats, nbrs, cond = _inputs(pipe, rig6, frames=2, views=6)
    with torch.no_grad():
        out = pipe.unet(sample, t, ehs, num_frames=2, num_views=6, camera_features=feats, neighbors=nbrs,
                        control=pipe.condition_encoder(cond)).sample
        ref = unet(sample, t, ehs.repeat_interleave(12, 0)).sample
    assert torch.equal(out, ref)
    with pytest.raises(ConfigError, match="missing vae/config.json"):
        pipeline_from_image_model(tmp_path / "sd" / "vae")
