"""The renderer seam: one protocol over a scene's camera instants, and the registry of renderers by name.

A renderer is built once per world, `build_renderer(name, world, cameras, config, seed=..., scene=...)`, and
then turns a stream of camera instants `(index, µs, frames)` (frames: the CameraFrames of one instant in
camera order) into `(index, µs, images)` in the same order, one (H, W, 3) uint8 image per camera. Each renderer
has its own typed config dataclass, and that dataclass *is* its section of configs/generate.yaml (`section`):
`anyscene generate` hands the section to the renderer as it is. The registry is a plain dict filled here (not by
imports elsewhere); the implementations are imported only when built, so optional dependencies (diffusers,
torch) stay optional. A new renderer is one module plus one `register` line below.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol

import numpy as np

from ..errors import ConfigError
from .diffusion_stream import DiffusionRenderConfig
from .raster_renderer import RasterConfig

Instant = tuple[int, int, list]  # (camera instant index, timestamp µs, CameraFrames in camera order)


class Renderer(Protocol):
    """Images of camera instants, in order; see the module docstring."""

    def render_stream(self, instants: Iterable[Instant]) -> Iterator[tuple[int, int, list[np.ndarray]]]: ...


@dataclass(frozen=True)
class RendererEntry:
    """One registered renderer: its `name`, its `config` dataclass, `factory` "module:Class" of the class built
    as Class(world, cameras, config, seed=, scene=, workers=), the `section` of configs/generate.yaml that
    holds its config, `check` "module:function" that raises ConfigError for a config this installation cannot
    run (called before anything is written), and `needs_gl`: whether it draws on the headless GL context."""

    name: str
    config: type
    factory: str
    section: str = ""
    check: str = ""
    needs_gl: bool = False

    def check_config(self, config) -> None:
        """ConfigError when this renderer cannot run with `config` here (bad values, missing parts)."""
        if self.check:
            module, _, attr = self.check.partition(":")
            getattr(importlib.import_module(module), attr)(config)

    def build(self, world, cameras, config, *, seed: int, scene=None, workers: int = 2) -> Renderer:
        if not isinstance(config, self.config):
            raise TypeError(f"renderer {self.name} takes a {self.config.__name__}, got {type(config).__name__}")
        module, _, attr = self.factory.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except ImportError as e:
            raise ConfigError(f"renderer {self.name}: not installed ({e}); use --renderer raster") from None
        return cls(world, cameras, config, seed=seed, scene=scene, workers=workers)


RENDERERS: dict[str, RendererEntry] = {}


def register(entry: RendererEntry) -> RendererEntry:
    """Add a renderer to RENDERERS; ValueError when the name is taken."""
    if entry.name in RENDERERS:
        raise ValueError(f"renderer {entry.name!r} is already registered")
    RENDERERS[entry.name] = entry
    return entry


def renderer_entry(name: str) -> RendererEntry:
    """The registered renderer `name`; ConfigError naming the known ones otherwise."""
    if name not in RENDERERS:
        raise ConfigError(f"renderer {name!r}: choose one of {', '.join(RENDERERS)}")
    return RENDERERS[name]


def build_renderer(name: str, world, cameras, config, *, seed: int, scene=None, workers: int = 2) -> Renderer:
    """The renderer `name` for `world` and `cameras` (the rig's, in order), with its typed `config`."""
    return renderer_entry(name).build(world, cameras, config, seed=seed, scene=scene, workers=workers)


register(RendererEntry("raster", RasterConfig, "anyscene.render.raster_renderer:RasterRenderer", "raster",
                       "anyscene.render.raster_renderer:check_raster_config"))
register(RendererEntry("gl", RasterConfig, "anyscene.render.gl_renderer:GLRenderer", "raster",
                       "anyscene.render.raster_renderer:check_raster_config", needs_gl=True))
register(RendererEntry("diffusion", DiffusionRenderConfig, "anyscene.render.diffusion_stream:DiffusionStream",
                       "diffusion", "anyscene.render.diffusion_stream:check_diffusion_config"))
