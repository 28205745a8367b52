"""A diffusers image UNet inflated into a multi-view video denoiser.

`MultiViewUNet` holds an unmodified `UNet2DConditionModel` (`self.unet`, loadable from any diffusers folder,
e.g. a Stable Diffusion 1.5 / 2.1 layout) and adds, while its own `forward` runs:

- after every `Transformer2DModel` of the UNet, cross-view attention (each camera attends to its left and right
  rig neighbours, found from the cameras' extrinsics) and causal temporal attention (each view attends to itself
  in this and earlier frames of the chunk);
- a camera embedding (MLP on intrinsics + extrinsics features) added to the timestep embedding;
- the condition encoder's residuals: after conv_in, on the skip connections and the mid block.

Every addition starts at zero, so a freshly inflated model reproduces the image UNet exactly. Batches are laid
out (B·T·V, C, h, w) with the view index fastest, then the frame, then the batch element.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel, UNet2DConditionOutput
from torch import nn

from ..conditions import CAMERA_FEATURES
from .attention import CameraEmbedding, CrossViewAttention, TemporalAttention
from .condition_encoder import ControlResiduals, match_size


@dataclass
class _Call:
    """What the inflation layers need during one forward pass."""

    batch: int
    frames: int
    views: int
    neighbors: torch.Tensor | None  # (B, V, K)
    camera_emb: torch.Tensor | None  # (N, D_time)
    control: ControlResiduals | None


def _key(module_name: str) -> str:
    return module_name.replace(".", "_")


class MultiViewUNet(ModelMixin, ConfigMixin):
    """Multi-view video denoiser: `unet_config` is the wrapped UNet2DConditionModel's config; `cross_view` and
    `temporal` switch the inflation layers; `attention_head_dim` sets their head width; `camera_hidden` is the
    camera MLP's width."""

    _supports_gradient_checkpointing = True

    @register_to_config
    def __init__(self, unet_config: dict[str, Any], cross_view: bool = True, temporal: bool = True,
                 num_neighbors: int = 2, attention_head_dim: int = 64, camera_hidden: int = 256):
        super().__init__()
        self.unet = UNet2DConditionModel.from_config(unet_config)
        self.transformer_names = [n for n, m in self.unet.named_modules() if isinstance(m, Transformer2DModel)]
        channels = {n: self.unet.get_submodule(n).config.in_channels for n in self.transformer_names}
        self.cross_view_layers = nn.ModuleDict(
            {_key(n): CrossViewAttention(c, attention_head_dim, num_neighbors) for n, c in channels.items()}
            if cross_view else {})
        self.temporal_layers = nn.ModuleDict(
            {_key(n): TemporalAttention(c, attention_head_dim) for n, c in channels.items()} if temporal else {})
        time_dim = self.unet.time_embedding.linear_2.out_features
        self.camera_embedding = CameraEmbedding(CAMERA_FEATURES, time_dim, camera_hidden)
        self._call: _Call | None = None

    @classmethod
    def from_unet(cls, unet: UNet2DConditionModel, **kwargs) -> "MultiViewUNet":
        """Inflate a (pretrained) image UNet; its weights are copied, the new layers start at zero."""
        model = cls(unet_config=dict(unet.config), **kwargs)
        model.unet.load_state_dict(unet.state_dict())
        return model if unet.dtype == model.dtype else model.to(dtype=unet.dtype)

    @property
    def in_channels(self) -> int:
        return self.unet.config.in_channels

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor | float, encoder_hidden_states: torch.Tensor,
                *, num_frames: int, num_views: int, camera_features: torch.Tensor | None = None,
                neighbors: torch.Tensor | None = None, control: ControlResiduals | None = None,
                return_dict: bool = True) -> UNet2DConditionOutput | tuple:
        """Denoise a batch of B·T·V latents.

        sample (B·T·V, c, h, w); timestep scalar or (B·T·V,) (frames may sit at different noise levels, e.g.
        clean context frames at 0); encoder_hidden_states (B, L, D) scene-prompt tokens; camera_features
        (B, V, CAMERA_FEATURES); neighbors (B, V, K) view indices for cross-view attention; control the
        condition encoder's residuals for the same batch. Returns the model output of the sample's shape.
        """
        n = sample.shape[0]
        tv = num_frames * num_views
        if n % tv:
            raise ValueError(f"batch {n} is not a multiple of num_frames·num_views = {tv}")
        b = n // tv
        ehs = encoder_hidden_states.to(sample.dtype).repeat_interleave(tv, dim=0)
        cam = None
        if camera_features is not None:
            feats = camera_features.to(sample.device, sample.dtype)[:, None].expand(b, num_frames, num_views, -1)
            cam = self.camera_embedding(feats.reshape(n, -1))
        if self.cross_view_layers and num_views > 1 and neighbors is None:
            raise ValueError("cross-view attention needs the rig's `neighbors`")
        call = _Call(b, num_frames, num_views, neighbors, cam, control)
        kwargs = {}
        if control is not None:
            kwargs = dict(down_block_additional_residuals=control.down, mid_block_additional_residual=control.mid)
        with self._inflated(call):
            out = self.unet(sample, timestep, ehs, return_dict=False, **kwargs)[0]
        return UNet2DConditionOutput(sample=out) if return_dict else (out,)

    @contextmanager
    def _inflated(self, call: _Call):
        """Attach the inflation layers to the UNet for one call (hooks are removed afterwards, so the wrapped UNet
        stays a plain image model and the wrapper can be copied or pickled)."""
        handles = [self.unet.time_embedding.register_forward_hook(self._add_camera),
                   self.unet.conv_in.register_forward_hook(self._add_control_input)]
        for name in self.transformer_names:
            handles.append(self.unet.get_submodule(name).register_forward_hook(self._make_hook(name)))
        self._call = call
        try:
            yield
        finally:
            self._call = None
            for h in handles:
                h.remove()

    def _add_camera(self, module, args, emb: torch.Tensor) -> torch.Tensor:
        call = self._call
        return emb if call is None or call.camera_emb is None else emb + call.camera_emb.to(emb.dtype)

    def _add_control_input(self, module, args, x: torch.Tensor) -> torch.Tensor:
        call = self._call
        if call is None or call.control is None:
            return x
        return x + match_size(call.control.input, x.shape[-2:]).to(x.dtype)

    def _make_hook(self, name: str):
        key = _key(name)

        def hook(module, args, output):
            call = self._call
            x = output[0] if isinstance(output, tuple) else output.sample
            x = self._inflate(key, x, call)
            return (x,) + tuple(output[1:]) if isinstance(output, tuple) else type(output)(sample=x)

        return hook

    def _inflate(self, key: str, x: torch.Tensor, call: _Call) -> torch.Tensor:
        n, c, h, w = x.shape
        tokens = x.reshape(call.batch, call.frames, call.views, c, h * w).transpose(-1, -2)
        if key in self.cross_view_layers and call.views > 1:
            tokens = self._run(self.cross_view_layers[key], tokens, call.neighbors)
        if key in self.temporal_layers and call.frames > 1:
            tokens = self._run(self.temporal_layers[key], tokens)
        return tokens.transpose(-1, -2).reshape(n, c, h, w)

    @staticmethod
    def _run(layer: nn.Module, *args) -> torch.Tensor:
        if torch.is_grad_enabled() and layer.gradient_checkpointing:
            return layer._gradient_checkpointing_func(layer, *args)
        return layer(*args)
