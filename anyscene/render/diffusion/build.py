"""Building a pipeline: tiny and randomly initialised (tests, training from scratch), or from a pretrained image
model in diffusers format in a local folder (e.g. a Stable Diffusion 1.5 / 2.1 layout with `vae/` and `unet/`)."""
from __future__ import annotations

from pathlib import Path

import torch

from ...errors import ConfigError
from .conditions import CONDITION_CHANNELS
from .models.condition_encoder import ConditionEncoder
from .models.multiview_unet import MultiViewUNet
from .models.scene_prompt import DEFAULT_TAGS, ScenePromptEncoder
from .pipeline_multiview_video import AnySceneVideoPipeline
from .schedulers import make_scheduler

TINY_UNET = dict(
    sample_size=8, in_channels=4, out_channels=4, block_out_channels=(32, 64), layers_per_block=1,
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=32, attention_head_dim=8, norm_num_groups=8,
)
TINY_VAE = dict(
    in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 3,
    up_block_types=("UpDecoderBlock2D",) * 3, block_out_channels=(16, 32, 32), layers_per_block=1,
    latent_channels=4, norm_num_groups=8, sample_size=32,
    scaling_factor=3.0,  # brings the randomly initialised encoder's latents to about unit variance
)


def _assemble(vae, unet, *, height: int, width: int, cross_view: bool, temporal: bool, objective: str,
              sampler: str, attention_head_dim: int, camera_hidden: int, embedding_channels, feature_channels,
              prompt_tags=None):
    factor = 2 ** (len(vae.config.block_out_channels) - 1)
    if len(embedding_channels) - 1 != factor.bit_length() - 1:
        raise ConfigError(f"embedding_channels needs {factor.bit_length()} entries to reach the VAE's 1/{factor} "
                          f"latent resolution, got {len(embedding_channels)}")
    if height % factor or width % factor:
        raise ConfigError(f"image size {height}x{width} must be a multiple of the VAE's factor {factor}")
    mv = MultiViewUNet.from_unet(unet, cross_view=cross_view, temporal=temporal,
                                 attention_head_dim=attention_head_dim, camera_hidden=camera_hidden)
    cfg = unet.config
    cond = ConditionEncoder(condition_channels=CONDITION_CHANNELS, embedding_channels=tuple(embedding_channels),
                            feature_channels=tuple(feature_channels), block_out_channels=tuple(cfg.block_out_channels),
                            layers_per_block=cfg.layers_per_block)
    scene = ScenePromptEncoder(cross_attention_dim=cfg.cross_attention_dim, tags=tuple(prompt_tags or DEFAULT_TAGS))
    if unet.dtype != torch.float32:
        cond, scene = cond.to(unet.dtype), scene.to(unet.dtype)
    pipe = AnySceneVideoPipeline(vae=vae, unet=mv, condition_encoder=cond, scene_encoder=scene,
                                 scheduler=make_scheduler(objective, sampler), height=height, width=width)
    for model in (vae, mv, cond, scene):
        model.eval()
    pipe.set_progress_bar_config(disable=True)
    return pipe


def tiny_random_pipeline(*, height: int = 32, width: int = 64, cross_view: bool = True, temporal: bool = True,
                         objective: str = "flow_matching", sampler: str = "euler", seed: int = 0):
    """A tiny randomly initialised pipeline (VAE with 1/4 latents, two-level UNet; 1.1 M parameters) for tests
    and for training from scratch on a CPU. Same seed => identical weights."""
    from diffusers import AutoencoderKL, UNet2DConditionModel

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vae = AutoencoderKL(**TINY_VAE)
        unet = UNet2DConditionModel(**TINY_UNET)
        return _assemble(vae, unet, height=height, width=width, cross_view=cross_view, temporal=temporal,
                         objective=objective, sampler=sampler, attention_head_dim=16, camera_hidden=32,
                         embedding_channels=(8, 16, 16), feature_channels=(16, 32))


def pipeline_from_image_model(path: str | Path, *, height: int = 128, width: int = 224, cross_view: bool = True,
                              temporal: bool = True, objective: str = "flow_matching", sampler: str = "euler",
                              seed: int = 0, torch_dtype: torch.dtype | None = None):
    """A pipeline whose VAE and UNet come from a local diffusers image-model folder (`PATH/vae`, `PATH/unet`, as in
    Stable Diffusion 1.5 / 2.1); the condition encoder, camera embedding, cross-view and temporal layers are new
    and start at zero, so the pretrained model's behaviour is unchanged at step 0."""
    from diffusers import AutoencoderKL, UNet2DConditionModel

    root = Path(path)
    for sub in ("vae", "unet"):
        if not (root / sub / "config.json").is_file():
            raise ConfigError(f"{root}: not a diffusers image-model folder (missing {sub}/config.json)")
    vae = AutoencoderKL.from_pretrained(root, subfolder="vae", torch_dtype=torch_dtype)
    unet = UNet2DConditionModel.from_pretrained(root, subfolder="unet", torch_dtype=torch_dtype)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _assemble(vae, unet, height=height, width=width, cross_view=cross_view, temporal=temporal,
                         objective=objective, sampler=sampler, attention_head_dim=64, camera_hidden=256,
                         embedding_channels=(16, 32, 96, 256, 256)[:len(vae.config.block_out_channels)],
                         feature_channels=tuple(min(c, 256) for c in unet.config.block_out_channels))


# Stable Diffusion 1.5's UNet and VAE architectures (the configs of its diffusers folder), for benchmarks of the
# production-sized model without its weights.
SD15_UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, block_out_channels=(320, 640, 1280, 1280), layers_per_block=2,
    down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3, cross_attention_dim=768, attention_head_dim=8,
    norm_num_groups=32,
)
SD15_VAE = dict(
    in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4, block_out_channels=(128, 256, 512, 512), layers_per_block=2,
    latent_channels=4, norm_num_groups=32, sample_size=512, scaling_factor=0.18215,
)


def sd15_architecture_pipeline(*, height: int = 128, width: int = 224, seed: int = 0,
                               torch_dtype: torch.dtype | None = None):
    """A randomly initialised pipeline with Stable Diffusion 1.5's VAE and UNet architecture and the same new
    layers as `pipeline_from_image_model`: the speed and memory of the real model, without its weights."""
    from diffusers import AutoencoderKL, UNet2DConditionModel

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vae = AutoencoderKL(**SD15_VAE)
        unet = UNet2DConditionModel(**SD15_UNET)
        if torch_dtype not in (None, torch.float32):
            vae, unet = vae.to(torch_dtype), unet.to(torch_dtype)
        return _assemble(vae, unet, height=height, width=width, cross_view=True, temporal=True,
                         objective="flow_matching", sampler="euler", attention_head_dim=64, camera_hidden=256,
                         embedding_channels=(16, 32, 96, 256), feature_channels=(256, 256, 256, 256))
