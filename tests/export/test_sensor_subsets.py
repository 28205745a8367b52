"""Sensor subsets (`sensors`, `--sensors`): unselected sensors are neither simulated nor written, and the dataset
stays readable by the devkit and in the mmdetection3d info layout."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from anyscene.cli.main import main

from export_scenes import ALL_CLASSES, write

FAST = ["--camera-rate", "4", "--lidar-rate", "4", "--no-progress", "--duration", "1.0"]


@pytest.fixture(scope="module")
def lidar_only(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("subsets")
    layout = write(tmp / "all.yaml", ALL_CLASSES)
    out = tmp / "data"
    assert main(["generate", str(layout), "--out", str(out), "--sensors", "lidar", *FAST]) == 0
    return out


def test_lidar_only_writes_no_camera_or_radar_files(lidar_only):
    assert sorted(p.name for p in (lidar_only / "samples").iterdir()) == ["LIDAR_TOP"]
    assert sorted(p.name for p in (lidar_only / "sweeps").iterdir()) == ["LIDAR_TOP"]
    assert not (lidar_only / "conditions").exists() and not (lidar_only / "previews").exists()
    assert not list(lidar_only.rglob("*.jpg")) and not list(lidar_only.rglob("*.pcd"))


def test_lidar_only_is_read_by_the_devkit(lidar_only):
    from nuscenes.nuscenes import NuScenes

    nusc = NuScenes("v1.0-anyscene", str(lidar_only), verbose=False)
    assert [s["channel"] for s in nusc.sensor] == ["LIDAR_TOP"]
    assert {sd["channel"] for sd in nusc.sample_data} == {"LIDAR_TOP"}
    assert len(nusc.sample) == 3
    for sample in nusc.sample:
        assert list(sample["data"]) == ["LIDAR_TOP"]
        _path, boxes, _ = nusc.get_sample_data(sample["data"]["LIDAR_TOP"])
        assert boxes
    anns = nusc.sample_annotation
    assert anns and all(a["num_lidar_pts"] > 0 for a in anns)  # observed by LiDAR alone
    assert {a["visibility_token"] for a in anns} == {"1"}  # no image saw them (docs/output.md)
    assert {nusc.get("category", nusc.get("instance", a["instance_token"])["category_token"])["name"]
            for a in anns} >= {"vehicle.car", "vehicle.truck", "vehicle.bus.rigid", "human.pedestrian.adult"}


def test_lidar_only_infos_have_no_images(lidar_only):
    with open(lidar_only / "anyscene_infos_all.pkl", "rb") as f:
        infos = pickle.load(f)
    assert len(infos["data_list"]) == 3
    for info in infos["data_list"]:
        assert info["images"] == {} and info["cam_instances"] == {}
        assert (lidar_only / "samples" / "LIDAR_TOP" / Path(info["lidar_points"]["lidar_path"]).name).exists()
        assert info["instances"] and all(i["num_lidar_pts"] > 0 for i in info["instances"])


def test_lidar_only_occ3d_camera_mask_comes_from_the_camera_geometry(lidar_only):
    files = sorted(lidar_only.glob("gts/*/*/labels.npz"))
    assert len(files) == 3
    with np.load(files[0]) as z:
        mask_camera, mask_lidar = z["mask_camera"], z["mask_lidar"]
    assert mask_camera.shape == (200, 200, 16) and 0 < mask_camera.mean() < 1 and mask_lidar.mean() > 0


def test_lidar_and_radar_keep_radar(tmp_path):
    layout = write(tmp_path / "all.yaml", ALL_CLASSES)
    out = tmp_path / "data"
    assert main(["generate", str(layout), "--out", str(out), "--sensors", "lidar,radar", "--formats", "nuscenes",
                 *FAST]) == 0
    assert sorted(p.name for p in (out / "samples").iterdir()) == [
        "LIDAR_TOP", "RADAR_BACK_LEFT", "RADAR_BACK_RIGHT", "RADAR_FRONT", "RADAR_FRONT_LEFT", "RADAR_FRONT_RIGHT"]


@pytest.mark.parametrize("sensors, message", [
    ("camera,radar", "no lidar"), ("lidar,sonar", "sonar"), ("lidar,lidar", "twice")])
def test_bad_sensor_selections_exit_2_and_write_nothing(tmp_path, capsys, sensors, message):
    layout = write(tmp_path / "all.yaml", ALL_CLASSES)
    assert main(["generate", str(layout), "--out", str(tmp_path / "data"), "--sensors", sensors, *FAST]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "data").exists()
