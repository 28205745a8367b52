"""`anyscene stats`: annotation statistics of a dataroot, on hand-made tables (every figure known), on the real
scene and on a generated dataset beside it."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anyscene.cli.main import main
from anyscene.replay.stats import box_table, dataset_stats

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "nuscenes-real"


def _tables(root: Path) -> Path:
    """A dataroot of two keyframes 0.5 s apart: a car driving 5 m (10 m/s) at 3-4 m from the ego, a parked truck
    at 20 m, a pedestrian seen once (no speed) and an animal (not a detection class)."""
    v = root / "v1.0-t"
    v.mkdir(parents=True)
    cats = [{"token": c, "name": n} for c, n in (("cc", "vehicle.car"), ("ct", "vehicle.truck"),
                                                 ("cp", "human.pedestrian.adult"), ("ca", "animal"))]
    inst = [{"token": i, "category_token": c} for i, c in (("i1", "cc"), ("i2", "ct"), ("i3", "cp"), ("i4", "ca"))]
    attrs = [{"token": "am", "name": "vehicle.moving"}, {"token": "ap", "name": "vehicle.parked"}]
    samples = [{"token": "s0", "timestamp": 1_000_000}, {"token": "s1", "timestamp": 1_500_000}]
    sd = [{"token": f"d{k}", "sample_token": f"s{k}", "ego_pose_token": f"e{k}", "is_key_frame": True,
           "filename": f"samples/LIDAR_TOP/{k}.pcd.bin", "channel": "LIDAR_TOP"} for k in (0, 1)]
    poses = [{"token": "e0", "translation": [0.0, 0.0, 0.0]}, {"token": "e1", "translation": [5.0, 0.0, 0.0]}]

    def ann(tok, s, i, xy, size, attr, pts, prev="", nxt=""):
        return {"token": tok, "sample_token": s, "instance_token": i, "translation": [*xy, 1.0], "size": size,
                "attribute_tokens": [attr] if attr else [], "num_lidar_pts": pts, "prev": prev, "next": nxt}

    anns = [ann("a1", "s0", "i1", (3.0, 0.0), [1.9, 4.6, 1.7], "am", 100, nxt="a2"),
            ann("a2", "s1", "i1", (8.0, 4.0), [2.1, 4.4, 1.5], "am", 80, prev="a1"),
            ann("a3", "s0", "i2", (0.0, 20.0), [2.5, 7.0, 3.0], "ap", 0, nxt="a4"),
            ann("a4", "s1", "i2", (0.0, 20.0), [2.5, 7.0, 3.0], "ap", 5, prev="a3"),
            ann("a5", "s1", "i3", (5.0, 2.0), [0.7, 0.7, 1.8], "", 9),
            ann("a6", "s1", "i4", (1.0, 1.0), [0.5, 0.5, 0.5], "", 3)]
    for name, rows in (("category", cats), ("instance", inst), ("attribute", attrs), ("sample", samples),
                       ("sample_data", sd), ("ego_pose", poses), ("sample_annotation", anns)):
        (v / f"{name}.json").write_text(json.dumps(rows))
    return root


def test_hand_made_tables_give_the_known_figures(tmp_path):
    s = dataset_stats(_tables(tmp_path / "t"), "v1.0-t")
    assert s["keyframes"] == 2 and s["boxes"] == 5  # the animal is no detection class
    assert s["boxes_per_keyframe"]["mean"] == 2.5
    car, truck, ped = s["classes"]["car"], s["classes"]["truck"], s["classes"]["pedestrian"]
    assert car["boxes"] == 2 and car["share"] == pytest.approx(0.4)
    assert car["distance"]["mean"] == pytest.approx((3.0 + 5.0) / 2)  # |(8,4) - (5,0)| = 5
    assert car["width"]["mean"] == pytest.approx(2.0) and car["width"]["std"] == pytest.approx(0.1)
    assert car["speed"]["median"] == pytest.approx(np.hypot(5, 4) / 0.5)
    assert car["moving_share"] == 1.0 and truck["parked_share"] == 1.0
    assert truck["speed"]["median"] == 0.0 and truck["zero_point_fraction"] == 0.5
    assert truck["distance_hist"] == [0, 0, 2, 0, 0, 0]  # 20 m and |(0,20)-(5,0)| = 20.6 m
    assert ped["speed"]["n"] == 0  # annotated once: no speed
    assert car["within_30m_with_points"] == 2


def test_stats_of_the_real_scene(tmp_path):
    if not (REAL / "v1.0-real" / "scene.json").exists():
        pytest.skip("the real nuScenes scene (../shared/nuscenes-real) is not available")
    s = dataset_stats(REAL, "v1.0-real")
    assert s["keyframes"] == 41
    table = box_table(REAL, "v1.0-real")
    assert len(table.cls) == s["boxes"] > 2000  # 2,424 boxes, all but a few of detection classes
    assert s["classes"]["car"]["share"] > 0.5 and s["classes"]["car"]["parked_share"] > 0.9  # a car park
    assert 4.0 < s["classes"]["car"]["length"]["mean"] < 5.0


def test_stats_of_a_generated_dataset_beside_the_real_scene(tmp_path, capsys):
    from testdata import SMALL_LAYOUT

    layout = tmp_path / "small.yaml"
    layout.write_text(SMALL_LAYOUT)
    out = tmp_path / "gen"
    assert main(["generate", str(layout), "--out", str(out), "--sensors", "lidar", "--formats", "nuscenes",
                 "--duration", "1.0", "--lidar-rate", "4", "--no-progress"]) == 0
    s = dataset_stats(out)
    assert s["keyframes"] == 3
    assert s["classes"]["car"]["boxes"] >= 3 and s["classes"]["pedestrian"]["boxes"] >= 1
    car = s["classes"]["car"]
    assert 4.0 < car["length"]["mean"] < 5.0 and car["zero_point_fraction"] == 0.0
    capsys.readouterr()
    argv = ["stats", str(out), "--out", str(tmp_path / "o")]
    if (REAL / "v1.0-real" / "scene.json").exists():
        argv += ["--compare", f"{REAL}:v1.0-real"]
    assert main(argv) == 0
    assert "3 keyframes" in capsys.readouterr().out and (tmp_path / "o" / "stats.png").exists()


def test_cli_compares_two_dataroots_with_json_and_png(tmp_path, capsys):
    a, b = _tables(tmp_path / "a"), _tables(tmp_path / "b")
    assert main(["stats", str(a), "--version", "v1.0-t", "--compare", f"{b}:v1.0-t", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "2 keyframes, 5 boxes, 2.5 per keyframe" in out and "(compare)" in out
    doc = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert doc["stats"]["classes"] == doc["compare"]["classes"]
    assert (tmp_path / "o" / "stats.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_bad_dataroot_exits_2(tmp_path, capsys):
    assert main(["stats", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "nothing" in err and "Traceback" not in err
