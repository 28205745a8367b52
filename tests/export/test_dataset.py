"""A generated dataset read back through the real nuscenes-devkit: tables, renders, chains, exact boxes and
velocities, detection evaluation, points in boxes, lidarseg, condition maps, Occ3D labels, infos, previews.

The dataset is generated once for the module (one 3 s scene with every detection class, 320×180 cameras).
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from anyscene.export import generate_dataset, load_config
from anyscene.export.tokens import token
from anyscene.layout import parse_layout
from anyscene.world import World

from export_scenes import ALL_CLASSES, CONSTANT_VELOCITY, write

matplotlib.use("Agg")

VERSION = "v1.0-anyscene"
SCENE = "all_classes"
REFERENCE = Path("/work/shared/reference/occ3d_labels_sample.npz")
RADARS = ("RADAR_FRONT", "RADAR_FRONT_LEFT", "RADAR_FRONT_RIGHT", "RADAR_BACK_LEFT", "RADAR_BACK_RIGHT")
CAMERAS = ("CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_FRONT_LEFT", "CAM_BACK", "CAM_BACK_LEFT", "CAM_BACK_RIGHT")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("gen")
    layout = write(tmp / "all_classes.yaml", ALL_CLASSES)
    config = load_config(options={"resolution": "320x180", "progress": False})
    return generate_dataset([layout], tmp / "data", config)


@pytest.fixture(scope="module")
def nusc(dataset):
    from nuscenes.nuscenes import NuScenes

    return NuScenes(VERSION, str(dataset), verbose=False)


@pytest.fixture(scope="module")
def world() -> World:
    layout, _ = parse_layout(ALL_CLASSES, "all_classes.yaml")
    return World.compile(layout)


@pytest.fixture(scope="module")
def tracks(world) -> dict:
    """instance token -> AgentTrack."""
    return {token(SCENE, "instance", tr.instance): tr for tr in world.agents}


def _offset(nusc) -> np.ndarray:
    return np.array(nusc.log[0]["global_offset"])


def _scene_time(nusc, timestamp: int) -> float:
    first = nusc.get("sample", nusc.scene[0]["first_sample_token"])["timestamp"]
    return (timestamp - first) / 1e6


def test_tables_load_and_renders_work(nusc, dataset, tmp_path):
    assert len(nusc.scene) == 1 and nusc.scene[0]["name"] == SCENE
    assert len(nusc.sample) == 7 and len(nusc.category) == 32 and len(nusc.attribute) == 8
    assert [v["token"] for v in nusc.visibility] == ["1", "2", "3", "4"]
    token = nusc.sample[3]["token"]
    nusc.render_sample(token, out_path=str(tmp_path / "sample.png"))
    for channel, sd in nusc.sample[3]["data"].items():
        nusc.render_sample_data(sd, out_path=str(tmp_path / f"{channel}.png"))
    nusc.render_sample_data(nusc.sample[3]["data"]["LIDAR_TOP"], show_lidarseg=True,
                            out_path=str(tmp_path / "lidarseg.png"))
    nusc.render_egoposes_on_map("anyscene", out_path=str(tmp_path / "poses.png"))
    for name in ("sample.png", "CAM_FRONT.png", "LIDAR_TOP.png", "lidarseg.png", "poses.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    for table in ("sample_data", "map"):
        for rec in getattr(nusc, table):
            assert (dataset / rec["filename"]).is_file()


def test_every_sample_has_every_channel_and_chains_are_complete(nusc):
    for s in nusc.sample:
        assert set(s["data"]) == set(CAMERAS) | {"LIDAR_TOP"} | set(RADARS)
    keyframe_samples = [s["token"] for s in sorted(nusc.sample, key=lambda s: s["timestamp"])]
    for channel, rate in [(c, 12) for c in CAMERAS] + [("LIDAR_TOP", 20)]:
        sd = nusc.get("sample_data", nusc.sample[0]["data"][channel])
        while sd["prev"]:
            sd = nusc.get("sample_data", sd["prev"])
        chain = [sd]
        while sd["next"]:
            sd = nusc.get("sample_data", sd["next"])
            assert nusc.get("sample_data", sd["prev"])["token"] == chain[-1]["token"]
            chain.append(sd)
        assert len(chain) == 3 * rate + 1
        ts = np.array([c["timestamp"] for c in chain])
        assert np.all(np.diff(ts) > 0) and np.abs(np.diff(ts) - 1e6 / rate).max() <= 1
        assert sum(c["is_key_frame"] for c in chain) == 7
        for c in chain:
            sample = nusc.get("sample", c["sample_token"])
            if c["is_key_frame"]:
                assert sample["timestamp"] == c["timestamp"] and c["filename"].startswith("samples/")
            else:
                assert c["filename"].startswith("sweeps/")
                k = keyframe_samples.index(sample["token"])
                assert nusc.get("sample", keyframe_samples[k])["timestamp"] > c["timestamp"]
                assert k == 0 or nusc.get("sample", keyframe_samples[k - 1])["timestamp"] < c["timestamp"]


def test_annotations_are_the_layout_exactly(nusc, world, tracks):
    from nuscenes.eval.common.utils import quaternion_yaw
    from pyquaternion import Quaternion

    offset = _offset(nusc)
    assert len(nusc.sample_annotation) > 50
    seen_ids = set()
    for ann in nusc.sample_annotation:
        tr = tracks[ann["instance_token"]]
        seen_ids.add(tr.id)
        t = _scene_time(nusc, nusc.get("sample", ann["sample_token"])["timestamp"])
        st = world.states(t)
        n = [a.instance for a in world.agents].index(tr.instance)
        assert np.abs(np.array(ann["translation"]) - offset - st.center[n]).max() <= 1e-3
        yaw = quaternion_yaw(Quaternion(ann["rotation"]))
        assert abs((yaw - st.yaw[n] + np.pi) % (2 * np.pi) - np.pi) < 1e-9
        assert ann["size"] == [st.size[n, 1], st.size[n, 0], st.size[n, 2]]
        assert ann["category_name"] == tr.klass.category
        assert len(ann["attribute_tokens"]) <= 1  # num_radar_pts: tests/export/test_radar_export.py
    assert {"car_1", "ped_walk", "cone_1", "parked_car", "parked_bike"} <= seen_ids
    names = {nusc.get("attribute", a["attribute_tokens"][0])["name"]
             for a in nusc.sample_annotation if a["attribute_tokens"]}
    assert {"vehicle.moving", "vehicle.parked", "cycle.with_rider", "cycle.without_rider",
            "pedestrian.moving", "pedestrian.standing"} <= names


def test_box_velocity_equals_layout_velocity(nusc, world, tracks):
    checked = 0
    for ann in nusc.sample_annotation:
        tr = tracks[ann["instance_token"]]
        if tr.id not in CONSTANT_VELOCITY or not (ann["prev"] or ann["next"]):
            continue
        t = _scene_time(nusc, nusc.get("sample", ann["sample_token"])["timestamp"])
        st = world.states(t)
        n = [a.instance for a in world.agents].index(tr.instance)
        v = nusc.box_velocity(ann["token"])
        if np.isnan(v).any():  # the devkit gives no estimate across gaps of more than 1.5 s (3 s centred)
            times = [nusc.get("sample", nusc.get("sample_annotation", a)["sample_token"])["timestamp"]
                     for a in (ann["prev"] or ann["token"], ann["next"] or ann["token"])]
            assert times[1] - times[0] > (3.0 if ann["prev"] and ann["next"] else 1.5) * 1e6
            continue
        assert np.abs(v[:2] - st.velocity[n]).max() <= 0.01, tr.id
        checked += 1
    assert checked > 40


def test_detection_eval_of_ground_truth_is_perfect(nusc, tmp_path):
    from nuscenes.eval.detection.config import config_factory
    from nuscenes.eval.detection.evaluate import DetectionEval
    from nuscenes.eval.detection.utils import category_to_detection_name

    split = "anyscene_all"
    splits = json.loads((Path(nusc.dataroot) / VERSION / "splits.json").read_text())
    assert splits[split] == [SCENE]
    results = {}
    for s in nusc.sample:
        boxes = []
        for tok in s["anns"]:
            ann = nusc.get("sample_annotation", tok)
            name = category_to_detection_name(ann["category_name"])
            if name is None or ann["num_lidar_pts"] == 0:
                continue
            attr = nusc.get("attribute", ann["attribute_tokens"][0])["name"] if ann["attribute_tokens"] else ""
            boxes.append({"sample_token": s["token"], "translation": ann["translation"], "size": ann["size"],
                          "rotation": ann["rotation"], "velocity": list(nusc.box_velocity(tok)[:2]),
                          "detection_name": name, "detection_score": 1.0, "attribute_name": attr})
        results[s["token"]] = boxes
    meta = {"use_camera": True, "use_lidar": True, "use_radar": False, "use_map": False, "use_external": False}
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"meta": meta, "results": results}))
    ev = DetectionEval(nusc, config_factory("detection_cvpr_2019"), str(path), eval_set=split,
                       output_dir=str(tmp_path / "eval"), verbose=False)
    summary = ev.main(plot_examples=0, render_curves=False)
    assert summary["mean_ap"] == pytest.approx(1.0)
    assert summary["nd_score"] >= 0.99


def test_points_in_boxes_equal_num_lidar_pts(nusc):
    from nuscenes.utils.data_classes import LidarPointCloud
    from nuscenes.utils.geometry_utils import points_in_box

    with_points = 0
    for s in nusc.sample:
        path, boxes, _ = nusc.get_sample_data(s["data"]["LIDAR_TOP"])
        pc = LidarPointCloud.from_file(path)
        for b in boxes:
            ann = nusc.get("sample_annotation", b.token)
            assert int(points_in_box(b, pc.points[:3]).sum()) == ann["num_lidar_pts"]
            with_points += ann["num_lidar_pts"] > 0
    assert with_points > 50


def test_lidarseg_labels_load(nusc, dataset):
    from nuscenes.utils.data_io import load_bin_file

    assert len(nusc.lidarseg) == len(nusc.sample)
    for rec in nusc.lidarseg:
        sd = nusc.get("sample_data", rec["sample_data_token"])
        assert sd["is_key_frame"] and sd["channel"] == "LIDAR_TOP"
        labels = load_bin_file(str(dataset / rec["filename"]), type="lidarseg")
        points = np.fromfile(dataset / sd["filename"], dtype=np.float32).reshape(-1, 5)
        assert labels.shape == (points.shape[0],) and labels.dtype == np.uint8
        assert set(np.unique(labels).tolist()) <= set(range(32))
    nusc.get_sample_lidarseg_stats(nusc.sample[0]["token"])
    counts = {}
    for rec in nusc.lidarseg:
        for i in load_bin_file(str(dataset / rec["filename"]), type="lidarseg"):
            counts[nusc.lidarseg_idx2name_mapping[int(i)]] = counts.get(nusc.lidarseg_idx2name_mapping[int(i)], 0) + 1
    assert counts.get("flat.driveable_surface", 0) > 1000 and counts.get("vehicle.car", 0) > 0


def test_condition_maps_agree_with_projected_boxes(nusc, dataset, tracks):
    from nuscenes.utils.geometry_utils import BoxVisibility, view_points

    instance_id = {tok: tr.instance for tok, tr in tracks.items()}
    checked = 0
    for s in nusc.sample:
        for channel in CAMERAS:
            sd_token = s["data"][channel]
            cond = np.load(dataset / "conditions" / channel / f"{sd_token}.npz")
            assert set(cond.files) == {"semantic", "depth", "instance"}
            assert cond["semantic"].dtype == np.uint8 and cond["depth"].dtype == np.float16
            assert cond["instance"].dtype == np.uint16 and cond["semantic"].shape == (180, 320)
            inst = cond["instance"]
            _, boxes, k = nusc.get_sample_data(sd_token, box_vis_level=BoxVisibility.NONE)
            for b in boxes:
                corners = b.corners()
                if np.any(corners[2] <= 0.1):
                    continue
                rows, cols = np.nonzero(inst == instance_id[nusc.get("sample_annotation", b.token)["instance_token"]])
                if rows.size == 0:
                    continue
                uv = view_points(corners, k, normalize=True)[:2]
                assert cols.min() + 0.5 >= uv[0].min() - 1 and cols.max() + 0.5 <= uv[0].max() + 1
                assert rows.min() + 0.5 >= uv[1].min() - 1 and rows.max() + 0.5 <= uv[1].max() + 1
                checked += 1
    assert checked > 30


def test_occ3d_labels_and_annotations(nusc, dataset):
    ref = np.load(REFERENCE)
    ann = json.loads((dataset / "annotations.json").read_text())
    assert ann["train_split"] == [SCENE] and ann["val_split"] == [SCENE]
    infos = ann["scene_infos"][SCENE]
    assert list(infos) == [s["token"] for s in sorted(nusc.sample, key=lambda s: s["timestamp"])]
    for n, (tok, info) in enumerate(infos.items()):
        labels = np.load(dataset / info["gt_path"])
        assert info["gt_path"] == f"gts/{SCENE}/{tok}/labels.npz"
        for key in ("semantics", "mask_lidar", "mask_camera"):
            assert labels[key].shape == ref[key].shape and labels[key].dtype == ref[key].dtype
        for key in ("mask_lidar", "mask_camera"):
            assert set(np.unique(labels[key]).tolist()) <= {0, 1} and labels[key].sum() > 1000
        assert labels["flow"].shape == ref["semantics"].shape + (2,) and labels["flow"].dtype == np.float32
        assert info["timestamp"] == nusc.get("sample", tok)["timestamp"]
        assert (info["prev"] == "EOF") == (n == 0) and (info["next"] == "EOF") == (n == len(infos) - 1)
        assert set(info["camera_sensor"]) == set(CAMERAS)
        for channel, cam in info["camera_sensor"].items():
            assert (dataset / "samples" / cam["img_path"]).is_file()
            assert np.array(cam["intrinsic"]).shape == (3, 3) and cam["intrinsics"] == cam["intrinsic"]
            assert set(cam["extrinsic"]) == {"translation", "rotation"} == set(cam["ego_pose"])
        lidar_pose = nusc.get("ego_pose", nusc.get("sample_data", nusc.get("sample", tok)["data"]["LIDAR_TOP"])
                              ["ego_pose_token"])
        assert info["ego_pose"] == {"translation": lidar_pose["translation"], "rotation": lidar_pose["rotation"]}


def test_info_pkl_boxes_are_the_annotations_in_the_lidar_frame(nusc, dataset, world, tracks):
    data = pickle.loads((dataset / "anyscene_infos_all.pkl").read_bytes())
    assert data["metainfo"]["info_version"] == "1.1" and data["metainfo"]["categories"]["car"] == 0
    assert len(data["data_list"]) == len(nusc.sample)
    for i, info in enumerate(data["data_list"]):
        assert info["sample_idx"] == i
        s = nusc.get("sample", info["token"])
        path, boxes, _ = nusc.get_sample_data(s["data"]["LIDAR_TOP"])
        assert Path(path).name == info["lidar_points"]["lidar_path"] and info["lidar_points"]["num_pts_feats"] == 5
        assert (dataset / info["occ_path"] / "labels.npz").is_file()
        assert len(info["instances"]) == len(boxes)
        t = _scene_time(nusc, s["timestamp"])
        st = world.states(t)
        e2g = np.array(info["ego2global"])
        l2e = np.array(info["lidar_points"]["lidar2ego"])
        for inst, b in zip(info["instances"], boxes):
            x, y, z, l, w, h, yaw = inst["bbox_3d"]
            assert np.allclose([x, y, z], b.center, atol=1e-9) and np.allclose([w, l, h], b.wlh)
            assert abs(yaw - b.orientation.yaw_pitch_roll[0]) < 1e-9
            ann = nusc.get("sample_annotation", b.token)
            assert inst["num_lidar_pts"] == ann["num_lidar_pts"]
            n = [a.instance for a in world.agents].index(tracks[ann["instance_token"]].instance)
            v_world = np.array([*st.velocity[n], 0.0])
            v_lidar = np.linalg.inv(e2g[:3, :3] @ l2e[:3, :3]) @ v_world
            assert np.allclose(inst["velocity"], v_lidar[:2], atol=1e-9)
        for channel in CAMERAS:
            img = info["images"][channel]
            sd = nusc.get("sample_data", img["sample_data_token"])
            assert Path(sd["filename"]).name == img["img_path"] and sd["is_key_frame"]
            # lidar2cam maps a LiDAR point to the same camera point as the devkit's transform chain.
            cam2ego = np.array(img["cam2ego"])
            p = np.array([3.0, 10.0, -1.0, 1.0])
            via = np.linalg.inv(cam2ego) @ np.linalg.inv(e2g) @ e2g @ l2e @ p
            assert np.allclose(np.array(img["lidar2cam"]) @ p, via, atol=1e-9)
        assert len(info["lidar_sweeps"]) == min(10, 10 * i)


def test_preview_video(dataset):
    import imageio.v2 as imageio

    reader = imageio.get_reader(str(dataset / "previews" / f"{SCENE}.mp4"))
    frames = [f for f in reader]
    reader.close()
    assert len(frames) == 37
    h, w, _ = frames[0].shape
    assert h % 16 == 0 and w % 16 == 0 and w > h
    assert frames[10].std() > 10


def test_no_staging_left_behind(dataset):
    assert not (dataset / ".incomplete").exists() and not (dataset / ".scenes").exists()
    assert not list(dataset.parent.glob(".*partial*"))
