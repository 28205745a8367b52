"""`anyscene train-renderer` on a tiny AnyScene export: loss, outputs, resuming, configs, occupancy conditions."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from diffusion_helpers import TINY_LAYOUT

from anyscene.cli.main import main
from anyscene.errors import ConfigError
from anyscene.render.diffusion.config import load_train_config


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory) -> Path:
    """A 3 s AnyScene export at 64×36 with cameras and LiDAR at 2 Hz: 7 keyframes of 6 cameras, with exported
    condition maps and Occ3D labels."""
    root = tmp_path_factory.mktemp("export")
    layout = root / "tiny_train.yaml"
    layout.write_text(TINY_LAYOUT)
    rc = main(["generate", str(layout), "--out", str(root / "ds"), "--resolution", "64x36", "--camera-rate", "2",
               "--lidar-rate", "2", "--formats", "nuscenes,conditions,occ3d", "--no-progress"])
    assert rc == 0
    return root / "ds"


def _args(ds: Path, out: Path, *extra: str) -> list[str]:
    return ["train-renderer", "tiny", f"data.dataroot={ds}", "data.version=v1.0-anyscene",
            f"train.output_dir={out}", "train.progress=false", *extra]


def _losses(run: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (run / "log.jsonl").read_text().splitlines()]


def test_training_lowers_the_loss(tiny_export, tmp_path):
    run = tmp_path / "run"
    assert main(_args(tiny_export, run, "train.max_steps=30", "train.validate_every=30",
                      "train.checkpoint_every=30")) == 0
    losses = _losses(run)
    assert len(losses) == 30 and all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])
    grid = run / "samples" / "step-000030.png"
    from PIL import Image

    with Image.open(grid) as im:  # 3 frames x (real + generated) rows of 6 views of 64x32
        assert im.size == (6 * 64, 2 * 3 * 32)
    files = [p for p in (run / "pipeline").rglob("*") if p.is_file()]
    assert files and all(p.suffix in (".safetensors", ".json") for p in files)
    assert (run / "checkpoints" / "checkpoint-000030" / "anyscene_state.json").is_file()

    # the trained weights render camera frames through the renderer interface used by `anyscene generate`
    from anyscene.render.diffusion.renderer import DiffusionRenderer

    renderer = DiffusionRenderer.from_pretrained(run / "pipeline", device="cpu", num_inference_steps=2,
                                                 chunk_size=2, overlap=1)
    assert (renderer.height, renderer.width) == (32, 64)


def test_resume_continues_exactly(tiny_export, tmp_path):
    common = ("train.validate_every=0", "train.checkpoint_every=2", "train.log_every=1")
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert main(_args(tiny_export, straight, "train.max_steps=4", *common)) == 0
    assert main(_args(tiny_export, resumed, "train.max_steps=2", *common)) == 0
    assert main(_args(tiny_export, resumed, "train.max_steps=4", "train.resume=latest", *common)) == 0
    a, b = _losses(straight), _losses(resumed)
    assert len(b) == 4
    np.testing.assert_allclose(b, a, rtol=1e-5)
    # a non-empty run folder is not overwritten without resume
    assert main(_args(tiny_export, resumed, "train.max_steps=4", *common)) == 2


def test_config_errors(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  dataroot: x\n  colour: red\ntrain:\n  output_dir: y\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:3:3: data.colour: unknown key 'colour'"):
        load_train_config(bad)
    with pytest.raises(ConfigError, match="unknown key"):
        load_train_config("tiny", ["data.dataroot=x", "train.output_dir=y", "train.speed=3"])
    with pytest.raises(ConfigError, match="missing value"):
        load_train_config("tiny", ["train.output_dir=y"])
    with pytest.raises(ConfigError, match="does not sample"):
        load_train_config("tiny", ["data.dataroot=x", "train.output_dir=y", "model.objective=v_prediction"])
    assert main(["train-renderer", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml: no such file" in capsys.readouterr().err
    assert main(_args(tmp_path / "no_data", tmp_path / "run", "train.max_steps=1")) == 2
    assert "no nuScenes tables" in capsys.readouterr().err


def test_conditions_from_occupancy_agree_with_exported(tiny_export):
    """Conditions rendered from the Occ3D labels alone (as for real nuScenes) see what the exported condition
    maps see, up to the voxel size."""
    from anyscene.render.diffusion.data import NuScenesClipDataset

    kw = dict(cameras=["CAM_FRONT", "CAM_BACK"], height=32, width=64, clip_length=1)
    exported = NuScenesClipDataset(tiny_export, "v1.0-anyscene", conditions="exported", **kw)[2]["conditions"]
    occupancy = NuScenesClipDataset(tiny_export, "v1.0-anyscene", conditions="occupancy", **kw)[2]["conditions"]
    assert exported.shape == occupancy.shape == (1, 2, 20, 32, 64)
    agree = (exported[:, :, :18].argmax(2) == occupancy[:, :, :18].argmax(2)).float().mean()
    assert agree > 0.7


def test_training_options_run(tiny_export, tmp_path):
    """EMA, gradient checkpointing, gradient accumulation and training only the new layers."""
    run = tmp_path / "run"
    assert main(_args(tiny_export, run, "train.max_steps=2", "train.validate_every=2", "train.ema_decay=0.9",
                      "train.gradient_checkpointing=true", "train.gradient_accumulation_steps=2",
                      "model.train_backbone=false", "data.clip_length=2",
                      "data.cameras=[CAM_FRONT,CAM_FRONT_LEFT]")) == 0
    assert len(_losses(run)) == 2
    assert (run / "samples" / "step-000002.png").is_file()
    from anyscene.render.diffusion.renderer import load_pipeline

    pipe = load_pipeline(run / "pipeline", device="cpu")
    assert pipe.unet.config.cross_view and pipe.unet.config.temporal
