"""mmdetection3d info files (v2 format, "info_version 1.1") and the Occ3D `annotations.json` entries.

An info entry per keyframe follows mmdetection3d v1.x (`tools/dataset_converters/update_infos_to_v2.py` over
`nuscenes_converter.py`): file paths are base names (the dataset's `data_prefix` adds `samples/<CHANNEL>`);
`instances[*].bbox_3d` is [x, y, z, l, w, h, yaw] in the keyframe's LiDAR frame with (x, y, z) the box's
gravity centre, l/w/h along the box's x/y/z, yaw the heading of the length axis about the LiDAR z axis;
`velocity` [vx, vy] is the layout's exact velocity rotated into the LiDAR frame (the devkit's finite
difference equals it for agents at constant velocity). BEVDet-style occupancy pipelines read `occ_path`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from shapely.geometry import MultiPoint, Polygon, box as canvas_box

from ..classes import DETECTION_NAME
from ..pipeline.boxes import KeyframeBox
from ..sensors.geometry import quat_to_matrix
from .devkit_boxes import box_in_sensor, view_points
from .taxonomy import LIDAR_CHANNEL

# mmdetection3d's nuScenes class and attribute orders (mmdet3d/datasets/convert_utils.py).
MMDET3D_CLASSES: tuple[str, ...] = ("car", "truck", "trailer", "bus", "construction_vehicle", "bicycle",
                                    "motorcycle", "pedestrian", "traffic_cone", "barrier")
MMDET3D_ATTRIBUTES: tuple[str, ...] = ("cycle.with_rider", "cycle.without_rider", "pedestrian.moving",
                                       "pedestrian.standing", "pedestrian.sitting_lying_down", "vehicle.moving",
                                       "vehicle.parked", "vehicle.stopped", "None")
OCC3D_END = "EOF"  # Occ3D's marker for the missing prev/next of a scene's first/last keyframe


@dataclass
class KeyframeRecords:
    """The table records of one keyframe that its info entries are built from (records, not sensor data):
    the sample, the LiDAR and camera sample_data with their ego poses, the annotations with their exact
    boxes (same order), and the previous LiDAR sweeps {"sd", "pose"}, newest first."""

    index: int
    sample: dict
    lidar_sd: dict
    lidar_pose: dict
    camera_sd: dict[str, dict] = field(default_factory=dict)
    camera_poses: dict[str, dict] = field(default_factory=dict)
    anns: list[dict] = field(default_factory=list)
    boxes: list[KeyframeBox] = field(default_factory=list)
    lidar_sweeps: list[dict] = field(default_factory=list)


def pose_matrix(record: dict) -> np.ndarray:
    """4×4 transform of a record with `translation` and `rotation` [w, x, y, z] (sensor→ego or ego→global)."""
    m = np.eye(4)
    m[:3, :3] = quat_to_matrix(record["rotation"])
    m[:3, 3] = record["translation"]
    return m


def metainfo(version: str, category_names: list[str]) -> dict:
    """The `metainfo` block: detection classes 0..9, every other category present -> -1."""
    cats = {c: i for i, c in enumerate(MMDET3D_CLASSES)}
    for name in category_names:
        det = DETECTION_NAME.get(name)
        if det is None and name not in cats:
            cats[name] = -1
    return {"categories": cats, "dataset": "nuscenes", "version": version, "info_version": "1.1"}


def box_in_lidar(rec: dict, velocity: np.ndarray, ego_pose: dict, lidar_cs: dict) -> tuple[list[float], list[float]]:
    """(bbox_3d [x, y, z, l, w, h, yaw], velocity [vx, vy]) of a global-frame annotation in the LiDAR frame,
    computed as mmdetection3d's converter does from the devkit's sensor-frame box."""
    b = box_in_sensor(rec, ego_pose, lidar_cs)
    w, l, h = b.wlh
    vel = _rotate_velocity(velocity, ego_pose, lidar_cs)
    bbox = [float(v) for v in b.center] + [float(l), float(w), float(h), b.yaw]
    return bbox, [float(vel[0]), float(vel[1])]


def _rotate_velocity(velocity: np.ndarray, ego_pose: dict, sensor: dict) -> np.ndarray:
    """A global planar velocity (vx, vy) in a sensor frame (3,), as mmdetection3d's converter rotates it."""
    e2g = quat_to_matrix(ego_pose["rotation"])
    s2e = quat_to_matrix(sensor["rotation"])
    return np.array([velocity[0], velocity[1], 0.0]) @ np.linalg.inv(e2g).T @ np.linalg.inv(s2e).T


def camera_instances(ann_recs: list[dict], velocities: list[np.ndarray], attributes: list[str],
                     cam_cs: dict, cam_pose: dict) -> list[dict]:
    """mmdetection3d `cam_instances` of one camera keyframe (as `get_nuscenes_2d_boxes` builds them)."""
    intrinsic = np.array(cam_cs["camera_intrinsic"])
    canvas = canvas_box(0, 0, cam_cs["width"], cam_cs["height"])
    out = []
    for rec, vel, attr in zip(ann_recs, velocities, attributes):
        det = DETECTION_NAME.get(rec["category_name"])
        if det is None:
            continue
        b = box_in_sensor(rec, cam_pose, cam_cs)
        corners = b.corners()
        corners = corners[:, corners[2, :] > 0]
        if corners.shape[1] == 0:
            continue
        hull = MultiPoint(view_points(corners, intrinsic, True).T[:, :2].tolist()).convex_hull
        if not hull.intersects(canvas):
            continue
        clipped = hull.intersection(canvas)
        if not isinstance(clipped, Polygon) or clipped.is_empty:
            continue
        x1, y1, x2, y2 = clipped.bounds
        depth = float(b.center[2])
        if depth <= 0:
            continue
        uv = view_points(b.center.reshape(3, 1), intrinsic, True)[:2, 0]
        label = MMDET3D_CLASSES.index(det)
        w, l, h = b.wlh
        cam_vel = _rotate_velocity(vel, cam_pose, cam_cs)
        out.append({
            "bbox": [float(x1), float(y1), float(x2), float(y2)],
            "bbox_label": label, "bbox_label_3d": label, "bbox_3d_isvalid": True,
            "bbox_3d": [float(v) for v in b.center] + [float(l), float(h), float(w), -b.yaw],
            "velocity": [float(cam_vel[0]), float(cam_vel[2])],
            "center_2d": [float(uv[0]), float(uv[1])], "depth": depth,
            "attr_label": MMDET3D_ATTRIBUTES.index(attr or "None"),
        })
    return out


def mmdet3d_label(category: str) -> int:
    """bbox_label of a nuScenes category: its index in MMDET3D_CLASSES, -1 outside the 10 classes."""
    det = DETECTION_NAME.get(category)
    return MMDET3D_CLASSES.index(det) if det else -1


def occ3d_scene_infos(keyframes: list[KeyframeRecords], calibrated: dict[str, dict], scene: str) -> dict:
    """`scene_infos[scene]` of Occ3D's annotations.json: sample token -> entry, in time order; `calibrated` the
    calibrated_sensor record of each channel."""
    out = {}
    for n, kf in enumerate(keyframes):
        cams = {}
        for channel, sd in kf.camera_sd.items():
            cs, pose = calibrated[channel], kf.camera_poses[channel]
            cams[channel] = {
                "img_path": sd["filename"].split("/", 1)[1], "intrinsic": cs["camera_intrinsic"],
                "intrinsics": cs["camera_intrinsic"],
                "extrinsic": {"translation": cs["translation"], "rotation": cs["rotation"]},
                "ego_pose": {"translation": pose["translation"], "rotation": pose["rotation"]}}
        tok = kf.sample["token"]
        out[tok] = {"timestamp": kf.sample["timestamp"], "camera_sensor": cams,
                    "ego_pose": {"translation": kf.lidar_pose["translation"], "rotation": kf.lidar_pose["rotation"]},
                    "gt_path": f"gts/{scene}/{tok}/labels.npz",
                    "prev": keyframes[n - 1].sample["token"] if n > 0 else OCC3D_END,
                    "next": keyframes[n + 1].sample["token"] if n + 1 < len(keyframes) else OCC3D_END}
    return out


def mmdet3d_infos(keyframes: list[KeyframeRecords], cameras, calibrated: dict[str, dict], scene: str,
                  scene_token: str, lidarseg: bool) -> list[dict]:
    """The info entries (without `sample_idx`, set per split when merging) of a scene's keyframes; `cameras`
    the rig's cameras, `calibrated` the calibrated_sensor record of each channel."""
    out = []
    lidar_cs = calibrated[LIDAR_CHANNEL]
    l2e = pose_matrix(lidar_cs)
    for kf in keyframes:
        e2g = pose_matrix(kf.lidar_pose)
        lidar2global = e2g @ l2e
        images = {}
        for cam in cameras:
            sd, cs, pose = kf.camera_sd[cam.channel], calibrated[cam.channel], kf.camera_poses[cam.channel]
            cam2global = pose_matrix(pose) @ pose_matrix(cs)
            images[cam.channel] = {
                "img_path": Path(sd["filename"]).name, "height": sd["height"], "width": sd["width"],
                "cam2img": cs["camera_intrinsic"], "cam2ego": pose_matrix(cs).tolist(),
                "lidar2cam": (np.linalg.inv(cam2global) @ lidar2global).tolist(),
                "sample_data_token": sd["token"], "timestamp": sd["timestamp"] / 1e6}
        sweeps = []
        for r in kf.lidar_sweeps:
            s2g = pose_matrix(r["pose"]) @ l2e
            sweeps.append({"timestamp": r["sd"]["timestamp"] / 1e6, "ego2global": pose_matrix(r["pose"]).tolist(),
                           "sample_data_token": r["sd"]["token"],
                           "lidar_points": {"lidar_path": r["sd"]["filename"], "lidar2ego": l2e.tolist(),
                                            "lidar2sensor": (np.linalg.inv(s2g) @ lidar2global).tolist()}})
        instances = []
        for rec, b in zip(kf.anns, kf.boxes):
            bbox, vel = box_in_lidar(rec, b.velocity, kf.lidar_pose, lidar_cs)
            label = mmdet3d_label(b.category)
            instances.append({"bbox_3d": bbox, "bbox_label": label, "bbox_label_3d": label, "velocity": vel,
                              "num_lidar_pts": rec["num_lidar_pts"], "num_radar_pts": rec["num_radar_pts"],
                              "bbox_3d_isvalid": rec["num_lidar_pts"] > 0})
        anns = [dict(r, category_name=b.category) for r, b in zip(kf.anns, kf.boxes)]
        cam_instances = {
            cam.channel: camera_instances(anns, [b.velocity for b in kf.boxes], [b.attribute for b in kf.boxes],
                                          dict(calibrated[cam.channel], width=cam.width, height=cam.height),
                                          kf.camera_poses[cam.channel])
            for cam in cameras}
        info = {"token": kf.sample["token"], "timestamp": kf.sample["timestamp"] / 1e6, "scene_token": scene_token,
                "ego2global": e2g.tolist(),
                "lidar_points": {"lidar_path": Path(kf.lidar_sd["filename"]).name, "num_pts_feats": 5,
                                 "lidar2ego": l2e.tolist()},
                "lidar_sweeps": sweeps, "images": images, "instances": instances, "cam_instances": cam_instances,
                "occ_path": f"gts/{scene}/{kf.sample['token']}"}
        if lidarseg:
            info["pts_semantic_mask_path"] = f"{kf.lidar_sd['token']}_lidarseg.bin"
        out.append(info)
    return out
