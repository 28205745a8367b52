"""Radar in a generated dataset: five chains at about 13 Hz, .pcd files the devkit reads, num_radar_pts that
the devkit's own point-in-box test confirms."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.export import generate_dataset, load_config

from export_scenes import ALL_CLASSES, write

RADARS = ("RADAR_FRONT", "RADAR_FRONT_LEFT", "RADAR_FRONT_RIGHT", "RADAR_BACK_LEFT", "RADAR_BACK_RIGHT")


@pytest.fixture(scope="module")
def nusc(tmp_path_factory):
    from nuscenes.nuscenes import NuScenes

    tmp = tmp_path_factory.mktemp("radar")
    layout = write(tmp / "all_classes.yaml", ALL_CLASSES)
    cfg = load_config(options={"resolution": "160x90", "duration": 1.0, "progress": False,
                               "formats": ["nuscenes", "infos"]})
    return NuScenes("v1.0-anyscene", str(generate_dataset([layout], tmp / "data", cfg)), verbose=False)


def test_radar_chains_and_files(nusc):
    from nuscenes.utils.data_classes import RadarPointCloud

    sensors = {s["channel"]: s["modality"] for s in nusc.sensor}
    assert all(sensors[r] == "radar" for r in RADARS)
    for sample in nusc.sample:
        assert set(RADARS) <= set(sample["data"])
    for ch in RADARS:
        sd = nusc.get("sample_data", nusc.sample[0]["data"][ch])
        while sd["prev"]:
            sd = nusc.get("sample_data", sd["prev"])
        stamps, keys = [], 0
        while True:
            pc = RadarPointCloud.from_file(f"{nusc.dataroot}/{sd['filename']}")
            assert pc.points.shape[0] == 18
            stamps.append(sd["timestamp"])
            keys += sd["is_key_frame"]
            if not sd["next"]:
                break
            sd = nusc.get("sample_data", sd["next"])
        period = np.diff(stamps) / 1e6
        assert keys == len(nusc.sample) and np.allclose(period, 1 / 13, atol=2e-6)


def test_num_radar_pts_match_the_devkit(nusc):
    from nuscenes.utils.data_classes import RadarPointCloud
    from nuscenes.utils.geometry_utils import points_in_box, transform_matrix
    from pyquaternion import Quaternion

    total = 0
    for sample in nusc.sample:
        clouds = []
        for ch in RADARS:
            sd = nusc.get("sample_data", sample["data"][ch])
            cs = nusc.get("calibrated_sensor", sd["calibrated_sensor_token"])
            pose = nusc.get("ego_pose", sd["ego_pose_token"])
            pc = RadarPointCloud.from_file(f"{nusc.dataroot}/{sd['filename']}")
            m = transform_matrix(pose["translation"], Quaternion(pose["rotation"])) @ \
                transform_matrix(cs["translation"], Quaternion(cs["rotation"]))
            pc.transform(m)
            clouds.append(pc.points[:3])
        pts = np.concatenate(clouds, axis=1)
        for tok in sample["anns"]:
            ann = nusc.get("sample_annotation", tok)
            n = int(points_in_box(nusc.get_box(tok), pts).sum())
            assert n == ann["num_radar_pts"], (ann["category_name"], n, ann["num_radar_pts"])
            total += ann["num_radar_pts"]
    assert total > 0
