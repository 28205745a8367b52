"""Chunk seams of long videos, measured on a model that has learnt temporal consistency.

The tiny model is trained for a few steps on clips whose frames all share one random colour (per clip), while
the condition maps carry no colour at all: the only way to keep a clip's frames consistent is the temporal
attention. A long video is then generated in chunks. Without context frames (overlap 0), each chunk picks a new
colour and the jump across a seam is much larger than between frames of a chunk; with context frames it is
not, which is the acceptance metric.
"""
from __future__ import annotations

import numpy as np
import torch
from diffusion_helpers import nuscenes_cameras

from anyscene.render.diffusion.build import tiny_random_pipeline
from anyscene.render.diffusion.pipeline_multiview_video import rig_tensors
from anyscene.render.diffusion.schedulers import TrainingObjective
from anyscene.training.diffusion_train import training_loss

H = W = 16
T, B = 4, 8


def _train_colour_consistency(steps: int = 150):
    pipe = tiny_random_pipeline(height=H, width=W, seed=0)
    cams = nuscenes_cameras(W, H)[1:2]
    feats, nbrs = rig_tensors(cams)
    cond = torch.zeros(T, 1, 20, H, W)
    cond[:, :, 11] = 1.0  # every pixel "driveable surface": no colour information
    g = torch.Generator().manual_seed(0)
    params = [p for m in (pipe.unet, pipe.condition_encoder, pipe.scene_encoder) for p in m.parameters()]
    opt = torch.optim.AdamW(params, lr=3e-3, weight_decay=0.0)
    batch = {"conditions": cond[None].expand(B, -1, -1, -1, -1, -1), "camera_features": feats.expand(B, -1, -1),
             "neighbors": nbrs.expand(B, -1, -1), "prompt": [""] * B}
    objective = TrainingObjective("flow_matching")
    for m in (pipe.unet, pipe.condition_encoder, pipe.scene_encoder):
        m.train()
    for _ in range(steps):
        colour = torch.rand(B, 3, generator=g) * 2 - 1
        images = colour[:, None, None, :, None, None].expand(B, T, 1, 3, H, W)
        with torch.no_grad():
            latents = pipe.encode_images(images.flatten(0, 2)).reshape(B, T, 1, 4, H // 4, W // 4)
        loss = training_loss(pipe.unet, pipe.condition_encoder, pipe.scene_encoder, latents, batch, objective, g,
                             context_prob=0.5, max_context=2)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad()
    for m in (pipe.unet, pipe.condition_encoder, pipe.scene_encoder):
        m.eval()
    return pipe, cams, cond[:1]


def _steps(pipe, cams, cond, overlap: int, frames: int = 10, chunk: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Mean absolute latent difference between consecutive frames, across seams and within chunks."""
    lat = pipe(cond.expand(frames, -1, -1, -1, -1), cams, num_inference_steps=8,
               generator=torch.Generator().manual_seed(1), chunk_size=chunk, overlap=overlap,
               output_type="latent").frames
    assert lat.shape[0] == frames
    d = (lat[1:] - lat[:-1]).abs().mean(dim=(1, 2, 3, 4)).numpy()
    starts, s = set(), chunk
    while s < frames:  # first new frame of every chunk after the first
        starts.add(s)
        s += chunk - overlap
    seam = np.array([(k + 1) in starts for k in range(frames - 1)])
    return d[seam], d[~seam]


def test_chunk_seams_are_not_visible():
    pipe, cams, cond = _train_colour_consistency()
    seam, within = _steps(pipe, cams, cond, overlap=2)
    assert len(seam) == 3 and seam.max() <= within.max()
    # the metric sees seams when chunks do not share context frames
    seam0, within0 = _steps(pipe, cams, cond, overlap=0)
    assert len(seam0) == 2 and seam0.mean() > 1.3 * within0.mean()
