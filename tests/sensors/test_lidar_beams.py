"""Per-beam LiDAR realism: the ego body's self-occlusion mask and the per-ring dropout by range, measured on the
real scene by tools/lidar_beams.py and stored in the nuScenes rig."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from sensor_scenes import small_scene, small_world

from anyscene.errors import ConfigError
from anyscene.sensors import load_rig, sweep_lidar
from anyscene.sensors.lidar import REALISTIC, LidarRealism, blocked_rays, lidar_directions

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / ".." / "shared" / "nuscenes-real"
sys.path.insert(0, str(ROOT / "tools"))


@pytest.mark.skipif(not (REAL / "samples" / "LIDAR_TOP").is_dir(), reason="../shared/nuscenes-real is absent")
def test_rig_constants_are_the_measured_ones():
    import lidar_beams

    lidar = load_rig("nuscenes").lidar
    measured = lidar_beams.measure(REAL)
    assert measured["sweeps"] == 41
    mask = lidar_beams.self_occlusion(lidar_beams.real_sweeps(REAL))
    np.testing.assert_array_equal(lidar.self_occlusion, mask)
    np.testing.assert_allclose(lidar.ring_dropout, measured["ring_dropout"], atol=5e-4)
    np.testing.assert_array_equal(lidar.dropout_ranges, measured["dropout_ranges_m"])
    # The body blocks the low rings (mostly behind and beside the sensor), never those above the roof.
    assert mask[0].sum() > 200 and not mask[11:].any()
    # Upper rings lose far more beams than the low ones (sky-grazing surfaces, dark facades).
    assert lidar.ring_dropout[:8].max() < 0.01 < lidar.ring_dropout[20:].min()


def test_blocked_directions_return_nothing():
    lidar = load_rig("nuscenes").lidar
    # Without motion each point lies along its firing's direction, so its azimuth names its bin.
    still = dataclasses.replace(REALISTIC, motion=False, range_noise_m=0.0)
    scan = sweep_lidar(small_scene(), lidar, small_world(), 0.0, realism=still)
    ring = scan.points[:, 4].astype(np.int64)
    az = np.degrees(np.arctan2(scan.points[:, 1], scan.points[:, 0]))
    b = np.clip(np.floor(az + 180).astype(np.int64), 0, 359)
    assert scan.points.shape[0] > 20000 and not np.any(lidar.self_occlusion[ring, b])
    # Without the mask the low rings return there (the ground around the car).
    free = sweep_lidar(small_scene(), lidar, small_world(), 0.0,
                       realism=dataclasses.replace(still, self_occlusion=False))
    fr = free.points[:, 4].astype(np.int64)
    fb = np.clip(np.floor(np.degrees(np.arctan2(free.points[:, 1], free.points[:, 0])) + 180).astype(np.int64), 0, 359)
    assert lidar.self_occlusion[fr, fb].sum() > 2000
    d, rings = lidar_directions(lidar)
    assert free.points.shape[0] - scan.points.shape[0] >= 0.9 * blocked_rays(lidar, d, rings).sum()


def test_ring_dropout_table_sets_the_loss_rate():
    lidar = load_rig("nuscenes").lidar
    table = np.zeros_like(lidar.ring_dropout)
    table[3] = 0.3  # ring 3 loses 30 % of its beams at every range, the others none
    lossy = dataclasses.replace(lidar, ring_dropout=table, self_occlusion=None)
    clean = dataclasses.replace(lidar, ring_dropout=np.zeros_like(table), self_occlusion=None)
    realism = LidarRealism(motion=False, range_noise_m=0.0, intensity_noise=0.0)
    a = sweep_lidar(small_scene(), lossy, small_world(), 0.0, realism=realism)
    b = sweep_lidar(small_scene(), clean, small_world(), 0.0, realism=realism)
    na = np.bincount(a.points[:, 4].astype(int), minlength=32)
    nb = np.bincount(b.points[:, 4].astype(int), minlength=32)
    assert abs(1 - na[3] / nb[3] - 0.3) < 0.05
    others = np.arange(32) != 3
    assert abs(na[others].sum() / nb[others].sum() - 1) < 0.01


@pytest.mark.parametrize("extra, message", [
    ("self_occlusion: ['40: -10..10']", "ring 40"),
    ("self_occlusion: ['0: 10..-10']", "span 10..-10"),
    ("self_occlusion: ['zero: 1..2']", "expected 'RING: FROM..TO"),
    ("ring_dropout: [[0.1]]", "ring_dropout needs 32 rows"),
    ("dropout_ranges_m: [10]", "dropout_ranges_m needs ring_dropout"),
])
def test_bad_beam_constants_name_the_file(tmp_path, extra, message):
    path = tmp_path / "bad_beams.yaml"
    path.write_text("cameras:\n  - {channel: C, fov_deg: 60, translation: [0, 0, 1], yaw_deg: 0}\n"
                    f"lidar:\n  translation: [0, 0, 1]\n  rotation: [1, 0, 0, 0]\n  {extra}\n")
    with pytest.raises(ConfigError, match=message) as e:
        load_rig(str(path))
    assert str(path) in str(e.value)
