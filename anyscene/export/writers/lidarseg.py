"""nuScenes-lidarseg labels: one uint8 label per point of each keyframe sweep, and `lidarseg.json`."""
from __future__ import annotations

import numpy as np

from ..fileio import dump_json, load_json
from .base import FormatWriter, MergeInput


class LidarsegWriter(FormatWriter):
    format = "lidarseg"

    def keyframe(self, record, kf) -> None:
        files, version = self.out.files, self.out.cfg.version
        sd = kf.lidar_sd
        fname = f"lidarseg/{version}/{sd['token']}_lidarseg.bin"
        files.write_bytes(fname, np.ascontiguousarray(record.lidar.sweep.lidarseg, dtype=np.uint8).tobytes())
        files.lidarseg.append({"token": sd["token"], "sample_data_token": sd["token"], "filename": fname})

    @classmethod
    def merge(cls, merge: MergeInput) -> None:
        """`<version>/lidarseg.json` over every scene, file names moved to the merged version."""
        records = []
        for d, frag in zip(merge.scene_dirs, merge.fragments):
            src = frag["version"]
            path = d / src / "lidarseg.json"
            if path.exists():
                for rec in load_json(path):
                    records.append(dict(rec, filename=rec["filename"].replace(f"lidarseg/{src}/",
                                                                              f"lidarseg/{merge.version}/", 1)))
        if records and merge.tables.get("scene"):
            dump_json(records, merge.root / merge.version / "lidarseg.json", indent=0)
