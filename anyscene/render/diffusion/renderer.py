"""The diffusion renderer as used by `anyscene generate --renderer diffusion --weights DIR`.

How the exporter calls it (the same `CameraFrame`s that the raster renderer gets, one list per camera timestamp,
in the rig's camera order; images come back in the same order, streaming chunk by chunk):

    from anyscene.render.diffusion import DiffusionRenderer

    renderer = DiffusionRenderer.from_pretrained(weights_dir, device=None, dtype=None)  # CUDA if available
    frames = ([sensors.render_camera(scene, cam, ego, t) for cam in rig.cameras] for t in camera_times)
    for t, images in zip(camera_times, renderer.render_video(frames, rig.cameras, seed=seed, prompt=None)):
        for cam, rgb in zip(rig.cameras, images):   # rgb: uint8 (cam.height, cam.width, 3)
            write_jpeg(rgb, ...)

`render_video` consumes the frame iterator lazily: it holds at most one chunk of condition maps, so memory does
not grow with the scene's duration. A renderer is deterministic for a given seed, and independent of how the
frames are grouped into chunks by the caller. Images are generated at the model's resolution
(`renderer.height` × `renderer.width`) and resized to each camera's resolution (`native_size=False` keeps the
model's resolution).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import numpy as np

from ...errors import ConfigError
from .build import pipeline_from_image_model, tiny_random_pipeline  # noqa: F401  (re-exported)
from .conditions import encode_camera_frame

if TYPE_CHECKING:
    import torch

    from ...sensors.types import Camera, CameraFrame
    from .pipeline_multiview_video import AnySceneVideoPipeline


def check_weights_folder(path: Path) -> None:
    """A clear error unless `path` is a pipeline folder written by `save_pretrained` with safetensors only."""
    if not (path / "model_index.json").is_file():
        raise ConfigError(f"{path}: not a diffusion renderer weights folder (no model_index.json); train one with "
                          f"`anyscene train-renderer` or save a pipeline with save_pretrained")
    unsafe = sorted(str(p.relative_to(path)) for p in path.rglob("*")
                    if p.is_file() and p.suffix in (".bin", ".pkl", ".pt", ".pth", ".ckpt"))
    if unsafe:
        raise ConfigError(f"{path}: refusing pickled weight files {unsafe}; AnyScene loads safetensors only")


def load_pipeline(weights_dir: str | Path, device=None, dtype=None) -> "AnySceneVideoPipeline":
    """An `AnySceneVideoPipeline` from a folder written by `save_pretrained` (safetensors only)."""
    import torch

    from .pipeline_multiview_video import AnySceneVideoPipeline

    path = Path(weights_dir)
    check_weights_folder(path)
    from diffusers.utils import logging as dlogging

    bar = dlogging.is_progress_bar_enabled()
    dlogging.disable_progress_bar()  # loading is quick; callers show their own progress
    try:
        pipe = AnySceneVideoPipeline.from_pretrained(path, dtype=dtype or torch.float32, use_safetensors=True)
    finally:
        if bar:
            dlogging.enable_progress_bar()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


class DiffusionRenderer:
    """Camera frames of a scene -> RGB video of every camera, by an `AnySceneVideoPipeline`.

    `num_inference_steps`: 4–8 for the few-step mode, 25–50 for quality; `sampler`: None keeps the pipeline's
    scheduler, else "euler" | "dpmsolver" | "ddim" (must match the model's objective); `chunk_size`/`overlap`:
    frames per generated chunk and context frames carried across chunks; `prompt`: scene tags such as
    "night, rain" (None: unspecified).
    """

    def __init__(self, pipeline: "AnySceneVideoPipeline", *, num_inference_steps: int = 25,
                 sampler: str | None = None, chunk_size: int = 8, overlap: int = 2, prompt: str | None = None):
        if not 0 <= overlap < chunk_size:
            raise ConfigError(f"diffusion renderer: need 0 <= overlap < chunk_size, got {overlap}, {chunk_size}")
        self.pipeline = pipeline
        if sampler is not None:
            from .schedulers import make_scheduler, objective_of

            pipeline.scheduler = make_scheduler(objective_of(pipeline.scheduler), sampler)
        self.num_inference_steps = num_inference_steps
        self.chunk_size = chunk_size
        self.overlap = overlap
        self.prompt = prompt

    @classmethod
    def from_pretrained(cls, weights_dir: str | Path, device=None, dtype=None, **options) -> "DiffusionRenderer":
        """Load the pipeline saved in `weights_dir` (CUDA when available unless `device` is given; `dtype` e.g.
        torch.float16 on a GPU); `options` are the constructor's keyword arguments."""
        return cls(load_pipeline(weights_dir, device, dtype), **options)

    @property
    def height(self) -> int:
        return int(self.pipeline.config.height)

    @property
    def width(self) -> int:
        return int(self.pipeline.config.width)

    def conditions(self, frames: Sequence["CameraFrame"]) -> np.ndarray:
        """(V, CONDITION_CHANNELS, height, width) float32 condition maps of one timestamp's camera frames."""
        return np.stack([encode_camera_frame(f, self.height, self.width) for f in frames])

    def render_video(self, frames: Iterable[Sequence["CameraFrame"]], cameras: Sequence["Camera"], *,
                     seed: int = 0, prompt: str | None = None, native_size: bool = True
                     ) -> Iterator[list[np.ndarray]]:
        """For each timestamp of `frames` (a list of CameraFrames in the order of `cameras`), yield the list of
        RGB images uint8 (H, W, 3), one per camera, in order. Streams: a chunk is generated as soon as its
        frames have arrived."""
        import torch

        channels = [c.channel for c in cameras]
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
        context = None
        buffer: list[np.ndarray] = []
        for frame_list in frames:
            got = [f.channel for f in frame_list]
            if got != channels:
                raise ValueError(f"camera frames {got} do not match the cameras {channels}")
            buffer.append(self.conditions(frame_list))
            if len(buffer) == self.chunk_size - (self.overlap if context is not None else 0):
                images, context = self._generate(buffer, cameras, generator, context, prompt)
                buffer = []
                yield from self._resize(images, cameras, native_size)
        if buffer:
            images, context = self._generate(buffer, cameras, generator, context, prompt)
            yield from self._resize(images, cameras, native_size)

    def _generate(self, buffer, cameras, generator: "torch.Generator", context, prompt):
        out = self.pipeline(np.stack(buffer), cameras, prompt=prompt if prompt is not None else self.prompt,
                            num_inference_steps=self.num_inference_steps, generator=generator,
                            chunk_size=self.chunk_size, overlap=self.overlap, context=context)
        return out.frames, out.context

    @staticmethod
    def _resize(images: np.ndarray, cameras: Sequence["Camera"], native_size: bool) -> Iterator[list[np.ndarray]]:
        from PIL import Image

        for per_frame in images:
            row = []
            for img, cam in zip(per_frame, cameras):
                if native_size and img.shape[:2] != (cam.height, cam.width):
                    img = np.asarray(Image.fromarray(img).resize((cam.width, cam.height), Image.BICUBIC))
                row.append(img)
            yield row
