"""The nuScenes tables and files of a scene: 13 JSON tables, camera JPEGs, LiDAR .pcd.bin sweeps, the map PNG."""
from __future__ import annotations

from datetime import datetime, timezone

from ..fileio import dump_json, encode_jpeg
from ..maps import write_map_png
from ..nuscenes_records import LOCATION, VEHICLE
from ..radar import write_radar_pcd
from ..scene_folder import TABLES
from ..taxonomy import attribute_records, category_records, category_token, sensor_records, visibility_records
from ..tokens import token
from .base import FormatWriter, MergeInput


class NuScenesWriter(FormatWriter):
    format = "nuscenes"

    def begin(self) -> None:
        o, r = self.out, self.out.records
        add = o.files.add
        for rec in category_records():
            add("category", rec)
        for rec in attribute_records():
            add("attribute", rec)
        for rec in visibility_records():
            add("visibility", rec)
        for rec in sensor_records(tuple(c.channel for c in o.rig.cameras), tuple(r.channel for r in o.rig.radars)):
            add("sensor", rec)
        for rec in r.cs.values():
            add("calibrated_sensor", rec)
        add("log", {"token": r.log_token, "logfile": r.logfile, "vehicle": VEHICLE,
                    "date_captured": _date(r.tl.epoch_us), "location": LOCATION,
                    "global_offset": [float(v) for v in r.mf.offset]})
        map_tok = token(o.name, "map")
        filename = f"maps/{map_tok}.png"
        write_map_png(o.world, r.mf, o.files.path(filename))
        add("map", {"token": map_tok, "filename": filename, "category": "semantic_prior",
                    "log_tokens": [r.log_token]})
        n = len(r.tl.keyframes)
        add("scene", {"token": r.scene_token, "name": o.name, "log_token": r.log_token,
                      "description": o.world.layout.description or f"AnyScene layout {o.world.layout.name}",
                      "nbr_samples": n, "first_sample_token": r.sample_token(0),
                      "last_sample_token": r.sample_token(n - 1)})

    def camera(self, instant, records) -> None:
        files, q = self.out.files, self.out.cfg.jpeg_quality
        for (sd, pose), rgb in zip(records, instant.images):
            files.add("sample_data", sd)
            files.add("ego_pose", pose)
            files.submit(sd["filename"], lambda p, im=rgb: p.write_bytes(encode_jpeg(im, q)))

    def lidar(self, record, records) -> None:
        sd, pose = records
        self.out.files.add("sample_data", sd)
        self.out.files.add("ego_pose", pose)
        self.out.files.write_bytes(sd["filename"], record.points.tobytes())

    def radar(self, record, records) -> None:
        sd, pose = records
        self.out.files.add("sample_data", sd)
        self.out.files.add("ego_pose", pose)
        self.out.files.submit(sd["filename"], lambda p, pts=record.scan.points: write_radar_pcd(p, pts))

    def keyframe(self, record, kf) -> None:
        self.out.files.add("sample", kf.sample)

    def finish(self, fragment: dict) -> None:
        r, files = self.out.records, self.out.files
        tracks = self.out.world.track_by_instance
        for inst in sorted(r.instance_anns):
            anns = r.instance_anns[inst]
            files.add("instance", {"token": anns[0]["instance_token"],
                                   "category_token": category_token(tracks[inst].klass.category),
                                   "nbr_annotations": len(anns), "first_annotation_token": anns[0]["token"],
                                   "last_annotation_token": anns[-1]["token"]})
        for kf in r.keyframes:
            for rec in kf.anns:
                files.add("sample_annotation", rec)

    @classmethod
    def merge(cls, merge: MergeInput) -> None:
        """The merged tables and `splits.json` under `<root>/<version>/`."""
        if not merge.tables.get("scene"):
            return
        table_root = merge.root / merge.version
        table_root.mkdir(parents=True, exist_ok=True)
        for t in TABLES:
            dump_json(merge.tables[t], table_root / f"{t}.json", indent=0)
        dump_json(merge.splits, table_root / "splits.json", indent=2)


def _date(epoch_us: int) -> str:
    return datetime.fromtimestamp(epoch_us / 1e6, tz=timezone.utc).strftime("%Y-%m-%d")
