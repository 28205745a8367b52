"""The trainable parts of the renderer: `ConditionEncoder` (conditions -> zero-initialised ControlNet-style
residuals), `MultiViewUNet` (a diffusers UNet2DConditionModel inflated with cross-view and temporal attention and
a camera embedding) and `ScenePromptEncoder` (scene tags -> cross-attention tokens). Each is a diffusers
ModelMixin/ConfigMixin: its constructor arguments are its saved config."""
from .condition_encoder import ConditionEncoder, ControlResiduals  # noqa: F401
from .multiview_unet import MultiViewUNet  # noqa: F401
from .scene_prompt import ScenePromptEncoder  # noqa: F401
