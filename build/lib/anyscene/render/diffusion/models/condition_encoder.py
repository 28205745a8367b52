"""A light convolutional encoder of the per-camera condition maps, injected into the denoiser ControlNet-style.

The encoder downsamples the condition maps (N, CONDITION_CHANNELS, H, W) to the latent resolution and builds a
feature pyramid matching the UNet's skip connections. Zero-initialised 1×1 projections turn the features into
residuals added to the UNet's input features (after conv_in), to each down-block skip connection
(`down_block_additional_residuals`) and to the mid block (`mid_block_additional_residual`). At initialisation
every residual is exactly zero, so a pretrained image backbone starts out unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn


@dataclass(frozen=True)
class ControlResiduals:
    """Residuals for one denoiser call, batch N = B·T·V: `input` (N, C0, h, w) added after conv_in, `down` one
    (N, C_i, h_i, w_i) per skip connection in the UNet's order, `mid` (N, C_mid, h_mid, w_mid)."""

    input: torch.Tensor
    down: tuple[torch.Tensor, ...]
    mid: torch.Tensor


def unet_skip_layout(block_out_channels, layers_per_block, num_down_blocks: int) -> list[tuple[int, int]]:
    """(channels, level) of every skip connection of a diffusers UNet2DConditionModel, in its order: conv_in, then
    per down block one per resnet plus one for the downsampler (all blocks but the last). Level l is at the
    latent resolution halved l times."""
    boc = list(block_out_channels)
    lpb = [layers_per_block] * num_down_blocks if isinstance(layers_per_block, int) else list(layers_per_block)
    skips = [(boc[0], 0)]
    for i in range(num_down_blocks):
        skips += [(boc[i], i)] * lpb[i]
        if i < num_down_blocks - 1:
            skips.append((boc[i], i + 1))
    return skips


def _zero_conv(c_in: int, c_out: int) -> nn.Conv2d:
    conv = nn.Conv2d(c_in, c_out, kernel_size=1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class ConditionEncoder(ModelMixin, ConfigMixin):
    """Condition maps (N, condition_channels, H, W) -> `ControlResiduals` for a UNet with the given
    `block_out_channels` / `layers_per_block`.

    `embedding_channels` are the widths of the stride-2 stem that brings the maps to the latent resolution
    (H / 2**(len(embedding_channels) - 1)); `feature_channels` the width of the pyramid features before the
    zero projections.
    """

    @register_to_config
    def __init__(self, condition_channels: int = 20, embedding_channels: tuple[int, ...] = (16, 32, 96, 256),
                 feature_channels: tuple[int, ...] = (128, 256, 256, 256),
                 block_out_channels: tuple[int, ...] = (320, 640, 1280, 1280), layers_per_block: int = 2,
                 norm_num_groups: int = 8):
        super().__init__()
        emb = list(embedding_channels)
        stem: list[nn.Module] = [nn.Conv2d(condition_channels, emb[0], 3, padding=1), nn.SiLU()]
        for c_in, c_out in zip(emb[:-1], emb[1:]):
            stem += [nn.Conv2d(c_in, c_in, 3, padding=1), nn.SiLU(), nn.Conv2d(c_in, c_out, 3, stride=2, padding=1),
                     nn.SiLU()]
        self.stem = nn.Sequential(*stem)
        feats = list(feature_channels)
        num_levels = len(block_out_channels)
        if len(feats) != num_levels:
            raise ValueError("feature_channels needs one width per UNet level (len(block_out_channels))")
        self.levels = nn.ModuleList()
        c_prev = emb[-1]
        for lvl, c in enumerate(feats):
            stride = 1 if lvl == 0 else 2  # same stride-2 convs as the UNet's downsamplers: same output sizes
            self.levels.append(nn.Sequential(nn.Conv2d(c_prev, c, 3, stride=stride, padding=1),
                                             nn.GroupNorm(min(norm_num_groups, c), c), nn.SiLU(),
                                             nn.Conv2d(c, c, 3, padding=1), nn.SiLU()))
            c_prev = c
        skips = unet_skip_layout(block_out_channels, layers_per_block, num_levels)
        self.skip_levels = [lvl for _, lvl in skips]
        self.input_proj = _zero_conv(feats[0], block_out_channels[0])
        self.down_projs = nn.ModuleList(_zero_conv(feats[lvl], c) for c, lvl in skips)
        self.mid_proj = _zero_conv(feats[-1], block_out_channels[-1])

    @property
    def downsample_factor(self) -> int:
        """Image pixels per latent pixel along each axis."""
        return 2 ** (len(self.config.embedding_channels) - 1)

    def forward(self, conditions: torch.Tensor) -> ControlResiduals:
        x = self.stem(conditions)
        pyramid = []
        for level in self.levels:
            x = level(x)
            pyramid.append(x)
        down = tuple(proj(pyramid[lvl]) for proj, lvl in zip(self.down_projs, self.skip_levels))
        return ControlResiduals(self.input_proj(pyramid[0]), down, self.mid_proj(pyramid[-1]))


def match_size(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """`x` (N, C, h, w) resized to `size` when the UNet's feature map has another size (odd latent sizes)."""
    return x if tuple(x.shape[-2:]) == tuple(size) else F.interpolate(x, size=size, mode="nearest")
