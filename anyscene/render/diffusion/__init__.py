"""The neural renderer: multi-view driving video from the per-camera conditions of the occupancy world, built on
diffusers. See docs/diffusion.md.

Modules: `conditions` (condition maps and camera features), `models` (condition encoder, inflated multi-view
UNet, scene prompt), `schedulers` (objectives and samplers), `pipeline_multiview_video` (AnySceneVideoPipeline),
`renderer` (DiffusionRenderer, used by `anyscene generate --renderer diffusion`), `build` (tiny / pretrained
pipelines), `data`, `config` and `train` (`anyscene train-renderer`). torch and diffusers are imported only when
one of these names is used.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "AnySceneVideoPipeline": "pipeline_multiview_video",
    "VideoContext": "pipeline_multiview_video",
    "DiffusionRenderer": "renderer",
    "tiny_random_pipeline": "build",
    "pipeline_from_image_model": "build",
    "encode_conditions": "conditions",
    "make_scheduler": "schedulers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
