"""One world -> one scene folder: sensor frames streamed in time order, tables and fragments at the end.

`write_scene(world, writer, config)` walks the scene's timeline (see timeline.py). At each instant the six
cameras are simulated, rendered and encoded (keyframes also get condition maps), then the LiDAR sweep is
written; at keyframes the sample, its annotations (annotations.py), the lidarseg labels and the Occ3D labels
follow. Only the current instant's frames are held; file writes overlap with the next simulation step.
"""
from __future__ import annotations

import re
from collections import deque
from typing import Callable, Iterator

import numpy as np

from ..errors import ConfigError
from .annotations import count_points_in_boxes, keyframe_candidates
from .config import GenerateConfig
from .fileio import encode_jpeg, save_npz
from .infos import KeyframeRecords, mmdet3d_infos, occ3d_scene_infos
from .maps import MapFrame, map_frame, write_map_png
from .taxonomy import (LIDAR_CHANNEL, attribute_records, attribute_token, category_records, category_token,
                       sensor_records, sensor_token, visibility_records)
from .timeline import Timeline, build_timeline, seconds
from .tokens import token
from .writer import SceneWriter

LOCATION = "anyscene"
VEHICLE = "anyscene-ego"


def scene_name(name: str) -> str:
    """A scene name safe in file names (letters, digits, . _ -)."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    if not clean:
        raise ConfigError(f"scene name {name!r} has no usable characters")
    return clean


class _SceneExport:
    """The state of one scene's export while its timeline is walked."""

    def __init__(self, world, writer: SceneWriter, cfg: GenerateConfig, name: str, suite):
        self.world, self.w, self.cfg, self.name, self.suite = world, writer, cfg, name, suite
        self.tl: Timeline = build_timeline(world.duration, cfg.camera_rate, cfg.lidar_rate, cfg.keyframe_rate, name)
        self.mf: MapFrame = map_frame(world, np.concatenate([self.tl.lidar, self.tl.camera]) / 1e6,
                                      cfg.global_offset)
        self.rig = suite.rig
        self.logfile = f"{name}-{LOCATION}"
        self.scene_token = token(name, "scene")
        self.log_token = token(name, "log")
        self.cs = {c.channel: self._camera_cs(c) for c in self.rig.cameras}
        self.cs[LIDAR_CHANNEL] = self._lidar_cs()
        self.keyframes: list[KeyframeRecords] = []
        # The latest LiDAR sample_data and ego poses (a keyframe's info lists its previous sweeps).
        self.sweep_records: deque[dict] = deque(maxlen=cfg.infos.max_sweeps + 1)
        self.instance_anns: dict[int, list[dict]] = {}
        self.pending_cams: dict[str, tuple[dict, dict]] = {}  # keyframe camera (sample_data, ego_pose) records
        self.image_files: dict[int, list[str]] = {}  # camera instant -> image files still to be rendered
        self.preview = None

    # ---------------------------------------------------------------------------------------- tokens
    def sample_token(self, k: int) -> str:
        return token(self.name, "sample", k)

    def sd_token(self, channel: str, i: int) -> str:
        return token(self.name, "sample_data", channel, i)

    def abs_us(self, us: int) -> int:
        return int(self.tl.epoch_us + us)

    # ---------------------------------------------------------------------------------- static records
    def _camera_cs(self, cam) -> dict:
        q = np.asarray(cam.rotation, dtype=np.float64)
        return {"token": token(self.name, "calibrated_sensor", cam.channel), "sensor_token": sensor_token(cam.channel),
                "translation": [float(v) for v in cam.translation], "rotation": [float(v) for v in q / np.linalg.norm(q)],
                "camera_intrinsic": np.asarray(cam.intrinsic, dtype=np.float64).tolist()}

    def _lidar_cs(self) -> dict:
        lidar = self.rig.lidar
        q = np.asarray(lidar.rotation, dtype=np.float64)
        return {"token": token(self.name, "calibrated_sensor", LIDAR_CHANNEL),
                "sensor_token": sensor_token(LIDAR_CHANNEL), "translation": [float(v) for v in lidar.translation],
                "rotation": [float(v) for v in q / np.linalg.norm(q)], "camera_intrinsic": []}

    def begin(self) -> None:
        if self.cfg.wants("nuscenes"):
            self._static_records()
        if self.cfg.wants("previews"):
            from .preview import PreviewVideo

            cam0 = self.rig.cameras[0]
            p = self.cfg.preview
            self.preview = PreviewVideo(self.w.path(f"previews/{self.name}.mp4"), self.world,
                                        [c.channel for c in self.rig.cameras], (cam0.width, cam0.height),
                                        p.tile_width, p.bev_range, p.fps or self.cfg.camera_rate, p.quality)

    def _static_records(self) -> None:
        w, cams = self.w, tuple(c.channel for c in self.rig.cameras)
        for rec in category_records():
            w.add("category", rec)
        for rec in attribute_records():
            w.add("attribute", rec)
        for rec in visibility_records():
            w.add("visibility", rec)
        for rec in sensor_records(cams):
            w.add("sensor", rec)
        for rec in self.cs.values():
            w.add("calibrated_sensor", rec)
        date = _date(self.tl.epoch_us)
        w.add("log", {"token": self.log_token, "logfile": self.logfile, "vehicle": VEHICLE, "date_captured": date,
                      "location": LOCATION, "global_offset": [float(v) for v in self.mf.offset]})
        map_tok = token(self.name, "map")
        filename = f"maps/{map_tok}.png"
        write_map_png(self.world, self.mf, self.w.path(filename))
        w.add("map", {"token": map_tok, "filename": filename, "category": "semantic_prior",
                      "log_tokens": [self.log_token]})
        n = len(self.tl.keyframes)
        w.add("scene", {"token": self.scene_token, "name": self.name, "log_token": self.log_token,
                        "description": self.world.layout.description or f"AnyScene layout {self.world.layout.name}",
                        "nbr_samples": n, "first_sample_token": self.sample_token(0),
                        "last_sample_token": self.sample_token(n - 1)})

    # ------------------------------------------------------------------------------------ per instant
    def ego_pose(self, sd_token: str, us: int) -> dict:
        ego = self.world.ego_pose(seconds(us))
        rec = {"token": sd_token, "timestamp": self.abs_us(us),
               "translation": [float(v) for v in self.mf.to_global(ego.translation)],
               "rotation": [float(v) for v in ego.quaternion]}
        if self.cfg.wants("nuscenes"):
            self.w.add("ego_pose", rec)
        return rec

    def sample_data(self, channel: str, i: int, us: int, key: bool, n: int, ext: str, fileformat: str,
                    size: tuple[int, int]) -> dict:
        tok = self.sd_token(channel, i)
        abs_us = self.abs_us(us)
        folder = "samples" if key else "sweeps"
        rec = {"token": tok, "sample_token": self.sample_token(self.tl.keyframe_index(us)), "ego_pose_token": tok,
               "calibrated_sensor_token": self.cs[channel]["token"], "timestamp": abs_us, "fileformat": fileformat,
               "is_key_frame": bool(key), "height": int(size[1]), "width": int(size[0]),
               "filename": f"{folder}/{channel}/{self.logfile}__{channel}__{abs_us}.{ext}",
               "prev": self.sd_token(channel, i - 1) if i > 0 else "",
               "next": self.sd_token(channel, i + 1) if i + 1 < n else ""}
        if self.cfg.wants("nuscenes"):
            self.w.add("sample_data", rec)
        return rec

    def cameras(self, j: int, us: int) -> list:
        """Simulate every camera at instant j, record its sample_data and ego pose, write the keyframes' condition
        maps; returns the camera frames (their images are rendered and written by `images`)."""
        t, key = seconds(us), bool(self.tl.camera_keyframe[j])
        frames = self.suite.cameras(t)
        files = []
        for cam, frame in zip(self.rig.cameras, frames):
            sd = self.sample_data(cam.channel, j, us, key, len(self.tl.camera), "jpg", "jpg", (cam.width, cam.height))
            pose = self.ego_pose(sd["token"], us)
            files.append(sd["filename"])
            if key:
                self.pending_cams[cam.channel] = (sd, pose)
            if key and self.cfg.wants("conditions"):
                sem, depth, inst = frame.semantic, frame.depth.astype(np.float16), frame.instance.astype(np.uint16)
                self.w.submit(f"conditions/{cam.channel}/{sd['token']}.npz",
                              lambda p, a=sem, b=depth, c=inst: save_npz(p, semantic=a, depth=b, instance=c))
        self.image_files[j] = files
        return frames

    @property
    def needs_images(self) -> bool:
        return self.cfg.wants("nuscenes") or self.preview is not None

    def images(self, j: int, us: int, images: list[np.ndarray]) -> None:
        """Write the RGB images of camera instant j (rig order) as JPEGs and into the preview."""
        files = self.image_files.pop(j)
        if self.cfg.wants("nuscenes"):
            q = self.cfg.jpeg_quality
            for path, rgb in zip(files, images):
                self.w.submit(path, lambda p, im=rgb: p.write_bytes(encode_jpeg(im, q)))
        if self.preview is not None:
            self.preview.add(seconds(us), {c.channel: im for c, im in zip(self.rig.cameras, images)})

    def lidar(self, i: int, us: int):
        t, key = seconds(us), bool(self.tl.lidar_keyframe[i])
        sweep = self.suite.lidar(t)
        sd = self.sample_data(LIDAR_CHANNEL, i, us, key, len(self.tl.lidar), "pcd.bin", "pcd", (0, 0))
        pose = self.ego_pose(sd["token"], us)
        points = np.ascontiguousarray(sweep.points, dtype=np.float32)
        if self.cfg.wants("nuscenes"):
            self.w.write_bytes(sd["filename"], points.tobytes())
        self.sweep_records.append({"sd": sd, "pose": pose})
        return sweep, sd, pose, points

    # ---------------------------------------------------------------------------------------- keyframes
    def keyframe(self, us: int, frames: list, sweep, lidar_sd: dict, lidar_pose: dict, points: np.ndarray) -> None:
        k = self.tl.keyframe_index(us)
        t = seconds(us)
        n = len(self.tl.keyframes)
        sample = {"token": self.sample_token(k), "timestamp": self.abs_us(us), "scene_token": self.scene_token,
                  "prev": self.sample_token(k - 1) if k > 0 else "",
                  "next": self.sample_token(k + 1) if k + 1 < n else ""}
        if self.cfg.wants("nuscenes"):
            self.w.add("sample", sample)
        kf = KeyframeRecords(k, sample, lidar_sd, lidar_pose, {c: sd for c, (sd, _) in self.pending_cams.items()},
                       {c: pose for c, (_, pose) in self.pending_cams.items()})
        kf.lidar_sweeps = list(self.sweep_records)[:-1][::-1]
        self._annotate(kf, t, frames, sweep, points, lidar_pose)
        if self.cfg.wants("lidarseg"):
            fname = f"lidarseg/{self.cfg.version}/{lidar_sd['token']}_lidarseg.bin"
            self.w.write_bytes(fname, np.ascontiguousarray(sweep.lidarseg, dtype=np.uint8).tobytes())
            self.w.lidarseg.append({"token": lidar_sd["token"], "sample_data_token": lidar_sd["token"],
                                    "filename": fname})
        if self.cfg.wants("occ3d"):
            occ = self.world.frame(t, self.suite.grid)
            mask_lidar, mask_camera = self.suite.occupancy_masks(occ, t)
            self.w.submit(f"gts/{self.name}/{sample['token']}/labels.npz",
                          lambda p: save_npz(p, semantics=occ.semantics.astype(np.uint8),
                                             mask_lidar=mask_lidar.astype(np.uint8),
                                             mask_camera=mask_camera.astype(np.uint8),
                                             flow=occ.flow.astype(np.float32)))
        self.keyframes.append(kf)
        self.pending_cams = {}

    def _annotate(self, kf: KeyframeRecords, t: float, frames: list, sweep, points: np.ndarray, lidar_pose: dict) -> None:
        a = self.cfg.annotation
        boxes = keyframe_candidates(self.world, t, a.max_distance, a.stopped_speed)
        recs = [{"translation": [float(v) for v in self.mf.to_global(b.center)], "size": b.wlh,
                 "rotation": b.rotation} for b in boxes]
        counts = count_points_in_boxes(points[:, :3], recs, lidar_pose, self.cs[LIDAR_CHANNEL])
        vis = self.suite.visibility(t, frames, sweep, [b.instance for b in boxes])
        for b, rec, npts in zip(boxes, recs, counts):
            frac, level = vis.get(b.instance, (0.0, 1))
            if a.require_observation and npts == 0 and frac <= 0.0:
                continue
            rec.update({"token": token(self.name, "sample_annotation", b.instance, kf.index),
                        "sample_token": kf.sample["token"],
                        "instance_token": token(self.name, "instance", b.instance),
                        "visibility_token": str(level),
                        "attribute_tokens": [attribute_token(b.attribute)] if b.attribute else [],
                        "num_lidar_pts": int(npts), "num_radar_pts": 0, "prev": "", "next": ""})
            kf.anns.append(rec)
            kf.boxes.append(b)
            self.instance_anns.setdefault(b.instance, []).append(rec)

    # ------------------------------------------------------------------------------------------- finish
    def finish(self) -> dict:
        tracks = self.world.track_by_instance
        for inst in sorted(self.instance_anns):
            anns = self.instance_anns[inst]
            for a, b in zip(anns[:-1], anns[1:]):
                a["next"], b["prev"] = b["token"], a["token"]
            if self.cfg.wants("nuscenes"):
                self.w.add("instance", {"token": anns[0]["instance_token"],
                                        "category_token": category_token(tracks[inst].klass.category),
                                        "nbr_annotations": len(anns), "first_annotation_token": anns[0]["token"],
                                        "last_annotation_token": anns[-1]["token"]})
        if self.cfg.wants("nuscenes"):
            for kf in self.keyframes:
                for rec in kf.anns:
                    self.w.add("sample_annotation", rec)
        return {"name": self.name, "token": self.scene_token, "layout": self.world.layout.name,
                "version": self.cfg.version, "formats": list(self.cfg.formats),
                "samples": [kf.sample["token"] for kf in self.keyframes],
                "global_offset": [float(v) for v in self.mf.offset],
                "occ3d": occ3d_scene_infos(self.keyframes, self.cs, self.name) if self.cfg.wants("occ3d") else {},
                "infos": mmdet3d_infos(self.keyframes, self.rig.cameras, self.cs, self.name, self.scene_token,
                                       self.cfg.wants("lidarseg")) if self.cfg.wants("infos") else []}


def _date(epoch_us: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch_us / 1e6, tz=timezone.utc).strftime("%Y-%m-%d")


def write_scene(world, writer: SceneWriter, config: GenerateConfig, *, name: str | None = None, suite=None,
                on_frames: Callable[[int], None] | None = None) -> dict:
    """Generate one scene into `writer`'s folder (a nuScenes dataroot of this scene alone) and return its
    merge fragment (also written to fragments/scene.json).

    `world` is a compiled World (its layout's duration and seed already overridden as wanted); `name` the
    scene name (default: the layout's name, made file-safe); `suite` a prepared SensorSuite for this world
    (built from `config` when omitted); `on_frames(n)` is called with the number of sensor frames (camera
    images + LiDAR sweeps) finished at each step. Separate scenes can be written in separate processes and
    joined with `merge_datasets`.
    """
    from .sensors_io import SensorSuite

    name = scene_name(name or world.layout.name)
    suite = suite or SensorSuite(world, config)
    ex = _SceneExport(world, writer, config, name, suite)
    ex.begin()
    n_cams = len(ex.rig.cameras)

    def instants() -> Iterator[tuple[int, int, list]]:
        """Walk the timeline; yield each camera instant's (index, µs, frames) after its LiDAR work is done."""
        cam_i = lid_i = 0
        for us, cam_fires, lidar_fires in ex.tl.events:
            frames = ex.cameras(cam_i, us) if cam_fires else None
            if lidar_fires:
                sweep, sd, pose, points = ex.lidar(lid_i, us)
                if ex.tl.lidar_keyframe[lid_i]:
                    ex.keyframe(us, frames, sweep, sd, pose, points)
                lid_i += 1
                if on_frames:
                    on_frames(1)
            if cam_fires:
                yield cam_i, us, frames
                cam_i += 1

    try:
        stream = suite.render_stream(instants(), images=ex.needs_images)
        for j, us, images in stream:
            if images is not None:
                ex.images(j, us, images)
            if on_frames:
                on_frames(n_cams)
        fragment = ex.finish()
    finally:
        if ex.preview is not None:
            ex.preview.close()
    writer.flush()
    writer.write_tables(fragment, tables=config.wants("nuscenes"))
    return fragment


def frame_count(world_duration: float, config: GenerateConfig, n_cameras: int = 6) -> int:
    """Sensor frames (camera images + LiDAR sweeps) a scene of this duration produces."""
    tl = build_timeline(world_duration, config.camera_rate, config.lidar_rate, config.keyframe_rate, "count")
    return n_cameras * len(tl.camera) + len(tl.lidar)
