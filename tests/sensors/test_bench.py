"""The sensor benchmark runs end to end on a tiny configuration and reports what it promises."""
from __future__ import annotations

import json
import sys

from testdata import ROOT

sys.path.insert(0, str(ROOT / "tools"))

import bench_sensors  # noqa: E402
from sensor_scenes import small_world  # noqa: E402


def test_bench_functions_report_numbers():
    world = small_world()
    cams = bench_sensors.bench_cameras(world, resolution=(96, 54), fps_resolution=(64, 36), repeats=1, rgb=False,
                                       t=1.0)
    assert cams["rays"] == 6 * 96 * 54 and cams["engine_s"] > 0 and cams["maps_over_engine"] > 0
    assert cams["maps_fps"] > 0
    lidar = bench_sensors.bench_lidar(world, sweeps=2, t=1.0)
    assert lidar["sweeps_per_s"] > 0 and lidar["points_per_sweep"] > 20_000
    engine = bench_sensors.bench_engine(world, resolution=(48, 27), repeats=1, t=1.0)
    assert engine["open3d_rays_per_s"] > 0 and engine["voxel_dda_rays_per_s"] > 0
    json.dumps([cams, lidar, engine])
