"""One writer per output format (see base.py); `WRITERS` maps a format name of `formats` to its writer, in the
order they run."""
from __future__ import annotations

from .base import FormatWriter, MergeInput, SceneOutput  # noqa: F401
from .conditions import ConditionsWriter
from .infos import InfosWriter, info_filename  # noqa: F401
from .lidarseg import LidarsegWriter
from .nuscenes import NuScenesWriter
from .occ3d import Occ3DWriter
from .previews import PreviewWriter

WRITERS: dict[str, type[FormatWriter]] = {w.format: w for w in (
    NuScenesWriter, ConditionsWriter, LidarsegWriter, Occ3DWriter, InfosWriter, PreviewWriter)}
