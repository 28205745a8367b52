"""The network: a small 2D CNN on the BEV tensor with a CenterPoint-style head."""
from __future__ import annotations

import torch
from torch import nn

from .grid import BevGrid
from .targets import REG_CHANNELS


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class BevDetector(nn.Module):
    """Input (B, grid.channels, nx, ny) -> heatmap logits (B, num_classes, H, W) and regression
    (B, REG_CHANNELS, H, W) at the grid's output stride. `width` sets the channel counts (width/2 at full
    resolution, width and 2*width below); two downsampling stages and one upsampling merge (an FPN-like
    neck) give each head cell a receptive field of about 20 m at the default grid."""

    def __init__(self, grid: BevGrid, num_classes: int, width: int = 32):
        super().__init__()
        w = width
        stem_stride = grid.stride
        self.stem = nn.Sequential(_conv(grid.channels, w // 2), _conv(w // 2, w, stem_stride))
        self.down1 = nn.Sequential(_conv(w, w), _conv(w, w))
        self.down2 = nn.Sequential(_conv(w, 2 * w, 2), _conv(2 * w, 2 * w), _conv(2 * w, 2 * w))
        self.up2 = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 2, 2, bias=False), nn.BatchNorm2d(w), nn.ReLU(True))
        self.merge = _conv(2 * w, w)
        self.heatmap = nn.Sequential(_conv(w, w), nn.Conv2d(w, num_classes, 1))
        self.regression = nn.Sequential(_conv(w, w), nn.Conv2d(w, REG_CHANNELS, 1))
        # the usual focal-loss prior: every cell starts at p = 0.1 of being a centre
        nn.init.constant_(self.heatmap[-1].bias, -2.19)

    def forward(self, bev: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x1 = self.down1(self.stem(bev))
        x2 = self.down2(x1)
        x = self.merge(torch.cat([x1, self.up2(x2)], dim=1))
        return self.heatmap(x), self.regression(x)
