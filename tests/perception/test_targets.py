"""The target encoder against a hand-computed box, and decoding its own targets back."""
from __future__ import annotations

import math

import torch

from anyscene.perception.grid import BevGrid
from anyscene.perception.targets import decode, encode_targets, focal_loss

G = BevGrid(-2, 2, -2, 2, -1, 1, 1.0, 2, 1)  # 4 x 4 head cells of 1 m
BOX = [0.5, -0.25, 0.8, 1.0, 2.0, 1.5, 0.3, 1.0, -2.0]


def test_one_box():
    heat, reg, mask = encode_targets(torch.tensor([BOX]), torch.tensor([0]), G, num_classes=2)
    # centre (0.5, -0.25) -> u = 2.5, v = 1.75 -> cell (2, 1), offset (0.5, 0.75)
    assert mask.nonzero().tolist() == [[2, 1]]
    assert heat[0, 2, 1] == 1 and heat[1].sum() == 0
    sigma = (2 * 2 + 1) / 6  # the minimum radius, 2 cells
    assert math.isclose(heat[0, 2, 2].item(), math.exp(-1 / (2 * sigma ** 2)), rel_tol=1e-6)
    assert math.isclose(heat[0, 0, 3].item(), math.exp(-8 / (2 * sigma ** 2)), rel_tol=1e-6)
    expect = [0.5, 0.75, 0.8, 0.0, math.log(2), math.log(1.5), math.sin(0.3), math.cos(0.3), 1.0, -2.0]
    assert torch.allclose(reg[:, 2, 1], torch.tensor(expect), atol=1e-6)
    assert reg.abs().sum() == torch.tensor(expect).abs().sum().float()


def test_box_outside_the_grid_is_skipped():
    heat, reg, mask = encode_targets(torch.tensor([[9.0] + BOX[1:]]), torch.tensor([1]), G, num_classes=2)
    assert heat.sum() == 0 and mask.sum() == 0


def test_decoding_the_targets_gives_the_box_back():
    heat, reg, _ = encode_targets(torch.tensor([BOX]), torch.tensor([1]), G, num_classes=2)
    logits = torch.logit(heat.clamp(1e-4, 1 - 1e-4))
    (boxes, scores, labels), = decode(logits[None], reg[None], G, min_score=0.5)
    assert labels.tolist() == [1] and scores[0] > 0.99
    assert torch.allclose(boxes[0], torch.tensor(BOX), atol=1e-4)


def test_focal_loss_is_lower_for_the_right_heatmap():
    heat, _, _ = encode_targets(torch.tensor([BOX]), torch.tensor([0]), G, num_classes=2)
    good = focal_loss(torch.logit(heat.clamp(1e-3, 1 - 1e-3))[None], heat[None])
    bad = focal_loss(torch.zeros(1, 2, 4, 4), heat[None])
    assert good < 0.1 * bad
