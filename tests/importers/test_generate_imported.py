"""`anyscene import` then `anyscene generate` on scene-0916 at 160x90 with the imported rig, checked through the
devkit against the real tables.

The export follows the layout's recorded `timeline`: every keyframe, sweep and image at its real time."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.cli.main import main

DURATION = 1.1  # s of the scene generated: three keyframes (the third is at 1.000292 s)


def _yaw(q) -> float:
    from pyquaternion import Quaternion

    return float(Quaternion(q).yaw_pitch_roll[0])


@pytest.fixture(scope="module")
def generated(real_root, real_import, tmp_path_factory):
    from nuscenes import NuScenes

    tmp = tmp_path_factory.mktemp("replay")
    layout, rig = real_import / "scene.yaml", real_import / "rig.yaml"
    out = tmp / "gen"
    assert main(["generate", str(layout), "--out", str(out), "--rig", str(rig), "--resolution", "160x90",
                 "--duration", str(DURATION), "--formats", "nuscenes", "--no-progress",
                 "annotation.require_observation=false"]) == 0
    from anyscene.layout import load_layout

    return load_layout(layout)[0], NuScenes("v1.0-anyscene", str(out), verbose=False)


@pytest.fixture(scope="module")
def frames(nusc, generated):
    """(real keyframes, generated keyframes, shift) over the generated span; real_global = gen_global + shift."""
    layout, gen = generated
    real = sorted(nusc.sample, key=lambda s: s["timestamp"])
    syn = sorted(gen.sample, key=lambda s: s["timestamp"])
    offset = np.asarray(gen.log[0]["global_offset"][:2])
    shift = np.asarray(layout.source.origin) - offset
    return real[: len(syn)], syn, shift


def test_generated_dataset_loads_with_the_imported_rig(generated):
    _, gen = generated
    cams = {s["channel"] for s in gen.sensor if s["modality"] == "camera"}
    assert len(cams) == 6 and len(gen.sample) == 3
    sd = next(s for s in gen.sample_data if s["channel"] == "CAM_FRONT")
    assert (sd["width"], sd["height"]) == (160, 90)


def test_keyframe_count_and_timestamps_match(nusc, generated):
    layout, gen = generated
    real = sorted(s["timestamp"] for s in nusc.sample)
    real = [t for t in real if t - real[0] <= DURATION * 1e6]  # the keyframes of the generated span
    syn = sorted(s["timestamp"] for s in gen.sample)
    assert len(syn) == len(real) == 3
    assert np.all(np.abs(np.array(syn) - np.array(real)) <= 1000)


def test_sweep_and_camera_times_match(nusc, generated):
    _, gen = generated
    for channel in ("LIDAR_TOP", "CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_BACK", "CAM_BACK_LEFT"):
        syn = sorted(sd["timestamp"] for sd in gen.sample_data if sd["channel"] == channel)
        real = sorted(sd["timestamp"] for sd in nusc.sample_data if sd["channel"] == channel)
        assert len(syn) >= 12 and syn == real[: len(syn)]
    for s in gen.sample:  # each camera's own trigger time: six different timestamps per keyframe
        stamps = {gen.get("sample_data", tok)["timestamp"] for ch, tok in s["data"].items() if ch.startswith("CAM")}
        assert len(stamps) == 6


def test_keyframe_boxes_match_the_real_ones(nusc, generated, frames):
    """Every real annotation within 50 m of the ego has its synthetic box: centre ≤ 1 cm (in the ground plane;
    the layout is planar), yaw ≤ 0.002 rad, exact size."""
    real, syn, shift = frames
    checked = 0
    for r, s in zip(real, syn):
        ego = np.asarray(nusc.get("ego_pose", nusc.get("sample_data", r["data"]["LIDAR_TOP"])["ego_pose_token"])
                         ["translation"][:2])
        boxes = [gen_ann for gen_ann in (generated[1].get("sample_annotation", t) for t in s["anns"])]
        centres = np.array([b["translation"][:2] for b in boxes]) + shift
        for tok in r["anns"]:
            ann = nusc.get("sample_annotation", tok)
            if np.hypot(*(np.asarray(ann["translation"][:2]) - ego)) > 49.5:
                continue
            d = np.hypot(*(centres - np.asarray(ann["translation"][:2])).T)
            k = int(np.argmin(d))
            assert d[k] <= 0.01, (tok, d[k])
            assert abs((_yaw(boxes[k]["rotation"]) - _yaw(ann["rotation"]) + np.pi) % (2 * np.pi) - np.pi) <= 0.002
            assert boxes[k]["size"] == ann["size"]
            checked += 1
    assert checked > 100


def test_ego_poses_match(nusc, generated, frames):
    """Every generated ego pose is the real pose of the same timestamp, within 1 cm."""
    _, gen = generated
    _, _, shift = frames
    real = {e["timestamp"]: e for e in nusc.ego_pose}
    for e in gen.ego_pose:
        r = real[e["timestamp"]]
        assert np.hypot(*(np.asarray(e["translation"][:2]) + shift - r["translation"][:2])) <= 0.01
