"""The diffusion renderer over a scene's camera instants (registered as `diffusion` in
anyscene.render.base.RENDERERS): trained multi-view video weights turn condition maps into images, a chunk of
instants at a time. Its scene prompt comes from the layout's environment unless the config sets one."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

import numpy as np


@dataclass
class DiffusionRenderConfig:
    """Settings of the diffusion renderer."""

    weights: Optional[str] = None  # folder of trained diffusion renderer weights
    steps: int = 25  # denoising steps per chunk
    sampler: Optional[str] = None  # euler, dpmsolver or ddim; None keeps the trained pipeline's scheduler
    chunk_size: int = 8  # camera instants generated together
    overlap: int = 2  # instants of context carried from one chunk to the next
    prompt: Optional[str] = None  # scene tags such as "night, rain"; None: from the layout's environment


class DiffusionStream:
    """Diffusion images of one world's camera instants."""

    def __init__(self, world, cameras, config: DiffusionRenderConfig, *, seed: int, scene=None, workers: int = 2):
        from .diffusion.renderer import DiffusionRenderer

        self.world, self.cameras, self.config, self.seed = world, list(cameras), config, int(seed)
        self.renderer = DiffusionRenderer.from_pretrained(
            config.weights, num_inference_steps=config.steps, sampler=config.sampler, chunk_size=config.chunk_size,
            overlap=config.overlap, prompt=config.prompt)
        self.prompt = config.prompt if config.prompt is not None else self.environment_prompt()

    def environment_prompt(self) -> str:
        """The layout environment's tags that the trained prompt encoder knows."""
        from .diffusion.models.scene_prompt import environment_prompt

        encoder = getattr(getattr(self.renderer, "pipeline", None), "scene_encoder", None)
        vocabulary = tuple(encoder.config.tags) if encoder is not None else ()
        return environment_prompt(self.world.layout.environment, vocabulary)

    def render_stream(self, instants: Iterable[tuple[int, int, list]]) -> Iterator[tuple[int, int, list[np.ndarray]]]:
        keys: deque[tuple[int, int]] = deque()

        def frames():
            for j, us, f in instants:
                keys.append((j, us))
                yield f

        for imgs in self.renderer.render_video(frames(), self.cameras, seed=self.seed, prompt=self.prompt or None):
            j, us = keys.popleft()
            yield j, us, imgs


def check_diffusion_config(config: DiffusionRenderConfig) -> None:
    """ConfigError when the diffusion renderer is not installed, the weights folder is missing or not a trained
    pipeline, or a setting is out of range."""
    from ..errors import ConfigError

    if not 1 <= config.steps <= 1000:
        raise ConfigError("diffusion.steps must be 1..1000")
    if config.sampler not in (None, "euler", "dpmsolver", "ddim"):
        raise ConfigError("diffusion.sampler: choose euler, dpmsolver or ddim")
    if not 1 <= config.chunk_size <= 64:
        raise ConfigError("diffusion.chunk_size must be 1..64")
    if not 0 <= config.overlap < config.chunk_size:
        raise ConfigError("diffusion: need 0 <= overlap < chunk_size")
    try:
        from .diffusion.renderer import check_weights_folder
    except ImportError as e:
        raise ConfigError(f"renderer diffusion: the diffusion renderer is not installed ({e}); "
                          f"use --renderer raster") from None
    if not config.weights:
        raise ConfigError("renderer diffusion needs --weights DIR")
    from pathlib import Path

    check_weights_folder(Path(config.weights))
