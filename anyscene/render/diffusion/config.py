"""The typed configuration of `anyscene train-renderer`: a YAML file (see configs/renderer/) merged into these
defaults, then `key=value` overrides. Unknown keys, wrong types and out-of-range values are `ConfigError`s."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from ...config import load_structured
from ...errors import ConfigError
from ...resources import config_dir, resolve

CONFIG_DIR = config_dir("renderer")
NUSCENES_CAMERAS = ("CAM_FRONT_LEFT", "CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_BACK_RIGHT", "CAM_BACK", "CAM_BACK_LEFT")
INITS = ("tiny", "image_model", "pipeline")
CONDITION_SOURCES = ("auto", "exported", "occupancy", "imported")


@dataclass
class DataConfig:
    dataroot: str = "???"  # nuScenes-format dataroot (real nuScenes + Occ3D gts/, or an AnyScene export)
    version: str = "v1.0-trainval"  # table folder under the dataroot
    cameras: list[str] = field(default_factory=lambda: list(NUSCENES_CAMERAS))  # channels, any rig
    height: int = 128  # px, training image height (a multiple of the VAE's downsampling factor)
    width: int = 224  # px, training image width
    clip_length: int = 4  # consecutive keyframes per training clip (T)
    clip_stride: int = 1  # keyframes between the first frames of consecutive clips
    scenes: Optional[list[str]] = None  # scene names to train on; null = every scene
    val_scenes: Optional[list[str]] = None  # scenes for validation samples; null = the first training clip
    conditions: str = "auto"  # auto: exported conditions/, else gts/, else the imported scene | exported | occupancy | imported
    grid: str = "occ3d"  # occupancy grid of gts/ labels, used for conditions rendered from occupancy
    num_workers: int = 0  # DataLoader worker processes


@dataclass
class ModelConfig:
    init: str = "tiny"  # tiny (random, CPU-sized) | image_model (diffusers image folder) | pipeline (ours)
    path: Optional[str] = None  # folder for init image_model (with vae/ and unet/) or pipeline
    cross_view: bool = True  # cross-view attention between rig neighbours
    temporal: bool = True  # causal temporal attention over the frames of a chunk
    objective: str = "flow_matching"  # flow_matching | v_prediction
    sampler: str = "euler"  # sampler saved with the pipeline: euler | dpmsolver (flow), ddim | dpmsolver (v)
    train_backbone: bool = True  # false: train only the new layers (conditions, camera, views, time, prompt)


@dataclass
class TrainConfig:
    output_dir: str = "???"  # run folder: log.jsonl, samples/, checkpoints/, pipeline/ (final weights)
    seed: int = 0  # seed of initialisation, data order and noise
    max_steps: int = 10000  # optimiser steps
    batch_size: int = 1  # clips per device and step
    learning_rate: float = 1.0e-4  # AdamW learning rate after warm-up
    lr_warmup_steps: int = 500  # linear warm-up steps
    weight_decay: float = 0.01  # AdamW weight decay
    max_grad_norm: float = 1.0  # gradient clipping; 0 disables it
    gradient_accumulation_steps: int = 1  # micro-batches per optimiser step
    mixed_precision: str = "no"  # no | fp16 | bf16 (accelerate)
    gradient_checkpointing: bool = False  # recompute activations in the backward pass to save memory
    ema_decay: Optional[float] = None  # e.g. 0.9999 to keep an exponential moving average of the weights
    context_prob: float = 0.5  # probability that a clip's first frames are given clean, as chunk context
    max_context: int = 2  # at most this many clean context frames (the sampler's `overlap`)
    prompt_drop: float = 0.1  # probability of training with the empty scene prompt
    checkpoint_every: int = 1000  # steps between resumable checkpoints (accelerate save_state)
    checkpoints_keep: int = 3  # newest checkpoints kept
    resume: Optional[str] = None  # "latest" or a checkpoint folder to continue from
    log_every: int = 10  # steps between log.jsonl lines
    validate_every: int = 1000  # steps between validation sample grids (samples/step-N.png); 0 disables
    validation_steps: int = 8  # sampling steps of the validation samples
    cpu: bool = False  # force the CPU even when a GPU is present
    progress: bool = True  # tqdm progress bar on stderr


@dataclass
class RendererTrainConfig:
    """Every setting of `anyscene train-renderer`; see configs/renderer/*.yaml for examples."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def load_train_config(path: str | Path, overrides: Sequence[str] = ()) -> RendererTrainConfig:
    """The config in `path` (a file, or a name under configs/renderer/) with `key=value` overrides applied."""
    src = resolve("renderer", path)
    obj, _ = load_structured(src, RendererTrainConfig, what="training config", reference="configs/renderer/tiny.yaml",
                             overrides=overrides, example="train.max_steps=100")
    validate_train_config(obj, str(src))
    return obj


def validate_train_config(c: RendererTrainConfig, where: str = "config") -> None:
    """Range and consistency checks that the types alone do not express."""
    def need(cond: bool, msg: str) -> None:
        if not cond:
            raise ConfigError(f"{where}: {msg}")

    d, m, t = c.data, c.model, c.train
    need(len(d.cameras) >= 1 and len(set(d.cameras)) == len(d.cameras), "data.cameras: list distinct channels")
    need(16 <= d.height <= 2048 and 16 <= d.width <= 2048, "data.height/width must be 16..2048 px")
    need(d.conditions in CONDITION_SOURCES, f"data.conditions {d.conditions!r}: choose one of "
         f"{', '.join(CONDITION_SOURCES)}")
    need(d.clip_length >= 1 and d.clip_stride >= 1, "data.clip_length and data.clip_stride must be >= 1")
    need(m.init in INITS, f"model.init {m.init!r}: choose one of {', '.join(INITS)}")
    need(m.init == "tiny" or bool(m.path), f"model.init {m.init} needs model.path")
    need(m.objective in ("flow_matching", "v_prediction"), "model.objective: flow_matching or v_prediction")
    ok = {"flow_matching": ("euler", "dpmsolver"), "v_prediction": ("ddim", "dpmsolver")}[m.objective]
    need(m.sampler in ok, f"model.sampler {m.sampler!r} does not sample {m.objective}; choose {', '.join(ok)}")
    need(t.max_steps >= 1 and t.batch_size >= 1, "train.max_steps and train.batch_size must be >= 1")
    need(t.learning_rate > 0 and t.weight_decay >= 0 and t.max_grad_norm >= 0, "train: bad optimiser values")
    need(t.gradient_accumulation_steps >= 1, "train.gradient_accumulation_steps must be >= 1")
    need(t.mixed_precision in ("no", "fp16", "bf16"), "train.mixed_precision: no, fp16 or bf16")
    need(t.ema_decay is None or 0 < t.ema_decay < 1, "train.ema_decay must be in (0, 1)")
    need(0 <= t.context_prob <= 1 and 0 <= t.prompt_drop <= 1, "train.context_prob/prompt_drop in [0, 1]")
    need(0 <= t.max_context < max(d.clip_length, 1) or d.clip_length == 1, "train.max_context < data.clip_length")
    need(t.checkpoint_every >= 1 and t.checkpoints_keep >= 1 and t.log_every >= 1, "train: intervals >= 1")
    need(t.validate_every >= 0 and t.validation_steps >= 1, "train.validate_every >= 0, validation_steps >= 1")
