"""The `nuscenes_like` sampler preset: it loads, its scenes vary with the seed, box sizes spread around the class
defaults, and (slow) its LiDAR-only batches hold the detection classes near the ego with LiDAR points."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anyscene.batch.config import generation_config, load_batch_config
from anyscene.classes import AGENT_CLASSES
from anyscene.cli.main import main
from anyscene.errors import ConfigError
from anyscene.procgen.config import load_sampler_config
from anyscene.procgen.sampler import draw_layout
from anyscene.validation import check

SCORED = ("car", "truck", "bus", "trailer", "construction_vehicle", "pedestrian", "motorcycle", "bicycle",
          "traffic_cone", "barrier")


def test_preset_scenes_are_valid_seeded_and_varied():
    cfg = load_sampler_config("nuscenes_like", ["duration=6"])
    a, _ = draw_layout(cfg, 0, 0, "car_park")
    check(a, strict=True)
    assert draw_layout(cfg, 0, 0, "car_park")[0] == a
    b, _ = draw_layout(cfg, 1, 0, "car_park")
    assert b != a and [p.xy for p in b.map.props] != [p.xy for p in a.map.props]
    parked = [p for p in a.map.props if p.id.startswith("parked_")]
    assert len(parked) >= 40  # rows of parked vehicles on both sides of the aisle


def test_size_spread_scales_boxes_around_the_class_default():
    cfg = load_sampler_config("nuscenes_like", ["duration=6"])
    layout, _ = draw_layout(cfg, 2, 0, "urban_parking")
    cars = [p for p in layout.map.props if p.cls == "car"]
    lengths = np.array([p.size[0] for p in cars])
    default = AGENT_CLASSES["car"].size
    ratio = np.array([np.array(p.size) / np.array(default) for p in cars])
    assert np.allclose(ratio, ratio[:, :1], atol=2e-3)  # one scale per object
    assert 0.02 < lengths.std() / default[0] < 0.1 and abs(lengths.mean() / default[0] - 1) < 0.05
    assert ratio.min() >= 1 - 2 * 0.06 - 1e-3 and ratio.max() <= 1 + 2 * 0.06 + 1e-3
    plain = load_sampler_config("default", ["duration=6"])
    assert all(p.size is None for p in draw_layout(plain, 2, 0, "urban_parking")[0].map.props if p.cls == "car")


def test_size_spread_is_checked():
    with pytest.raises(ConfigError, match="size_spread.spaceship"):
        load_sampler_config("nuscenes_like", ["size_spread.spaceship=0.1"])
    with pytest.raises(ConfigError, match="size_spread.car"):
        load_sampler_config("nuscenes_like", ["size_spread.car=0.9"])


def test_batch_sensors_field_reaches_the_generation_config(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("source:\n  sampler:\n    config: nuscenes_like\n    n: 2\nsensors: [lidar]\n")
    assert generation_config(load_batch_config(path)).sensors == ["lidar"]
    assert generation_config(load_batch_config(path, options={"sensors": ["lidar", "radar"]})).sensors == [
        "lidar", "radar"]
    path.write_text("source:\n  sampler:\n    config: nuscenes_like\n    n: 2\nsensors: [radar]\n")
    with pytest.raises(ConfigError, match="no lidar"):
        load_batch_config(path)


@pytest.mark.slow
def test_lidar_only_batch_holds_the_scored_classes_near_the_ego(tmp_path):
    from anyscene.replay.stats import dataset_stats

    cfg = tmp_path / "b.yaml"
    cfg.write_text("source:\n  sampler:\n    config: nuscenes_like\n    n: 4\n    seed: 5\n"
                   "    overrides: [\"duration=4\"]\ngenerate:\n  formats: [nuscenes, infos]\n  workers: 1\n"
                   "version: v1.0-t\nworkers: 2\n")
    out = tmp_path / "data"
    assert main(["batch", str(cfg), "--out", str(out), "--sensors", "lidar", "--no-progress"]) == 0
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["LIDAR_TOP"]
    s = dataset_stats(out)
    assert s["keyframes"] == 4 * 9
    near = {c: s["classes"][c]["within_30m_with_points"] for c in SCORED}
    assert sum(v > 0 for v in near.values()) >= 8, near
    assert s["boxes_per_keyframe"]["mean"] > 20
    scenes = json.loads((out / "v1.0-t" / "scene.json").read_text())
    assert len({sc["name"] for sc in scenes}) == 4
