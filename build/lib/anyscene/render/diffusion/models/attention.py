"""The attention layers that inflate an image denoiser into a multi-view video denoiser.

Both take feature tokens laid out as (B, T, V, N, C): batch, frames, views, h·w spatial tokens, channels, and
return tokens of the same shape. Each is residual with a zero-initialised output projection, so a freshly
inflated model computes exactly what the image model computed.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class TokenAttention(nn.Module):
    """Multi-head attention of query tokens (M, Nq, C) over key/value tokens (M, Nk, C); the output projection
    starts at zero."""

    def __init__(self, channels: int, head_dim: int):
        super().__init__()
        self.heads = max(1, channels // head_dim)
        self.to_q = nn.Linear(channels, channels, bias=False)
        self.to_k = nn.Linear(channels, channels, bias=False)
        self.to_v = nn.Linear(channels, channels, bias=False)
        self.to_out = nn.Linear(channels, channels)
        nn.init.zeros_(self.to_out.weight)
        nn.init.zeros_(self.to_out.bias)

    def forward(self, query: torch.Tensor, context: torch.Tensor, causal: bool = False) -> torch.Tensor:
        m, nq, c = query.shape
        h = self.heads

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.reshape(m, x.shape[1], h, c // h).transpose(1, 2)

        q, k, v = split(self.to_q(query)), split(self.to_k(context)), split(self.to_v(context))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return self.to_out(out.transpose(1, 2).reshape(m, nq, c))


class CrossViewAttention(nn.Module):
    """Each view attends to the tokens of its rig neighbours in the same frame.

    `neighbors` (B, V, K) int64 are view indices (left, right, ...); a learned embedding per neighbour slot tells
    the views apart. Views never attend to views that are not their neighbours.
    """

    def __init__(self, channels: int, head_dim: int, num_neighbors: int = 2):
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.attn = TokenAttention(channels, head_dim)
        self.slot = nn.Parameter(torch.zeros(num_neighbors, channels))
        self.gradient_checkpointing = False

    def forward(self, tokens: torch.Tensor, neighbors: torch.Tensor) -> torch.Tensor:
        b, t, v, n, c = tokens.shape
        k = neighbors.shape[-1]
        h = self.norm(tokens)
        idx = neighbors.to(tokens.device)[:, None, :, :, None, None].expand(b, t, v, k, n, c)
        src = h[:, :, None].expand(b, t, v, v, n, c)  # src[:, :, i, j] = view j, for each query view i
        kv = torch.gather(src, 3, idx) + self.slot[:k, None, :].to(h.dtype)
        out = self.attn(h.reshape(b * t * v, n, c), kv.reshape(b * t * v, k * n, c))
        return tokens + out.reshape(b, t, v, n, c)


def frame_position_embedding(num_frames: int, channels: int, device, dtype) -> torch.Tensor:
    """(num_frames, channels) sinusoidal embedding of the frame index within a chunk."""
    half = channels // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, device=device, dtype=torch.float32) / max(half, 1))
    ang = torch.arange(num_frames, device=device, dtype=torch.float32)[:, None] * freq[None]
    emb = torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)
    if emb.shape[1] < channels:
        emb = F.pad(emb, (0, channels - emb.shape[1]))
    return emb.to(dtype)


class TemporalAttention(nn.Module):
    """Each spatial token of a view attends to the same token of that view in this and earlier frames of the
    chunk (causal), context frames from the previous chunk included."""

    def __init__(self, channels: int, head_dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.attn = TokenAttention(channels, head_dim)
        self.gradient_checkpointing = False

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        b, t, v, n, c = tokens.shape
        h = self.norm(tokens) + frame_position_embedding(t, c, tokens.device, tokens.dtype)[None, :, None, None]
        h = h.permute(0, 2, 3, 1, 4).reshape(b * v * n, t, c)
        out = self.attn(h, h, causal=True)
        return tokens + out.reshape(b, v, n, t, c).permute(0, 3, 1, 2, 4)


class CameraEmbedding(nn.Module):
    """MLP from camera features (M, F) to a vector added to the denoiser's timestep embedding; its last layer
    starts at zero."""

    def __init__(self, in_features: int, out_features: int, hidden: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.SiLU(), nn.Linear(hidden, out_features))
        nn.init.zeros_(self.net[2].weight)
        nn.init.zeros_(self.net[2].bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)
