"""Helpers of the diffusion renderer tests: a layout, the camera rig, condition maps, trained-like weights."""
from __future__ import annotations

import numpy as np

from anyscene.sensors.types import Camera

# A 3 s straight road with a building and an oncoming car.
TINY_LAYOUT = """\
name: tiny_train
duration: 3
seed: 1
map:
  roads:
    - {id: main, centerline: [[-100, 0], [100, 0]], lanes: {forward: 1, backward: 1}}
  buildings:
    - {id: b_n, footprint: [[-30, 10], [10, 10], [10, 30], [-30, 30]], height: 9}
ego:
  trajectory: {lane: {road: main, lane: 1, s: 90, speed: 4}}
agents:
  - {id: car_1, class: car, trajectory: {lane: {road: main, lane: -1, s: 80, speed: 4}}}
"""


def nuscenes_cameras(width: int = 64, height: int = 32) -> list[Camera]:
    """The six cameras of the nuScenes rig (configs/rigs/nuscenes.yaml, rig order) at width×height."""
    from anyscene.sensors import load_rig

    return list(load_rig("nuscenes", (width, height)).cameras)


def random_conditions(frames: int, views: int, height: int = 32, width: int = 64, seed: int = 0):
    """(T, V, CONDITION_CHANNELS, H, W) float32 condition maps of blocky random scenes."""
    import torch

    from anyscene.render.diffusion.conditions import encode_conditions_np

    rng = np.random.default_rng(seed)
    out = np.zeros((frames, views, 20, height, width), dtype=np.float32)
    bh, bw = -(-height // 8), -(-width // 8)

    def blocks(a):
        return np.repeat(np.repeat(a, 8, 0), 8, 1)[:height, :width]

    for t in range(frames):
        for v in range(views):
            sem = blocks(rng.integers(0, 18, (bh, bw))).astype(np.uint8)
            depth = blocks(rng.uniform(1, 60, (bh, bw)))
            inst = blocks(rng.integers(0, 3, (bh, bw)))
            out[t, v] = encode_conditions_np(sem, depth, inst)
    return torch.from_numpy(out)


def activate_new_layers(pipe, seed: int = 0, scale: float = 0.05):
    """Give the zero-initialised layers (condition projections, camera embedding, cross-view and temporal
    attention) small random weights, as training would, so that their effects become visible."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in pipe.unet.named_parameters():
            if not name.startswith("unet."):
                p.add_(torch.randn(p.shape, generator=g) * scale)
        for p in pipe.condition_encoder.parameters():
            p.add_(torch.randn(p.shape, generator=g) * scale)
    return pipe
