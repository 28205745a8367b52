"""`AnySceneVideoPipeline`: multi-view driving video from per-camera condition maps.

Long videos are generated in chunks of at most `chunk_size` frames. Every chunk after the first starts with
`overlap` context frames: the last frames of the previous chunk, as clean latents (timestep 0) with their
conditions. The new frames attend to them through the causal temporal attention, so motion and appearance carry
across the seam; the context frames themselves are not re-generated. GPU memory depends on `chunk_size`, not on
the video's length. A video can be produced by one call, or streamed by calling the pipeline once per chunk and
passing the returned `context` to the next call (both give identical frames for the same generator).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch
from diffusers import AutoencoderKL, DiffusionPipeline
from diffusers.utils import BaseOutput
from diffusers.utils.torch_utils import randn_tensor

from .conditions import CONDITION_CHANNELS, camera_features, rig_neighbors
from .models.condition_encoder import ConditionEncoder
from .models.multiview_unet import MultiViewUNet
from .models.scene_prompt import ScenePromptEncoder


@dataclass
class VideoContext:
    """The tail of a generated video that the next chunk continues from: `latents` (O, V, c, h, w) clean latents
    and `conditions` (O, V, CONDITION_CHANNELS, H, W) of the last O frames."""

    latents: torch.Tensor
    conditions: torch.Tensor


@dataclass
class AnySceneVideoPipelineOutput(BaseOutput):
    """`frames`: uint8 (T, V, H, W, 3) RGB for output_type "np", or latents (T, V, c, h, w) for "latent";
    `context`: what a following call needs to continue the video."""

    frames: np.ndarray | torch.Tensor
    context: VideoContext | None


def rig_tensors(cameras: Sequence, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, V, CAMERA_FEATURES) camera features and (1, V, 2) neighbour indices of a rig's cameras."""
    feats = torch.from_numpy(np.stack([camera_features(c) for c in cameras]))[None]
    nbrs = torch.from_numpy(rig_neighbors(cameras))[None]
    return feats.to(device), nbrs.to(device)


def _frames(conditions) -> Iterator[torch.Tensor]:
    for frame in conditions:
        yield torch.as_tensor(frame)


class AnySceneVideoPipeline(DiffusionPipeline):
    """Components: `vae` (AutoencoderKL), `unet` (MultiViewUNet), `condition_encoder` (ConditionEncoder),
    `scene_encoder` (ScenePromptEncoder) and `scheduler` (any scheduler matching the training objective, see
    `schedulers.make_scheduler`). `height`/`width` are the image size the model was trained at (pixels)."""

    model_cpu_offload_seq = "scene_encoder->condition_encoder->unet->vae"

    def __init__(self, vae: AutoencoderKL, unet: MultiViewUNet, condition_encoder: ConditionEncoder,
                 scene_encoder: ScenePromptEncoder, scheduler, height: int = 128, width: int = 224):
        super().__init__()
        self.register_modules(vae=vae, unet=unet, condition_encoder=condition_encoder, scene_encoder=scene_encoder,
                              scheduler=scheduler)
        self.register_to_config(height=height, width=width)

    def save_pretrained(self, save_directory, safe_serialization: bool = True, **kwargs) -> None:
        """Save every component under `save_directory` as safetensors + JSON configs (pickles are never written)."""
        if not safe_serialization:
            raise ValueError("AnyScene pipelines are saved as safetensors only")
        super().save_pretrained(save_directory, safe_serialization=True, **kwargs)
        pickled = [p for p in Path(save_directory).rglob("*") if p.suffix in (".bin", ".pkl", ".pt", ".pth")]
        if pickled:
            raise RuntimeError(f"unexpected pickled files written: {pickled}")

    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    def decode_latents(self, latents: torch.Tensor) -> np.ndarray:
        """Latents (N, c, h, w) -> uint8 RGB (N, H, W, 3)."""
        shift = self.vae.config.get("shift_factor") or 0.0
        x = latents.to(self.vae.dtype) / self.vae.config.scaling_factor + shift
        img = self.vae.decode(x, return_dict=False)[0]
        img = ((img.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        return img.permute(0, 2, 3, 1).cpu().numpy()

    def encode_images(self, images: torch.Tensor, generator: torch.Generator | None = None,
                      sample_posterior: bool = False) -> torch.Tensor:
        """Images (N, 3, H, W) in [-1, 1] -> scaled latents (N, c, h, w): the VAE posterior's mean, or a sample
        of it with `sample_posterior`."""
        shift = self.vae.config.get("shift_factor") or 0.0
        dist = self.vae.encode(images.to(self.vae.device, self.vae.dtype)).latent_dist
        z = dist.sample(generator) if sample_posterior else dist.mode()
        return (z - shift) * self.vae.config.scaling_factor

    def check_inputs(self, first: torch.Tensor, cameras: Sequence, chunk_size: int, overlap: int) -> None:
        v, c, h, w = first.shape
        if c != CONDITION_CHANNELS:
            raise ValueError(f"conditions need {CONDITION_CHANNELS} channels per view, got {c}")
        if len(cameras) != v:
            raise ValueError(f"{v} views of conditions but {len(cameras)} cameras")
        f = self.vae_scale_factor
        if self.condition_encoder.downsample_factor != f:
            raise ValueError(f"the condition encoder downsamples by {self.condition_encoder.downsample_factor}, "
                             f"the VAE by {f}")
        if h % f or w % f:
            raise ValueError(f"image size {h}x{w} must be a multiple of the VAE's factor {f}")
        if not 0 <= overlap < chunk_size:
            raise ValueError(f"need 0 <= overlap < chunk_size, got overlap={overlap}, chunk_size={chunk_size}")

    @torch.no_grad()
    def __call__(self, conditions: torch.Tensor | Iterable, cameras: Sequence, prompt: str | None = None,
                 num_frames: int | None = None, num_inference_steps: int = 30,
                 generator: torch.Generator | None = None, chunk_size: int = 8, overlap: int = 2,
                 context: VideoContext | None = None, output_type: str = "np",
                 return_dict: bool = True) -> AnySceneVideoPipelineOutput | tuple:
        """Generate T frames of V views.

        conditions: (T, V, CONDITION_CHANNELS, H, W) float, or an iterable of per-frame (V, CONDITION_CHANNELS,
            H, W) arrays (read lazily, chunk by chunk); cameras: the V `Camera`s, in the conditions' view order;
        prompt: scene tags such as "night, rain"; num_frames: stop after this many frames (default: all);
        num_inference_steps: 4–8 few-step mode, 25–50 quality mode; chunk_size/overlap: frames per chunk and
        context frames carried into the next chunk; context: the `context` of a previous call to continue from;
        output_type: "np" (uint8 RGB) or "latent".
        """
        if output_type not in ("np", "latent"):
            raise ValueError(f"output_type must be 'np' or 'latent', got {output_type!r}")
        device = self._execution_device
        dtype = self.unet.dtype
        stream = _frames(conditions)
        prompt_embeds = self.scene_encoder([prompt]).to(device, dtype)  # (1, L, D)
        cam_feats, neighbors = rig_tensors(cameras, device)
        ctx_lat = context.latents.to(device, dtype)[-overlap:] if context is not None and overlap else None
        ctx_cond = context.conditions.to(device)[-overlap:] if context is not None and overlap else None
        outputs: list = []
        produced = 0
        checked = False
        while num_frames is None or produced < num_frames:
            n_ctx = 0 if ctx_lat is None else ctx_lat.shape[0]
            want = chunk_size - n_ctx if num_frames is None else min(chunk_size - n_ctx, num_frames - produced)
            new_cond = [f for _, f in zip(range(want), stream)]
            if not new_cond:
                break
            new_cond = torch.stack(new_cond).to(device, torch.float32)  # (Tn, V, C, H, W)
            if not checked:
                self.check_inputs(new_cond[0], cameras, chunk_size, overlap)
                checked = True
            t_new, v, _, h, w = new_cond.shape
            cond = new_cond if ctx_cond is None else torch.cat([ctx_cond, new_cond])
            t_all = cond.shape[0]
            control = self.condition_encoder(cond.flatten(0, 1).to(dtype))

            # 1. noise for the new frames only (drawn frame by frame, so a frame's noise does not depend on how
            #    the video is cut into chunks); the context frames stay clean
            shape = (t_new * v, self.unet.in_channels, h // self.vae_scale_factor, w // self.vae_scale_factor)
            latents = torch.cat([randn_tensor((v, *shape[1:]), generator=generator, device=device,
                                              dtype=torch.float32) for _ in range(t_new)])
            self.scheduler.set_timesteps(num_inference_steps, device=device)
            latents = latents * getattr(self.scheduler, "init_noise_sigma", 1.0)

            # 2. denoising loop
            for t in self.progress_bar(self.scheduler.timesteps):
                model_in = latents
                if hasattr(self.scheduler, "scale_model_input"):
                    model_in = self.scheduler.scale_model_input(latents, t)
                model_in = model_in.to(dtype)
                step_t = torch.full((t_new * v,), float(t), device=device)
                if n_ctx:
                    model_in = torch.cat([ctx_lat.flatten(0, 1), model_in])
                    step_t = torch.cat([torch.zeros(n_ctx * v, device=device), step_t])
                pred = self.unet(model_in, step_t, prompt_embeds, num_frames=t_all, num_views=v,
                                 camera_features=cam_feats, neighbors=neighbors, control=control,
                                 return_dict=False)[0]
                latents = self.scheduler.step(pred[n_ctx * v:].float(), t, latents, return_dict=False)[0]

            # 3. decode, and keep the tail as the next chunk's context
            new_lat = latents.to(dtype).reshape(t_new, v, *shape[1:])
            if output_type == "np":
                outputs.append(np.stack([self.decode_latents(f) for f in new_lat]))  # frame by frame: less memory
            else:
                outputs.append(new_lat.cpu())
            if overlap:
                ctx_lat = torch.cat([ctx_lat, new_lat])[-overlap:] if n_ctx else new_lat[-overlap:]
                ctx_cond = cond[-overlap:]
            produced += t_new
        if not outputs:
            raise ValueError("no condition frames given")
        frames = np.concatenate(outputs) if output_type == "np" else torch.cat(outputs)
        out_ctx = VideoContext(ctx_lat.cpu(), ctx_cond.cpu()) if overlap and ctx_lat is not None else None
        self.maybe_free_model_hooks()
        if not return_dict:
            return frames, out_ctx
        return AnySceneVideoPipelineOutput(frames=frames, context=out_ctx)
