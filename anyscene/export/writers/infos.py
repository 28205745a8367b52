"""mmdetection3d info pkls (v2): one entry per keyframe in the scene's fragment, one pkl per split when merged."""
from __future__ import annotations

from ..fileio import dump_pickle
from ..infos import metainfo, mmdet3d_infos
from .base import FormatWriter, MergeInput


def info_filename(split: str, prefix: str) -> str:
    """Info pkl of a split: PREFIX_train -> PREFIX_infos_train.pkl (other names: PREFIX_infos_NAME.pkl)."""
    role = split[len(prefix) + 1:] if split.startswith(prefix + "_") else split
    return f"{prefix}_infos_{role}.pkl"


class InfosWriter(FormatWriter):
    format = "infos"

    def finish(self, fragment: dict) -> None:
        o = self.out
        fragment["infos"] = mmdet3d_infos(o.records.keyframes, o.rig.cameras, o.records.cs, o.name,
                                          o.records.scene_token, o.cfg.wants("lidarseg"))

    @classmethod
    def merge(cls, merge: MergeInput) -> None:
        by_scene = {f["name"]: f.get("infos", []) for f in merge.fragments}
        if not any(by_scene.values()):
            return
        meta = metainfo(merge.version, [c["name"] for c in merge.tables["category"]])
        for split, scenes in merge.splits.items():
            data_list = []
            for s in scenes:
                for info in by_scene.get(s, []):
                    data_list.append({"sample_idx": len(data_list), **info})
            dump_pickle({"metainfo": meta, "data_list": data_list}, merge.root / info_filename(split, merge.prefix))
