"""Occ3D labels: `gts/<scene>/<sample>/labels.npz` per keyframe and the dataset's `annotations.json`."""
from __future__ import annotations

import numpy as np

from ..fileio import dump_json, save_npz
from ..infos import occ3d_scene_infos
from .base import FormatWriter, MergeInput


class Occ3DWriter(FormatWriter):
    format = "occ3d"

    def keyframe(self, record, kf) -> None:
        occ, ml, mc = record.occupancy, record.mask_lidar, record.mask_camera
        self.out.files.submit(f"gts/{self.out.name}/{kf.sample['token']}/labels.npz",
                              lambda p: save_npz(p, semantics=occ.semantics.astype(np.uint8),
                                                 mask_lidar=ml.astype(np.uint8), mask_camera=mc.astype(np.uint8),
                                                 flow=occ.flow.astype(np.float32)))

    def finish(self, fragment: dict) -> None:
        r = self.out.records
        fragment["occ3d"] = occ3d_scene_infos(r.keyframes, r.cs, self.out.name)

    @classmethod
    def merge(cls, merge: MergeInput) -> None:
        infos = {f["name"]: f["occ3d"] for f in merge.fragments if f.get("occ3d")}
        if not infos:
            return
        names = [f["name"] for f in merge.fragments]
        train = merge.splits.get(f"{merge.prefix}_train", names)
        val = merge.splits.get(f"{merge.prefix}_val", [])
        dump_json({"train_split": [s for s in train if s in infos], "val_split": [s for s in val if s in infos],
                   "scene_infos": infos}, merge.root / "annotations.json", sort_keys=False)  # keyframes in order
