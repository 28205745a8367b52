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
