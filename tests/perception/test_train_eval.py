"""Train -> eval on a tiny generated scene, scored by the devkit's DetectionEval."""
from __future__ import annotations

import json

import torch

from anyscene.cli.main import main
from anyscene.perception.modelfile import load_model
from conftest import TINY_TRAIN, VERSION


def test_a_tiny_detector_overfits_one_scene(tiny_root, tiny_model, tmp_path):
    out = tmp_path / "eval"
    assert main(["detector", "eval", str(tiny_model), str(tiny_root), "--version", VERSION, "--out", str(out),
                 "--pictures", "2", "--no-progress"]) == 0
    summary = json.loads((out / "metrics_summary.json").read_text())
    # the devkit's own summary: its config, every class, the four distance thresholds, TP errors, NDS
    assert summary["cfg"]["dist_ths"] == [0.5, 1.0, 2.0, 4.0] and "eval_time" in summary
    assert set(summary["label_aps"]["car"]) == {"0.5", "1.0", "2.0", "4.0"}
    assert {"trans_err", "scale_err", "orient_err", "vel_err", "attr_err"} <= set(summary["tp_errors"])
    assert summary["mean_dist_aps"]["car"] >= 0.5 and summary["mean_dist_aps"]["pedestrian"] >= 0.5
    assert 0 < summary["nd_score"] <= 1
    results = json.loads((out / "results_nusc.json").read_text())
    run = json.loads((out / "run.json").read_text())
    assert len(results["results"]) == run["keyframes"] == 7 and run["gt_boxes"]["car"] > 0
    assert len(list((out / "bev").glob("*.png"))) == 2
    assert (out / "dataroot" / VERSION / "splits.json").is_file() and (out / "dataroot" / "samples").is_symlink()
    # AP by range (tools/ap_by_range.py): at the devkit's own car range (50 m) it is the summary's car AP
    import sys

    from testdata import ROOT

    sys.path.insert(0, str(ROOT / "tools"))
    from ap_by_range import ap_by_range

    assert abs(ap_by_range(out, ranges=(50,))[50]["ap"] - summary["mean_dist_aps"]["car"]) < 1e-9


def test_eval_of_a_keyframe_range(tiny_root, tiny_model, tmp_path):
    from nuscenes import NuScenes

    out = tmp_path / "eval"
    assert main(["detector", "eval", str(tiny_model), str(tiny_root), "--version", VERSION, "--out", str(out),
                 "--scenes", "near_objects@4-6", "--pictures", "0", "--no-progress"]) == 0
    nusc = NuScenes(VERSION, str(out / "dataroot"), verbose=False)
    assert len(nusc.sample) == 3 and nusc.scene[0]["nbr_samples"] == 3
    assert len(json.loads((out / "results_nusc.json").read_text())["results"]) == 3


def test_the_model_file_says_what_it_is(tiny_model):
    spec, model = load_model(tiny_model)
    assert spec.classes == ("car", "pedestrian") and spec.sweeps == 1 and spec.grid.cell == 0.8
    assert spec.info["steps"] == 150 and spec.info["keyframes"] == 7
    log = (tiny_model.parent / "tiny.pt.log.jsonl").read_text().splitlines()
    losses = [json.loads(line)["loss"] for line in log]
    assert len(losses) == 150 and sum(losses[-10:]) < 0.3 * sum(losses[:10])


def test_training_is_deterministic_for_a_seed_and_fine_tunes(tiny_root, tiny_model, tmp_path):
    a, b, c = tmp_path / "a.pt", tmp_path / "b.pt", tmp_path / "c.pt"
    args = ["detector", "train", f"{tiny_root}:{VERSION}:near_objects@0-3", "--steps", "3", *TINY_TRAIN]
    assert main([*args, "--out", str(a), "--seed", "1"]) == 0
    assert main([*args, "--out", str(b), "--seed", "1"]) == 0
    sa, sb = (load_model(p)[1].state_dict() for p in (a, b))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert main(["detector", "train", f"{tiny_root}:{VERSION}", "--steps", "2", "--init", str(tiny_model),
                 "--out", str(c), "--no-progress"]) == 0
    spec, _ = load_model(c)
    assert spec.classes == ("car", "pedestrian") and spec.info["init"] == str(tiny_model)
