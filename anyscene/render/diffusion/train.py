"""Training the multi-view video renderer with accelerate.

`train(config)` builds or loads a pipeline, trains its denoiser, condition encoder and scene-prompt tokens on
clips of a nuScenes-format dataroot (the VAE stays frozen), and writes into `train.output_dir`:

    log.jsonl                      one line per `log_every` steps: step, loss (mean since the last line), lr, time
    samples/step-NNNNNN.png        validation grids: per frame a row of real images and a row of samples
    checkpoints/checkpoint-NNNNNN  resumable training state (accelerate save_state + step and RNG state)
    pipeline/                      the trained pipeline (save_pretrained, safetensors only): `--weights` of generate

Each step noises one clip per batch element at one level; with probability `context_prob` its first 1..
`max_context` frames stay clean with timestep 0 and are left out of the loss, exactly as the chunked sampler
presents context frames from the previous chunk.
"""
from __future__ import annotations

import json
import math
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm.auto import tqdm

from ...atomic import atomic_folder
from ...errors import ConfigError, OutputError
from .build import pipeline_from_image_model, tiny_random_pipeline
from .config import RendererTrainConfig
from .data import NuScenesClipDataset, collate_clips
from .renderer import load_pipeline
from .schedulers import TrainingObjective

CHECKPOINT_PREFIX = "checkpoint-"


@dataclass(frozen=True)
class TrainResult:
    """What a run did: `steps` optimiser steps done in total, `losses` the loss of each step run in this
    process (steps resumed from a checkpoint are not repeated), `pipeline_dir` the saved weights."""

    steps: int
    losses: list[float]
    pipeline_dir: Path


def training_loss(unet, condition_encoder, scene_encoder, latents: torch.Tensor, batch: dict, objective,
                  generator: torch.Generator, context_prob: float, max_context: int,
                  prompt_drop: float = 0.0) -> torch.Tensor:
    """The denoising loss of one batch of clips.

    latents (B, T, V, c, h, w) clean latents of the clips' images; batch["conditions"] (B, T, V, C, H, W),
    batch["camera_features"] (B, V, F), batch["neighbors"] (B, V, K), batch["prompt"] list of B prompts.
    Random draws (noise levels, context frames, prompt dropout, noise) all come from `generator` (CPU).
    """
    b, t, v = latents.shape[:3]
    device = latents.device
    levels = objective.sample_levels(b, generator)  # (B,)
    n_ctx = torch.zeros(b, dtype=torch.long)
    if t > 1 and max_context > 0:
        use = torch.rand(b, generator=generator) < context_prob
        n = torch.randint(1, min(max_context, t - 1) + 1, (b,), generator=generator)
        n_ctx = torch.where(use, n, n_ctx)
    frame = torch.arange(t)
    is_ctx = frame[None, :] < n_ctx[:, None]  # (B, T)
    u = torch.where(is_ctx, torch.zeros(()), levels[:, None])  # (B, T)
    u = u[:, :, None].expand(b, t, v).reshape(-1)
    drop = torch.rand(b, generator=generator) < prompt_drop
    prompts = ["" if d else p for d, p in zip(drop.tolist(), batch["prompt"])]
    x0 = latents.flatten(0, 2)
    noise = torch.randn(x0.shape, generator=generator).to(device, x0.dtype)
    x_t, timesteps, target = objective.noisy(x0, noise, u)
    control = condition_encoder(batch["conditions"].flatten(0, 2).to(device, x0.dtype))
    prompt_embeds = scene_encoder(prompts)
    pred = unet(x_t, timesteps.to(device), prompt_embeds, num_frames=t, num_views=v,
                camera_features=batch["camera_features"].to(device), neighbors=batch["neighbors"].to(device),
                control=control).sample
    err = ((pred.float() - target.float()) ** 2).mean(dim=(1, 2, 3)).reshape(b, t, v)
    weight = (~is_ctx).to(device, err.dtype)[:, :, None].expand_as(err)
    return (err * weight).sum() / weight.sum()


def _build_pipeline(cfg: RendererTrainConfig):
    m, d = cfg.model, cfg.data
    if m.init == "tiny":
        return tiny_random_pipeline(height=d.height, width=d.width, cross_view=m.cross_view, temporal=m.temporal,
                                    objective=m.objective, sampler=m.sampler, seed=cfg.train.seed)
    if m.init == "image_model":
        return pipeline_from_image_model(m.path, height=d.height, width=d.width, cross_view=m.cross_view,
                                         temporal=m.temporal, objective=m.objective, sampler=m.sampler,
                                         seed=cfg.train.seed)
    pipe = load_pipeline(m.path, device="cpu")
    if (pipe.config.height, pipe.config.width) != (d.height, d.width):
        pipe.register_to_config(height=d.height, width=d.width)
    return pipe


def _trainable(pipe, train_backbone: bool) -> list[torch.nn.Parameter]:
    pipe.vae.requires_grad_(False)
    if not train_backbone:
        pipe.unet.unet.requires_grad_(False)
    mods = (pipe.unet, pipe.condition_encoder, pipe.scene_encoder)
    return [p for mod in mods for p in mod.parameters() if p.requires_grad]


def _checkpoints(root: Path) -> list[Path]:
    found = [p for p in (root / "checkpoints").glob(f"{CHECKPOINT_PREFIX}*") if p.is_dir()
             and p.name[len(CHECKPOINT_PREFIX):].isdigit() and (p / "anyscene_state.json").is_file()]
    return sorted(found, key=lambda p: int(p.name[len(CHECKPOINT_PREFIX):]))


def _resume_dir(cfg: RendererTrainConfig, out: Path) -> Path | None:
    r = cfg.train.resume
    if not r:
        return None
    if r == "latest":
        found = _checkpoints(out)
        return found[-1] if found else None
    path = Path(r)
    if not (path / "anyscene_state.json").is_file():
        raise ConfigError(f"train.resume: {path} is not a checkpoint folder (no anyscene_state.json)")
    return path


class _ClipOrder:
    """Deterministic, resumable order of clip indices: a fresh seeded permutation per epoch; micro-batch k of
    process r takes positions ((k · P + r) · B ...) of the endless sequence."""

    def __init__(self, n: int, batch_size: int, seed: int, processes: int, rank: int, start: int):
        self.n, self.b, self.seed, self.p, self.r, self.start = n, batch_size, seed, processes, rank, start

    def __iter__(self):
        k = self.start
        perms: dict[int, torch.Tensor] = {}
        while True:
            first = (k * self.p + self.r) * self.b
            batch = []
            for pos in range(first, first + self.b):
                epoch = pos // self.n
                if epoch not in perms:
                    perms.clear()
                    perms[epoch] = torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed + epoch))
                batch.append(int(perms[epoch][pos % self.n]))
            yield batch
            k += 1


def _save_grid(path: Path, real: np.ndarray, fake: np.ndarray) -> None:
    """PNG grid: for each frame a row of real images then a row of generated ones; (T, V, H, W, 3) uint8 each."""
    rows = []
    for r, f in zip(real, fake):
        rows += [np.concatenate(list(r), axis=1), np.concatenate(list(f), axis=1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


def _validate(pipe, clip: dict, steps: int, seed: int, path: Path) -> None:
    real = ((clip["images"].permute(0, 1, 3, 4, 2).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
    t = clip["conditions"].shape[0]
    out = pipe(clip["conditions"], clip["cameras"], prompt=clip["prompt"], num_inference_steps=steps,
               generator=torch.Generator().manual_seed(seed), chunk_size=max(t, 2), overlap=min(1, t - 1) if t > 1
               else 0)
    _save_grid(path, real, out.frames)


def train(cfg: RendererTrainConfig, layouts=None) -> TrainResult:
    """Run (or resume) the training described by `cfg`; see the module docstring for what is written.
    `layouts(scene_name) -> Layout` gives imported scenes for real dataroots without condition maps or Occ3D
    labels (see data.py)."""
    from accelerate import Accelerator, DistributedDataParallelKwargs
    from accelerate.utils import set_seed
    from diffusers.optimization import get_scheduler
    from safetensors.torch import load_file, save_file

    tc, dc = cfg.train, cfg.data
    out = Path(tc.output_dir)
    resume = _resume_dir(cfg, out)
    if resume is None and out.exists() and any(out.iterdir()) and not tc.resume:
        raise OutputError(f"{out}: output folder is not empty; choose another train.output_dir or set "
                          f"train.resume=latest to continue")
    accelerator = Accelerator(mixed_precision=tc.mixed_precision,
                              gradient_accumulation_steps=tc.gradient_accumulation_steps, cpu=tc.cpu,
                              kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)])
    set_seed(tc.seed)
    dataset = NuScenesClipDataset(dc.dataroot, dc.version, dc.cameras, dc.height, dc.width, dc.clip_length,
                                  dc.clip_stride, dc.scenes, dc.grid, dc.conditions, layouts)
    val_clip = dataset[0]
    if dc.val_scenes:
        val_set = NuScenesClipDataset(dc.dataroot, dc.version, dc.cameras, dc.height, dc.width, dc.clip_length,
                                      dc.clip_stride, dc.val_scenes, dc.grid, dc.conditions, layouts)
        val_clip = val_set[0]
    pipe = _build_pipeline(cfg)
    params = _trainable(pipe, cfg.model.train_backbone)
    if tc.gradient_checkpointing:
        pipe.unet.enable_gradient_checkpointing()
    weight_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(accelerator.mixed_precision, torch.float32)
    pipe.vae.to(accelerator.device, dtype=weight_dtype)
    for mod in (pipe.unet, pipe.condition_encoder, pipe.scene_encoder):
        mod.train()
    optimizer = torch.optim.AdamW(params, lr=tc.learning_rate, weight_decay=tc.weight_decay)
    lr_scheduler = get_scheduler("constant_with_warmup", optimizer, num_warmup_steps=tc.lr_warmup_steps)
    unet, cond_enc, scene_enc, optimizer, lr_scheduler = accelerator.prepare(
        pipe.unet, pipe.condition_encoder, pipe.scene_encoder, optimizer, lr_scheduler)
    ema = None
    if tc.ema_decay:
        from diffusers.training_utils import EMAModel

        ema = EMAModel(params, decay=tc.ema_decay)
        ema.to(accelerator.device)
        accelerator.register_for_checkpointing(ema)
    objective = TrainingObjective(cfg.model.objective)
    generator = torch.Generator().manual_seed(tc.seed * 1000 + accelerator.process_index)

    step = 0
    if resume is not None:
        accelerator.load_state(str(resume))
        state = json.loads((resume / "anyscene_state.json").read_text())
        step = int(state["step"])
        generator.set_state(load_file(str(resume / f"rng_{accelerator.process_index}.safetensors"))["state"])
        accelerator.print(f"resumed from {resume} at step {step}")
    out.mkdir(parents=True, exist_ok=True)
    order = _ClipOrder(len(dataset), tc.batch_size, tc.seed, accelerator.num_processes, accelerator.process_index,
                       step * tc.gradient_accumulation_steps)
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=order, collate_fn=collate_clips,
                                         num_workers=dc.num_workers)
    log_path = out / "log.jsonl"
    losses: list[float] = []
    window: list[float] = []
    t0 = time.time()
    bar = tqdm(total=tc.max_steps, initial=step, disable=not (tc.progress and accelerator.is_main_process),
               desc="train-renderer")
    batches = iter(loader)
    while step < tc.max_steps:
        step_loss = 0.0
        for _ in range(tc.gradient_accumulation_steps):
            batch = next(batches)
            with accelerator.accumulate(unet, cond_enc, scene_enc):
                images = batch["images"].to(accelerator.device, weight_dtype)
                with torch.no_grad():
                    lat = pipe.encode_images(images.flatten(0, 2), generator=None).float()
                latents = lat.reshape(*images.shape[:3], *lat.shape[1:])
                with accelerator.autocast():
                    loss = training_loss(unet, cond_enc, scene_enc, latents, batch, objective, generator,
                                         tc.context_prob, tc.max_context, tc.prompt_drop)
                accelerator.backward(loss)
                if accelerator.sync_gradients and tc.max_grad_norm > 0:
                    accelerator.clip_grad_norm_(params, tc.max_grad_norm)
                optimizer.step()
                lr_scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            step_loss += float(loss.detach()) / tc.gradient_accumulation_steps
        step += 1
        if ema is not None:
            ema.step(params)
        if not math.isfinite(step_loss):
            raise FloatingPointError(f"loss became {step_loss} at step {step}")
        losses.append(step_loss)
        window.append(step_loss)
        bar.update(1)
        bar.set_postfix(loss=f"{step_loss:.4f}")
        if accelerator.is_main_process and (step % tc.log_every == 0 or step == tc.max_steps):
            rec = {"step": step, "loss": float(np.mean(window)), "lr": lr_scheduler.get_last_lr()[0],
                   "elapsed_s": round(time.time() - t0, 3)}
            with log_path.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            window = []
        if step % tc.checkpoint_every == 0 or step == tc.max_steps:
            _checkpoint(accelerator, out, step, generator, tc.checkpoints_keep, save_file)
        if tc.validate_every and accelerator.is_main_process and (step % tc.validate_every == 0
                                                                   or step == tc.max_steps):
            with _ema_weights(ema, params):
                _run_validation(pipe, accelerator, val_clip, tc, out / "samples" / f"step-{step:06d}.png")
    bar.close()
    accelerator.wait_for_everyone()
    pipe_dir = out / "pipeline"
    if accelerator.is_main_process:
        with _ema_weights(ema, params):
            _save_pipeline(pipe, accelerator, pipe_dir)
    accelerator.wait_for_everyone()
    return TrainResult(step, losses, pipe_dir)


@contextmanager
def _ema_weights(ema, params):
    """The EMA weights in the models while inside (no-op without EMA)."""
    if ema is None:
        yield
        return
    ema.store(params)
    ema.copy_to(params)
    try:
        yield
    finally:
        ema.restore(params)


def _unwrapped(pipe, accelerator):
    """The pipeline with plain (unwrapped) modules, models in eval mode."""
    for name in ("unet", "condition_encoder", "scene_encoder"):
        mod = accelerator.unwrap_model(getattr(pipe, name))
        mod.eval()
    return pipe


def _run_validation(pipe, accelerator, clip: dict, tc, path: Path) -> None:
    _unwrapped(pipe, accelerator)
    try:
        _validate(pipe, clip, tc.validation_steps, tc.seed, path)
    finally:
        for name in ("unet", "condition_encoder", "scene_encoder"):
            getattr(pipe, name).train()


def _save_pipeline(pipe, accelerator, path: Path) -> None:
    _unwrapped(pipe, accelerator)

    with atomic_folder(path, overwrite=True) as tmp:
        pipe.save_pretrained(tmp)


def _checkpoint(accelerator, out: Path, step: int, generator: torch.Generator, keep: int, save_file) -> None:
    path = out / "checkpoints" / f"{CHECKPOINT_PREFIX}{step:06d}"
    accelerator.save_state(str(path))
    save_file({"state": generator.get_state()}, str(path / f"rng_{accelerator.process_index}.safetensors"))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (path / "anyscene_state.json").write_text(json.dumps({"step": step}))
        for old in _checkpoints(out)[:-keep]:
            shutil.rmtree(old)
