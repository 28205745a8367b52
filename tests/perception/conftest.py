"""A tiny generated scene (LiDAR at 2 Hz, cameras at a token resolution), made once per session, and a tiny
detector trained on it."""
from __future__ import annotations

from pathlib import Path

import pytest

VERSION = "v1.0-anyscene"
REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "nuscenes-real"

# three cars and a pedestrian within 20 m of a slow ego, for 3 s (7 keyframes)
NEAR_LAYOUT = """\
name: near_objects
duration: 3
map:
  roads:
    - {id: ew, centerline: [[-120, 0], [120, 0]], lanes: {forward: 2, backward: 2}}
ego:
  trajectory: {lane: {road: ew, lane: 1, s: 100, speed: 2}}
agents:
  - id: ped_1
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [-14.0, 9.0], velocity: [1.2, 0.0]}
        - {t: 3, xy: [-10.4, 9.0], velocity: [1.2, 0.0]}
  - id: car_1
    class: car
    trajectory: {lane: {road: ew, lane: -1, s: 128, speed: 3}}
  - id: car_2
    class: car
    trajectory: {lane: {road: ew, lane: 2, s: 112, speed: 2}}
  - id: car_3
    class: car
    trajectory: {lane: {road: ew, lane: -2, s: 135, speed: 1}}
"""
TINY_TRAIN = ["--range", "25.6", "--cell", "0.8", "--stride", "1", "--width", "8", "--no-progress"]


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    from anyscene.cli.main import main

    d = tmp_path_factory.mktemp("perception")
    (d / "near.yaml").write_text(NEAR_LAYOUT)
    root = d / "data"
    assert main(["generate", str(d / "near.yaml"), "--out", str(root), "--resolution", "32x18", "--formats",
                 "nuscenes", "--camera-rate", "2", "--lidar-rate", "2", "--no-progress"]) == 0
    return root


@pytest.fixture(scope="session")
def tiny_model(tiny_root, tmp_path_factory) -> Path:
    """A tiny detector overfitted on the tiny scene (no augmentation)."""
    from anyscene.cli.main import main

    model = tmp_path_factory.mktemp("model") / "tiny.pt"
    assert main(["detector", "train", f"{tiny_root}:{VERSION}", "--out", str(model), "--steps", "150",
                 "--lr", "5e-3", "--no-augment", "--seed", "3", *TINY_TRAIN]) == 0
    return model


def need_real() -> Path:
    if not (REAL / "v1.0-real" / "scene.json").exists():
        pytest.skip("the real nuScenes scene (../shared/nuscenes-real) is not available")
    return REAL.resolve()
