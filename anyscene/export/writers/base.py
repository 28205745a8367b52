"""What every format writer of a scene looks like, and the context they share.

A writer gets the scene's records in stream order, each with its nuScenes records (made once by
`SceneRecords`): `camera(instant, records)` with one (sample_data, ego_pose) per shot in rig order,
`lidar(record, (sample_data, ego_pose))`, `radar(record, (sample_data, ego_pose))` and
`keyframe(record, KeyframeRecords)`. `begin()` comes first,
`finish(fragment)` last (it adds the writer's part of the scene's merge fragment), `close()` always (also after
an error). Files go through the shared `SceneWriter` (`out.files`), which writes them on background threads.
The class method `merge(merge)` writes what spans scenes when scene folders are joined into one dataset.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..config import GenerateConfig
from ..nuscenes_records import SceneRecords
from ..scene_folder import SceneWriter


@dataclass(frozen=True)
class SceneOutput:
    """One scene being exported: its `name`, the compiled `world`, the `rig`, the run's config `cfg`, the
    shared nuScenes `records` and the scene folder's file sink `files`."""

    name: str
    world: object
    rig: object
    cfg: GenerateConfig
    records: SceneRecords
    files: SceneWriter


@dataclass(frozen=True)
class MergeInput:
    """Scene folders `scene_dirs` being joined into `root`: their fragments (`fragments`, same order), the `splits`
    (name -> scene names), the split prefix and the merged `version`; `tables` the merged nuScenes tables."""

    root: object
    scene_dirs: list
    fragments: list
    splits: dict
    prefix: str
    version: str
    tables: dict


class FormatWriter:
    """Base of the per-format writers: every step does nothing unless the format needs it."""

    format: str = ""

    def __init__(self, out: SceneOutput):
        self.out = out

    def begin(self) -> None:
        pass

    def camera(self, instant, records: list[tuple[dict, dict]]) -> None:
        pass

    def lidar(self, record, records: tuple[dict, dict]) -> None:
        pass

    def radar(self, record, records: tuple[dict, dict]) -> None:
        pass

    def keyframe(self, record, kf) -> None:
        pass

    def finish(self, fragment: dict) -> None:
        pass

    def close(self) -> None:
        pass

    @classmethod
    def merge(cls, merge: MergeInput) -> None:
        pass
