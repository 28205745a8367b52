"""Training clips from any nuScenes-format dataroot: real nuScenes with Occ3D labels, or an AnyScene export.

A clip is `clip_length` consecutive keyframes of one scene, seen by the configured cameras. Per camera and
keyframe the condition maps come from `conditions/<CHANNEL>/<sample_data_token>.npz` (written by
`anyscene generate`) or are rendered from the keyframe's Occ3D occupancy `gts/<scene>/<sample_token>/labels.npz`
by the sensor simulation (see occupancy_conditions.py). A real dataroot with neither (no Occ3D labels) is
rendered from its imported scene: `layouts(scene_name)` gives the scene's imported Layout (the `train-renderer`
command passes the nuScenes importer), whose world is ray-cast for each camera at the real image's own timestamp
and calibration, so the real images are paired with conditions of the replayed world. `conditions` "auto" takes
the first source there is in that order; "exported", "occupancy" and "imported" insist on one. Clips whose image
files are missing (a partial download such as the real sample scene) are left out.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from ...errors import ConfigError
from ...sensors.types import Camera
from .conditions import camera_features, load_condition_npz, rig_neighbors
from .models.scene_prompt import tags_from_description


@dataclass(frozen=True)
class Clip:
    """One training clip: its scene's name and description, and `sample_tokens` of T consecutive keyframes."""

    scene: str
    description: str
    sample_tokens: tuple[str, ...]


def camera_from_records(channel: str, sample_data: dict, calibrated_sensor: dict) -> Camera:
    """The `Camera` of a nuScenes camera sample_data record and its calibrated_sensor record."""
    return Camera(channel, int(sample_data["width"]), int(sample_data["height"]),
                  np.asarray(calibrated_sensor["camera_intrinsic"], dtype=np.float64),
                  np.asarray(calibrated_sensor["translation"], dtype=np.float64),
                  np.asarray(calibrated_sensor["rotation"], dtype=np.float64))


def load_image(path: Path, height: int, width: int) -> np.ndarray:
    """An image file resized to height×width, float32 (3, height, width) in [-1, 1]."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        if im.size != (width, height):
            im = im.resize((width, height), Image.BICUBIC)
        arr = np.asarray(im, dtype=np.float32)
    return arr.transpose(2, 0, 1) / 127.5 - 1.0


class NuScenesClipDataset(torch.utils.data.Dataset):
    """Clips of a nuScenes-format dataroot, read through nuscenes-devkit.

    Item i is a dict: `images` (T, V, 3, H, W) float32 in [-1, 1]; `conditions` (T, V, CONDITION_CHANNELS, H, W)
    float32; `camera_features` (V, CAMERA_FEATURES) float32 and `neighbors` (V, 2) int64 of the clip's first
    keyframe's calibration; `prompt` the scene tags found in the scene's description (e.g. "night, rain").
    """

    def __init__(self, dataroot: str | Path, version: str, cameras: Sequence[str], height: int, width: int,
                 clip_length: int, clip_stride: int = 1, scenes: Sequence[str] | None = None, grid: str = "occ3d",
                 conditions: str = "auto", layouts: Callable[[str], object] | None = None):
        from nuscenes.nuscenes import NuScenes

        self.root = Path(dataroot)
        if not (self.root / version).is_dir():
            raise ConfigError(f"{self.root / version}: no nuScenes tables (data.dataroot / data.version)")
        self.nusc = NuScenes(version=version, dataroot=str(self.root), verbose=False)
        self.cameras = tuple(cameras)
        self.height, self.width = height, width
        self.grid = grid
        self.source = conditions
        self.layouts = layouts
        self.clips = self._index(clip_length, clip_stride, scenes)
        if not self.clips:
            raise ConfigError(f"{self.root}: no scene has {clip_length} keyframes with all their camera images "
                              f"(data.clip_length, data.cameras)")
        self._occupancy = None
        self._imported: dict[str, tuple] = {}

    def _index(self, length: int, stride: int, scenes: Sequence[str] | None) -> list[Clip]:
        known = {s["name"] for s in self.nusc.scene}
        missing = sorted(set(scenes or ()) - known)
        if missing:
            raise ConfigError(f"{self.root}: unknown scene(s) {missing} in data.scenes")
        clips = []
        for scene in self.nusc.scene:
            if scenes is not None and scene["name"] not in scenes:
                continue
            tokens, tok = [], scene["first_sample_token"]
            while tok:
                tokens.append(tok)
                tok = self.nusc.get("sample", tok)["next"]
            complete = [all((self.root / self.nusc.get("sample_data", self.nusc.get("sample", t)["data"][ch])
                             ["filename"]).is_file() for ch in self.cameras
                             if ch in self.nusc.get("sample", t)["data"]) for t in tokens]
            for s in range(0, len(tokens) - length + 1, stride):
                if all(complete[s:s + length]):
                    clips.append(Clip(scene["name"], scene.get("description", ""), tuple(tokens[s:s + length])))
        return clips

    def __len__(self) -> int:
        return len(self.clips)

    def camera_records(self, sample_token: str, channel: str) -> tuple[dict, dict]:
        sample = self.nusc.get("sample", sample_token)
        if channel not in sample["data"]:
            raise ConfigError(f"{self.root}: sample {sample_token} has no {channel} (data.cameras)")
        sd = self.nusc.get("sample_data", sample["data"][channel])
        return sd, self.nusc.get("calibrated_sensor", sd["calibrated_sensor_token"])

    def conditions(self, clip: Clip, sample_token: str, channel: str, sd: dict, camera: Camera) -> np.ndarray:
        path = self.root / "conditions" / channel / f"{sd['token']}.npz"
        if self.source != "occupancy" and path.is_file():
            return load_condition_npz(path, self.height, self.width)
        labels = self.root / "gts" / clip.scene / sample_token / "labels.npz"
        if self.source == "imported" or (self.source == "auto" and not labels.is_file()
                                         and self.layouts is not None):
            return self.imported_conditions(clip.scene, sd, camera)
        if self.source == "exported" or not labels.is_file():
            wanted = {"exported": [path], "occupancy": [labels], "auto": [path, labels]}[self.source]
            raise ConfigError(f"{self.root}: {' and '.join(str(p.relative_to(self.root)) for p in wanted)} "
                              f"missing; the renderer trains on exported condition maps (conditions/, written "
                              f"by anyscene generate), on Occ3D labels (gts/) or on the imported scene "
                              f"(through `anyscene train-renderer`) (data.conditions)")
        if self._occupancy is None:
            from .occupancy_conditions import OccupancyConditionRenderer

            self._occupancy = OccupancyConditionRenderer(self.grid)
        return self._occupancy.render(labels, camera, self.height, self.width)

    def imported_conditions(self, scene: str, sd: dict, camera: Camera) -> np.ndarray:
        """The condition map of a real camera image rendered from the scene's imported world, at the image's
        timestamp (t = 0 at the scene's first keyframe) and calibration. The imported layout is validated
        and compiled as `anyscene generate` does (anyscene.validation.check), and its camera maps
        come from the scene stream's SensorSuite, the path every other condition map takes."""
        from ...pipeline.config import StreamConfig
        from ...pipeline.sensors import SensorSuite
        from ...validation import check
        from .conditions import encode_maps

        if self.layouts is None:
            raise ConfigError(f"{self.root}: data.conditions=imported needs the scene importer; run "
                              "`anyscene train-renderer`, which imports each real scene")
        if scene not in self._imported:
            layout = self.layouts(scene)
            world = check(layout, {}, f"{self.root}: imported scene {scene}").compile()
            epoch = layout.timeline.epoch_us if layout.timeline is not None and layout.timeline.epoch_us else 0
            suite = SensorSuite(world, None, StreamConfig(grid=self.grid, occupancy=False, images=False))
            self._imported = {scene: (world, suite, epoch)}  # one scene at a time
        world, suite, epoch = self._imported[scene]
        t = (int(sd["timestamp"]) - epoch) / 1e6
        frame = suite.camera(camera.scaled(self.width, self.height), t)
        return encode_maps(frame.semantic, frame.depth, frame.instance, self.height, self.width)

    def __getitem__(self, i: int) -> dict:
        clip = self.clips[i]
        images, conds, cams = [], [], []
        for k, tok in enumerate(clip.sample_tokens):
            im_row, c_row = [], []
            for ch in self.cameras:
                sd, cs = self.camera_records(tok, ch)
                cam = camera_from_records(ch, sd, cs)
                if k == 0:
                    cams.append(cam)
                im_row.append(load_image(self.root / sd["filename"], self.height, self.width))
                c_row.append(self.conditions(clip, tok, ch, sd, cam))
            images.append(np.stack(im_row))
            conds.append(np.stack(c_row))
        return {
            "images": torch.from_numpy(np.stack(images)),
            "conditions": torch.from_numpy(np.stack(conds)),
            "camera_features": torch.from_numpy(np.stack([camera_features(c) for c in cams])),
            "neighbors": torch.from_numpy(rig_neighbors(cams)),
            "prompt": tags_from_description(clip.description),
            "cameras": cams,
        }


def collate_clips(items: list[dict]) -> dict:
    """Stack clips into a batch (B first); `prompt` and `cameras` stay lists."""
    out = {k: torch.stack([it[k] for it in items]) for k in ("images", "conditions", "camera_features", "neighbors")}
    out["prompt"] = [it["prompt"] for it in items]
    out["cameras"] = [it["cameras"] for it in items]
    return out
