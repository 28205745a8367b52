"""The replay comparison: pairing, figures and files, on the real scene against itself (every figure is then
known exactly) and against its replay generated from the imported layout."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anyscene.cli.main import main

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "nuscenes-real"


@pytest.fixture(scope="module")
def real_root() -> Path:
    if not (REAL / "v1.0-real" / "scene.json").exists():
        pytest.skip("the real nuScenes scene (../shared/nuscenes-real) is not available")
    return REAL.resolve()


@pytest.fixture(scope="module")
def replay(real_root, real_import, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("replay")
    assert main(["generate", str(real_import / "scene.yaml"), "--out", str(tmp / "gen"), "--rig",
                 str(real_import / "rig.yaml"),
                 "--resolution", "160x90", "--duration", "1.5", "--formats", "nuscenes,conditions", "--no-progress",
                 "annotation.require_observation=false"]) == 0
    return tmp / "gen"


def test_real_against_itself_is_exact(real_root):
    from anyscene.replay import compare_datasets

    report, boxes = compare_datasets(real_root, real_root)
    assert report["keyframes"] == {"real": 41, "generated": 41, "paired": 41}
    assert report["frame_shift_m"] == [0.0, 0.0]
    a = report["boxes"]["all"]["all"]
    assert a["real_boxes"] == a["matched"] == 2424
    assert a["d_xy"]["max"] == 0.0 and a["d_yaw"]["max"] == 0.0 and a["d_size"]["max"] == 0.0
    assert a["lidar_ratio"] == {"median": 1.0, "q25": 1.0, "q75": 1.0} and a["zero_point_fraction"] == 0.0
    assert a["spearman"] == pytest.approx(1.0)
    assert a["visibility_level_agreement"] == 1.0 and a["camera_in_view_agreement"] == 1.0
    assert set(report["boxes"]) >= {"car", "pedestrian", "bus", "bicycle_rack"}
    assert set(report["boxes"]["car"]) <= {"all", "0-10", "10-20", "20-30", "30-50", "50+"}
    lid = report["lidar"]
    assert lid["sweeps"] == 41 and lid["points_ratio_median"] == 1.0
    assert lid["real"] == lid["synthetic"]
    assert lid["real"]["records_per_sweep_median"] > lid["real"]["points_per_sweep"]["median"]  # no-returns
    assert lid["chamfer_static_m"] == {"median": 0.0, "p90": 0.0} and lid["intensity_distance"]["median"] == 0.0
    assert lid["ring_return_rate"]["real"] == lid["ring_return_rate"]["synthetic"]
    assert 0.5 < np.mean(lid["ring_return_rate"]["real"]) <= 1.0
    assert len(lid["per_sweep"]) == 41 and all(s["static_points"][0] < s["real_points"] for s in lid["per_sweep"])
    assert a["points_per_box"]["real_mean"] == a["points_per_box"]["synthetic_mean"]
    cams = report["cameras"]
    assert cams["images"] == 0 and "no depth maps" in cams["note"]  # a real dataroot has no condition maps


def test_replay_comparison_cli_writes_json_and_plots(real_root, replay, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(real_root), str(replay), "--out", str(out)]) == 0
    assert "keyframes" in capsys.readouterr().out
    report = json.loads((out / "comparison.json").read_text())
    assert report["keyframes"]["paired"] == 4
    shift = np.array(report["frame_shift_m"])
    assert np.array_equal(shift, np.round(shift)) and np.any(shift != 0)
    a = report["boxes"]["all"]["all"]
    assert a["matched"] > 0.8 * a["real_boxes"]
    assert a["d_size"]["max"] == 0.0 and a["d_xy"]["median"] <= 0.01
    assert 0.0 <= a["zero_point_fraction"] <= 1.0 and a["lidar_ratio"]["q25"] <= a["lidar_ratio"]["q75"]
    assert -1.0 <= a["spearman"] <= 1.0
    lid = report["lidar"]
    assert lid["sweeps"] == 4 and len(lid["real"]["ring_fraction"]) == 32
    assert 0.0 < lid["chamfer_static_m"]["median"] <= lid["chamfer_static_m"]["p90"] < 5.0  # same street, metres
    assert 0.0 < lid["intensity_distance"]["median"] < 1.0 and len(lid["per_sweep"]) == 4
    cams = report["cameras"]
    assert cams["held_out"] == "odd keyframes" and cams["images"] == 2 * 6  # keyframes 1 and 3, six cameras
    assert 0.0 < cams["coverage_mean"] < 1.0 and 0.0 < cams["psnr_db_median"] < 40.0
    assert -1.0 <= cams["ssim_median"] <= 1.0
    assert sum(lid["synthetic"]["range_fraction"]) == pytest.approx(1.0)
    boxes = json.loads((out / "boxes.json").read_text())
    assert len(boxes) == a["real_boxes"]
    for name in ("lidar_ratio_by_class.png", "lidar_points_per_box.png", "range_histogram.png",
                 "ring_coverage.png", "intensity_histogram.png", "points_per_sweep.png", "chamfer_static.png",
                 "ring_return_rate.png", "camera_psnr_ssim.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["compare", str(real_root), str(replay), "--out", str(out)]) == 2  # exists


def test_box_pairing_is_an_optimal_assignment_within_class():
    from anyscene.replay.datasets import pair_boxes

    real = [{"translation": [0.0, 0.0, 0.0], "c": "car"}, {"translation": [1.0, 0.0, 0.0], "c": "car"},
            {"translation": [5.0, 5.0, 0.0], "c": "pedestrian"}, {"translation": [40.0, 0.0, 0.0], "c": "car"}]
    syn = [{"translation": [-9.1, 0.0, 0.0], "c": "car"}, {"translation": [-10.0, 0.0, 0.0], "c": "car"},
           {"translation": [-5.0, 5.0, 0.0], "c": "car"}]
    pairs = pair_boxes(real, syn, np.array([10.0, 0.0]), lambda a, b: a["c"] == b["c"])
    assert pairs == [(0, 1), (1, 0), (2, None), (3, None)]


def test_sweep_statistics_count_returns_only():
    from anyscene.replay.lidar import sweep_stats

    pts = np.zeros((5, 5), dtype=np.float32)
    pts[:3, 0] = [3.0, 15.0, 99.0]
    pts[:3, 3] = [10.0, 100.0, 250.0]
    pts[:3, 4] = [0, 5, 31]
    st = sweep_stats(pts)
    assert (st.records, st.points) == (5, 3)
    assert st.range_hist.sum() == 3 and st.range_hist[1] == 1 and st.range_hist[7] == 1
    assert st.ring_points[[0, 5, 31]].tolist() == [1, 1, 1] and st.intensity_hist.sum() == 3


def test_compare_bad_dataroot_exits_2_and_writes_nothing(real_root, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(real_root), str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "missing: no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["compare", str(real_root), str(tmp_path / "empty"), "--out", str(out)]) == 2
    assert "not a nuScenes dataroot" in capsys.readouterr().err
    assert not out.exists()
