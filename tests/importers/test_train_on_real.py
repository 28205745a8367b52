"""The diffusion renderer trains on the real scene through the importer: no Occ3D labels, no exported condition
maps; the conditions are rendered from the imported world at each real image's time. A tiny CPU run on the real
images (41 keyframes × 6 cameras) shows the loop works end to end: the loss falls. No quality claim."""
from __future__ import annotations

import json

import numpy as np
import pytest

from anyscene.cli.main import main
from conftest import VERSION


def test_conditions_of_real_frames_come_from_the_imported_world(real_root, imported):
    from anyscene.render.diffusion.conditions import CONDITION_CHANNELS, DEPTH_CHANNEL, NUM_CLASSES
    from anyscene.training.diffusion_data import NuScenesClipDataset

    ds = NuScenesClipDataset(real_root, VERSION, ["CAM_FRONT", "CAM_BACK"], 32, 64, clip_length=2,
                             layouts=lambda scene: imported.layout)
    assert len(ds) == 40  # clips of 2 of the 41 keyframes, every one with its images
    item = ds[0]
    assert item["images"].shape == (2, 2, 3, 32, 64) and item["conditions"].shape == (2, 2, CONDITION_CHANNELS, 32, 64)
    cond = item["conditions"].numpy()
    assert np.allclose(cond[:, :, :NUM_CLASSES].sum(axis=2), 1.0)  # one class per pixel
    classes = set(np.flatnonzero(cond[:, :, :NUM_CLASSES].sum(axis=(0, 1, 3, 4))).tolist())
    assert {11, 17} <= classes and classes & {3, 4, 7}  # drivable ground, sky, and imported agents
    assert cond[:, :, DEPTH_CHANNEL].max() > 0


@pytest.mark.slow  # about 80 s on two shared CPU cores
def test_tiny_training_run_on_the_real_images_lowers_the_loss(real_root, tmp_path):
    run = tmp_path / "run"
    assert main(["train-renderer", "tiny", f"data.dataroot={real_root}", f"data.version={VERSION}",
                 f"train.output_dir={run}", "train.max_steps=30", "train.validate_every=0",
                 "train.checkpoint_every=100", "train.progress=false", "data.clip_length=1",
                 "train.max_context=0"]) == 0
    losses = [json.loads(line)["loss"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert len(losses) == 30 and all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])
    assert (run / "pipeline").is_dir()
