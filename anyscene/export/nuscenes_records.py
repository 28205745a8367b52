"""A scene's identity in nuScenes terms: tokens, frames and table records, from the scene stream's records.

`SceneRecords` turns each stream record into the nuScenes records every format writer refers to (the
sample_data and ego_pose of each image and sweep, the sample and the annotation boxes of each keyframe), once,
so that the writers agree on every token and number. It also holds what spans the scene: the calibrated
sensors, the global frame (`MapFrame`), the keyframes' records and each instance's annotations.

Which boxes become annotations (`annotation.require_observation`, which a recorded layout, one with a
`source`, does not apply: every recorded box was annotated) and their `num_lidar_pts` (the points of the
keyframe sweep inside each box, counted with the devkit's own arithmetic on the exported records) are decided
here; see anyscene.pipeline.boxes for what a box holds.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from ..pipeline.records import CameraShot, KeyframeRecord, LidarRecord, RadarRecord
from ..pipeline.timeline import Timeline
from ..sensors.geometry import vector_norm
from ..sensors.radar import radar_to_world
from .config import GenerateConfig
from .devkit_boxes import count_points_in_boxes
from .infos import KeyframeRecords
from .maps import MapFrame, map_frame
from .radar import count_radar_points, default_filter
from .taxonomy import LIDAR_CHANNEL, attribute_token, sensor_token
from .tokens import token

LOCATION = "anyscene"
VEHICLE = "anyscene-ego"


class SceneRecords:
    """The nuScenes records of one scene `name` (see the module docstring)."""

    def __init__(self, world, rig, timeline: Timeline, name: str, cfg: GenerateConfig):
        self.world, self.rig, self.tl, self.name, self.cfg = world, rig, timeline, name, cfg
        times = np.concatenate([timeline.lidar, timeline.camera.ravel()]) / 1e6
        self.mf: MapFrame = map_frame(world, times, cfg.global_offset)
        self.logfile = f"{name}-{LOCATION}"
        self.scene_token = token(name, "scene")
        self.log_token = token(name, "log")
        self.cs = {c.channel: self._camera_cs(c) for c in rig.cameras}
        self.cs[LIDAR_CHANNEL] = self._sensor_cs(LIDAR_CHANNEL, rig.lidar.translation, rig.lidar.rotation)
        for radar in getattr(rig, "radars", ()):
            self.cs[radar.channel] = self._sensor_cs(radar.channel, radar.translation, radar.rotation)
        self.keyframes: list[KeyframeRecords] = []
        self.instance_anns: dict[int, list[dict]] = {}
        # The latest LiDAR sample_data and ego poses (a keyframe's info lists its previous sweeps; a later sweep
        # can come before a keyframe whose last camera fires after it).
        self._sweeps: deque[dict] = deque(maxlen=cfg.infos.max_sweeps + 8)

    # ---------------------------------------------------------------------------------------- tokens
    def sample_token(self, k: int) -> str:
        return token(self.name, "sample", k)

    def sd_token(self, channel: str, i: int) -> str:
        return token(self.name, "sample_data", channel, i)

    def abs_us(self, us: int) -> int:
        return int(self.tl.epoch_us + us)

    # ---------------------------------------------------------------------------------- static records
    def _sensor_cs(self, channel: str, translation, rotation, intrinsic=()) -> dict:
        q = np.asarray(rotation, dtype=np.float64)
        return {"token": token(self.name, "calibrated_sensor", channel), "sensor_token": sensor_token(channel),
                "translation": [float(v) for v in translation], "rotation": [float(v) for v in q / vector_norm(q)],
                "camera_intrinsic": np.asarray(intrinsic, dtype=np.float64).tolist()}

    def _camera_cs(self, cam) -> dict:
        return self._sensor_cs(cam.channel, cam.translation, cam.rotation, cam.intrinsic)

    # ------------------------------------------------------------------------------------ per record
    def ego_pose(self, sd_token: str, us: int, ego) -> dict:
        return {"token": sd_token, "timestamp": self.abs_us(us),
                "translation": [float(v) for v in self.mf.to_global(ego.translation)],
                "rotation": [float(v) for v in ego.quaternion]}

    def _sample_data(self, channel: str, i: int, us: int, key: bool, sample: int, n: int, ext: str,
                     fileformat: str, size: tuple[int, int]) -> dict:
        tok = self.sd_token(channel, i)
        abs_us = self.abs_us(us)
        folder = "samples" if key else "sweeps"
        return {"token": tok, "sample_token": self.sample_token(sample), "ego_pose_token": tok,
                "calibrated_sensor_token": self.cs[channel]["token"], "timestamp": abs_us, "fileformat": fileformat,
                "is_key_frame": bool(key), "height": int(size[1]), "width": int(size[0]),
                "filename": f"{folder}/{channel}/{self.logfile}__{channel}__{abs_us}.{ext}",
                "prev": self.sd_token(channel, i - 1) if i > 0 else "",
                "next": self.sd_token(channel, i + 1) if i + 1 < n else ""}

    def camera(self, shot: CameraShot) -> tuple[dict, dict]:
        """(sample_data, ego_pose) of one camera image."""
        cam = shot.camera
        sd = self._sample_data(cam.channel, shot.index, shot.us, shot.keyframe >= 0, shot.sample,
                               self.tl.n_camera_instants, "jpg", "jpg", (cam.width, cam.height))
        return sd, self.ego_pose(sd["token"], shot.us, shot.ego)

    def lidar(self, rec: LidarRecord) -> tuple[dict, dict]:
        """(sample_data, ego_pose) of one LiDAR sweep; remembered for the keyframes' sweep lists (call it
        once per sweep, in order, before the keyframe of that sweep)."""
        sd = self._sample_data(LIDAR_CHANNEL, rec.index, rec.us, rec.keyframe >= 0, rec.sample, len(self.tl.lidar),
                               "pcd.bin", "pcd", (0, 0))
        pose = self.ego_pose(sd["token"], rec.us, rec.ego)
        self._sweeps.append({"sd": sd, "pose": pose})
        return sd, pose

    def radar(self, rec: RadarRecord) -> tuple[dict, dict]:
        """(sample_data, ego_pose) of one radar scan."""
        r = self.tl.radar_channels.index(rec.channel)
        sd = self._sample_data(rec.channel, rec.index, rec.us, rec.keyframe >= 0, rec.sample, len(self.tl.radar[r]),
                               "pcd", "pcd", (0, 0))
        return sd, self.ego_pose(sd["token"], rec.us, rec.ego)

    def keyframe(self, rec: KeyframeRecord) -> KeyframeRecords:
        """The sample and annotations of a keyframe (its sweep's `lidar` records must have been made)."""
        k, n = rec.index, len(self.tl.keyframes)
        sample = {"token": self.sample_token(k), "timestamp": self.abs_us(rec.us), "scene_token": self.scene_token,
                  "prev": self.sample_token(k - 1) if k > 0 else "",
                  "next": self.sample_token(k + 1) if k + 1 < n else ""}
        sweeps = list(self._sweeps)
        tok = self.sd_token(LIDAR_CHANNEL, rec.lidar.index)
        at = next(n for n, s in enumerate(sweeps) if s["sd"]["token"] == tok)
        cams = {c.channel: self.camera(rec.shots[c.channel]) for c in self.rig.cameras}
        kf = KeyframeRecords(k, sample, sweeps[at]["sd"], sweeps[at]["pose"], {c: sd for c, (sd, _) in cams.items()},
                             {c: pose for c, (_, pose) in cams.items()})
        kf.lidar_sweeps = sweeps[max(0, at - self.cfg.infos.max_sweeps):at][::-1]
        self._annotate(kf, rec)
        self.keyframes.append(kf)
        return kf

    def _annotate(self, kf: KeyframeRecords, rec: KeyframeRecord) -> None:
        a = self.cfg.annotation
        recs = [{"translation": [float(v) for v in self.mf.to_global(b.center)], "size": b.wlh,
                 "rotation": b.rotation} for b in rec.boxes]
        counts = count_points_in_boxes(rec.lidar.points[:, :3], recs, kf.lidar_pose, self.cs[LIDAR_CHANNEL])
        radar_counts = self._radar_counts(rec)
        recorded = getattr(self.world.layout, "source", None) is not None
        for b, ann, npts, nrad, (frac, level) in zip(rec.boxes, recs, counts, radar_counts, rec.visibility):
            # A recorded scene's boxes were all observed by the real sensors and annotated: they stay, whatever
            # the replay's sensors see of them (small cones and barriers behind missing occluders, ...).
            if a.require_observation and not recorded and npts == 0 and frac <= 0.0:
                continue
            ann.update({"token": token(self.name, "sample_annotation", b.instance, kf.index),
                        "sample_token": kf.sample["token"],
                        "instance_token": token(self.name, "instance", b.instance),
                        "visibility_token": str(level),
                        "attribute_tokens": [attribute_token(b.attribute)] if b.attribute else [],
                        "num_lidar_pts": int(npts), "num_radar_pts": int(nrad), "prev": "", "next": ""})
            kf.anns.append(ann)
            kf.boxes.append(b)
            self.instance_anns.setdefault(b.instance, []).append(ann)

    def _radar_counts(self, rec: KeyframeRecord) -> list[int]:
        """num_radar_pts of each box: the detections of every radar's keyframe scan that pass the devkit's
        default RadarPointCloud filters, inside the box at the keyframe time (as nuScenes counts them)."""
        if not rec.radar:
            return [0] * len(rec.boxes)

        pts = [radar_to_world(r.scan)[default_filter(r.scan.points)] for r in rec.radar.values()]
        return [count_radar_points(pts, b.center, b.size, b.yaw) for b in rec.boxes]

    def chain_annotations(self) -> None:
        """Link each instance's annotations (prev / next), in time order; call once all keyframes are made."""
        for anns in self.instance_anns.values():
            for a, b in zip(anns[:-1], anns[1:]):
                a["next"], b["prev"] = b["token"], a["token"]
