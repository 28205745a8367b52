"""`anyscene batch`: tiny scenes on a local process pool and on a local Ray instance, merged into one dataset
the devkit reads; resuming after a kill; a failing scene isolated, reported and fixed by a rerun."""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from anyscene.batch.config import load_batch_config
from anyscene.batch.runner import WORK, run_batch
from anyscene.cli.main import main
from anyscene.errors import ConfigError, OutputError

from testdata import ROOT, SMALL_LAYOUT

VERSION = "v1.0-batchtest"
# Tiny scenes: 0.5 s, 160x90, every sensor at the keyframe rate (2 keyframes), no condition maps or previews.
GENERATE = """\
generate:
  resolution: 160x90
  duration: 0.5
  camera_rate: 2.0
  lidar_rate: 2.0
  formats: [nuscenes, lidarseg, occ3d, infos]
  workers: 1
"""


def tiny_layout(i: int) -> str:
    text = SMALL_LAYOUT.replace("name: small_cross", f"name: tiny_{i}").replace("duration: 6", "duration: 2")
    return text.replace("s: 100, speed: 5", f"s: {100 + 4 * i}, speed: {5 + i}")


def write_batch(tmp: Path, n: int, extra: str = "") -> Path:
    layouts = tmp / "layouts"
    layouts.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (layouts / f"tiny_{i}.yaml").write_text(tiny_layout(i))
    cfg = tmp / "batch.yaml"
    cfg.write_text(f"source:\n  layouts: layouts\n{GENERATE}version: {VERSION}\nval_fraction: 0.34\n{extra}")
    return cfg


def scene_files(out: Path) -> dict[str, bytes]:
    base = out / WORK / "scenes"
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def local_batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    cfg = write_batch(tmp, 3)
    report = run_batch(load_batch_config(cfg), tmp / "out", workers=2, progress=False)
    return tmp, cfg, report


def test_local_batch_is_one_devkit_dataset(local_batch):
    from nuscenes.nuscenes import NuScenes

    tmp, _cfg, report = local_batch
    out = tmp / "out"
    assert report.exit_code == 0 and sorted(report.ran) == ["tiny_0", "tiny_1", "tiny_2"]
    nusc = NuScenes(version=VERSION, dataroot=str(out), verbose=False)
    assert sorted(s["name"] for s in nusc.scene) == ["tiny_0", "tiny_1", "tiny_2"]
    channels = {s["channel"] for s in nusc.sensor}
    assert len(channels) == 12 and all(set(s["data"]) == channels for s in nusc.sample)
    for sd in nusc.sample_data[:50]:
        assert (out / sd["filename"]).is_file()
    assert len(nusc.lidarseg) == len(nusc.sample)
    splits = json.loads((out / VERSION / "splits.json").read_text())
    assert sorted(splits["anyscene_all"]) == ["tiny_0", "tiny_1", "tiny_2"]
    assert sorted(splits["anyscene_train"] + splits["anyscene_val"]) == sorted(splits["anyscene_all"])
    assert len(splits["anyscene_val"]) == 1  # round(3 * 0.34)
    assert len(nusc.sample) == 6  # 2 keyframes per scene
    infos = {s: pickle.loads((out / f"anyscene_infos_{s}.pkl").read_bytes())["data_list"]
             for s in ("all", "train", "val")}
    assert len(infos["all"]) == len(nusc.sample) == len(infos["train"]) + len(infos["val"])
    assert {i["token"] for i in infos["all"]} == {s["token"] for s in nusc.sample}
    occ = json.loads((out / "annotations.json").read_text())
    assert sorted(occ["scene_infos"]) == ["tiny_0", "tiny_1", "tiny_2"]
    for info in infos["all"]:
        assert (out / info["occ_path"] / "labels.npz").is_file()
    for scene in nusc.scene:  # each scene's sample chain stays within the scene
        chain, tok = [], scene["first_sample_token"]
        while tok:
            chain.append(nusc.get("sample", tok))
            tok = chain[-1]["next"]
        assert chain[0]["prev"] == "" and len(chain) == scene["nbr_samples"] == 2
        assert {c["scene_token"] for c in chain} == {scene["token"]}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"]["done"] == 3
    for rec in manifest["scenes"]:
        assert rec["status"] == "done" and rec["seed"] == 0 and rec["seconds"] > 0 and rec["error"] is None


def test_merged_dataset_passes_the_devkit_checks(local_batch, tmp_path):
    """The checks a single exported scene passes: lidarseg, points in boxes, detection evaluation of the ground
    truth over the merged split, map renders."""
    from nuscenes.eval.detection.config import config_factory
    from nuscenes.eval.detection.evaluate import DetectionEval
    from nuscenes.eval.detection.utils import category_to_detection_name
    from nuscenes.nuscenes import NuScenes
    from nuscenes.utils.data_classes import LidarPointCloud
    from nuscenes.utils.data_io import load_bin_file
    from nuscenes.utils.geometry_utils import points_in_box

    out = local_batch[0] / "out"
    nusc = NuScenes(version=VERSION, dataroot=str(out), verbose=False)
    for rec in nusc.lidarseg:
        sd = nusc.get("sample_data", rec["sample_data_token"])
        labels = load_bin_file(str(out / rec["filename"]), type="lidarseg")
        assert labels.shape[0] == np.fromfile(out / sd["filename"], dtype=np.float32).reshape(-1, 5).shape[0]
    results, with_points = {}, 0
    for s in nusc.sample:
        path, boxes, _ = nusc.get_sample_data(s["data"]["LIDAR_TOP"])
        pc = LidarPointCloud.from_file(path)
        for b in boxes:
            ann = nusc.get("sample_annotation", b.token)
            assert int(points_in_box(b, pc.points[:3]).sum()) == ann["num_lidar_pts"]
            with_points += ann["num_lidar_pts"] > 0
        dets = []
        for tok in s["anns"]:
            ann = nusc.get("sample_annotation", tok)
            name = category_to_detection_name(ann["category_name"])
            if name is None or ann["num_lidar_pts"] == 0:
                continue
            attr = nusc.get("attribute", ann["attribute_tokens"][0])["name"] if ann["attribute_tokens"] else ""
            dets.append({"sample_token": s["token"], "translation": ann["translation"], "size": ann["size"],
                         "rotation": ann["rotation"], "velocity": list(nusc.box_velocity(tok)[:2]),
                         "detection_name": name, "detection_score": 1.0, "attribute_name": attr})
        results[s["token"]] = dets
    assert with_points > 5
    meta = {"use_camera": True, "use_lidar": True, "use_radar": False, "use_map": False, "use_external": False}
    (tmp_path / "results.json").write_text(json.dumps({"meta": meta, "results": results}))
    ev = DetectionEval(nusc, config_factory("detection_cvpr_2019"), str(tmp_path / "results.json"),
                       eval_set="anyscene_all", output_dir=str(tmp_path / "eval"), verbose=False)
    metrics, _ = ev.evaluate()
    assert metrics.get_label_ap("car", 2.0) == pytest.approx(1.0)
    nusc.render_egoposes_on_map("anyscene", out_path=str(tmp_path / "poses.png"))
    assert (tmp_path / "poses.png").stat().st_size > 10_000


def test_ray_batch_gives_byte_identical_scenes(local_batch, tmp_path):
    pytest.importorskip("ray")
    tmp, cfg, local = local_batch
    # Two of the three scenes, as Ray tasks on a local instance with 2 CPUs.
    subset = ["source.layouts=" + str(tmp / "layouts" / "tiny_[12].yaml"), "ray.num_cpus=2"]
    report = run_batch(load_batch_config(cfg, subset), tmp_path / "out", ray="local", progress=False)
    assert report.exit_code == 0 and report.backend == "ray" and sorted(report.ran) == ["tiny_1", "tiny_2"]
    a, b = scene_files(tmp / "out"), scene_files(tmp_path / "out")
    a = {k: v for k, v in a.items() if not k.startswith("tiny_0/")}
    assert a.keys() == b.keys() and len(a) > 30
    different = [k for k in a if a[k] != b[k]]
    assert not different, different[:5]
    import ray

    assert not ray.is_initialized()


def test_failed_scene_is_isolated_reported_and_retried(tmp_path, capsys):
    cfg = write_batch(tmp_path, 2)
    bad = tmp_path / "layouts" / "tiny_1.yaml"
    good = bad.read_text()
    bad.write_text(good.replace("class: car", "class: spaceship", 1))
    out = tmp_path / "out"
    rc = main(["batch", str(cfg), "--out", str(out), "--no-progress", "workers=2"])
    err = capsys.readouterr().err
    assert rc == 3
    assert "1 failed" in err and "tiny_1" in err and "spaceship" in err
    manifest = json.loads((out / "manifest.json").read_text())
    rec = {r["name"]: r for r in manifest["scenes"]}
    assert rec["tiny_0"]["status"] == "done" and rec["tiny_1"]["status"] == "failed"
    assert "spaceship" in rec["tiny_1"]["error"] and rec["tiny_1"]["traceback"] is None  # a user error
    splits = json.loads((out / VERSION / "splits.json").read_text())
    assert splits["anyscene_all"] == ["tiny_0"]  # the dataset holds the successful scene
    done_file = out / WORK / "scenes" / "tiny_0" / "fragments" / "scene.json"
    mtime = done_file.stat().st_mtime_ns
    bad.write_text(good)  # fixed
    rc = main(["batch", str(cfg), "--out", str(out), "--no-progress", "workers=2"])
    err = capsys.readouterr().err
    assert rc == 0 and "1 scene(s) generated, 1 already done, 0 failed" in err
    assert done_file.stat().st_mtime_ns == mtime
    splits = json.loads((out / VERSION / "splits.json").read_text())
    assert splits["anyscene_all"] == ["tiny_0", "tiny_1"]


def test_resume_after_a_killed_run(tmp_path):
    cfg = write_batch(tmp_path, 3)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "anyscene.cli.main", "batch", str(cfg), "--out", str(out), "--workers", "1",
           "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    manifest = out / WORK / "manifest.json"
    deadline = time.time() + 240
    done: list[str] = []
    try:
        while time.time() < deadline and proc.poll() is None:
            if manifest.exists():
                try:
                    scenes = json.loads(manifest.read_text())["scenes"]
                except (json.JSONDecodeError, KeyError):
                    scenes = []
                done = [s["name"] for s in scenes if s["status"] == "done"]
                if done:
                    break
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its pool, mid-run
        proc.wait()
    assert len(done) == 1, "the first scene did not finish in time"
    scenes = json.loads(manifest.read_text())["scenes"]
    assert sum(s["status"] == "done" for s in scenes) < 3
    fragment = out / WORK / "scenes" / done[0] / "fragments" / "scene.json"
    mtime = fragment.stat().st_mtime_ns
    report = run_batch(load_batch_config(cfg), out, workers=1, progress=False)
    assert report.exit_code == 0
    assert report.skipped == done and sorted(report.ran + report.skipped) == ["tiny_0", "tiny_1", "tiny_2"]
    assert fragment.stat().st_mtime_ns == mtime
    assert not list((out / WORK / "scenes").glob("*.partial-*"))
    final = json.loads((out / "manifest.json").read_text())
    assert final["summary"]["done"] == 3 and final["runs"] == 2


def test_bad_configs_and_folders_are_user_errors(tmp_path, capsys):
    cfg = write_batch(tmp_path, 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(cfg.read_text() + "wokers: 2\n")
    with pytest.raises(ConfigError, match="wokers"):
        load_batch_config(bad)
    both = tmp_path / "both.yaml"
    both.write_text(cfg.read_text().replace("source:\n", "source:\n  sampler: {n: 2}\n"))
    with pytest.raises(ConfigError, match="exactly one"):
        load_batch_config(both)
    gen_bad = tmp_path / "gen_bad.yaml"
    gen_bad.write_text(cfg.read_text().replace("  workers: 1\n", "  workers: 1\n  resolutoin: 10x10\n"))
    with pytest.raises(ConfigError, match="resolutoin"):
        run_batch(load_batch_config(gen_bad), tmp_path / "o1", progress=False)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "file.txt").write_text("x")
    with pytest.raises(OutputError, match="not a batch folder"):
        run_batch(load_batch_config(cfg), taken, progress=False)
    assert main(["batch", str(bad), "--out", str(tmp_path / "o2")]) == 2
    assert "wokers" in capsys.readouterr().err
    empty = tmp_path / "empty.yaml"
    empty.write_text(cfg.read_text().replace("layouts: layouts", "layouts: nothing_here/*.yaml"))
    with pytest.raises(ConfigError, match="no layout files"):
        run_batch(load_batch_config(empty), tmp_path / "o3", progress=False)
    for name in ("o1", "o2", "o3"):  # refused before any scene ran: no work folder is left behind
        assert not (tmp_path / name).exists()


def test_the_lock_is_taken_before_overwrite_clears_anything(tmp_path):
    import socket

    from anyscene.batch.runner import _Lock

    cfg = write_batch(tmp_path, 1)
    out = tmp_path / "out"
    (out / WORK).mkdir(parents=True)
    (out / "precious.txt").write_text("x")
    (out / WORK / "lock").write_text(f"{socket.gethostname()}:1")  # pid 1 runs: another driver holds it
    with pytest.raises(OutputError, match="another batch"):
        run_batch(load_batch_config(cfg), out, overwrite=True, progress=False)
    assert (out / "precious.txt").exists() and (out / WORK / "lock").exists()
    (out / WORK / "lock").write_text(f"{socket.gethostname()}:999999999")  # a dead driver's lock is taken over
    with _Lock(out / WORK) as lock:
        assert lock.path.read_text().endswith(f":{os.getpid()}")
        with pytest.raises(OutputError, match="another batch"):
            _second_lock(out / WORK)
    assert not (out / WORK / "lock").exists()


def _second_lock(work: Path) -> None:
    """A second driver in another process tries the same lock while this one holds it."""
    code = ("import sys; from pathlib import Path; from anyscene.batch.runner import _Lock; "
            "from anyscene.errors import OutputError\n"
            "try:\n    _Lock(Path(sys.argv[1])).__enter__()\nexcept OutputError as e:\n    print(e); sys.exit(2)")
    proc = subprocess.run([sys.executable, "-c", code, str(work)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode == 2:
        raise OutputError(proc.stdout.strip())
    raise AssertionError(proc.stdout + proc.stderr)


def test_sampler_source_samples_in_the_workers(tmp_path):
    """Scenes from the sampler: each worker samples its layout (deterministic), then generates it."""
    cfg = tmp_path / "batch.yaml"
    cfg.write_text(f"source:\n  sampler:\n    config: {ROOT / 'configs' / 'sampler' / 'quick.yaml'}\n    n: 1\n"
                   f"    seed: 5\n    overrides: [duration=2, 'templates={{straight: 1, junction3: 0, junction4: 0, "
                   f"junction5: 0, curved: 0, roundabout: 0, t_junction: 0, urban_parking: 0}}']\n"
                   f"{GENERATE}version: {VERSION}\n")
    report = run_batch(load_batch_config(cfg), tmp_path / "out", workers=1, progress=False)
    assert report.exit_code == 0, report.failed
    layout = tmp_path / "out" / WORK / "layouts" / "quick_00000.yaml"
    from anyscene.procgen.sampler import sample_layout
    from anyscene.procgen.config import load_sampler_config

    overrides = load_batch_config(cfg).source.sampler.overrides
    scfg = load_sampler_config(ROOT / "configs" / "sampler" / "quick.yaml", overrides, {"seed": 5})
    assert layout.read_text() == sample_layout(scfg, 0)[0]
    rec = json.loads((tmp_path / "out" / "manifest.json").read_text())["scenes"][0]
    assert rec["source"] == "sampler:0" and rec["status"] == "done" and isinstance(rec["seed"], int)
