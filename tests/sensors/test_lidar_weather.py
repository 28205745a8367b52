"""LiDAR in weather: fog and rain shorten the range and add near returns labelled noise; clear air and overcast
leave the sweep unchanged; deterministic per seed; the coefficients match their sources' formulas."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from anyscene.classes import FREE
from anyscene.sensors.lidar_weather import (apply_lidar_weather, fog_extinction, medium_of, rain_extinction)

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def _sweep():
    from anyscene.layout.yamlio import load_layout
    from anyscene.sensors.lidar import sweep_lidar
    from anyscene.sensors.raycast import WorldScene
    from anyscene.sensors.rig import load_rig
    from anyscene.world import World

    world = World.compile(load_layout(ROOT / "layouts" / "urban_street.yaml")[0])
    return sweep_lidar(WorldScene(world), load_rig("nuscenes").lidar, world, 2.0)


def _range(sweep) -> np.ndarray:
    return np.linalg.norm(sweep.points[:, :3], axis=1)


def test_coefficients():
    assert fog_extinction(120.0) == pytest.approx(3.912 / 120.0)
    # Carbonneau: 1.076·R^0.67 dB/km; 10 mm/h -> 5.03 dB/km -> 1.16e-3 /m
    assert rain_extinction(10.0) == pytest.approx(1.076 * 10 ** 0.67 / 4342.9, rel=1e-4)
    assert medium_of("clear").extinction == 0.0 and medium_of("overcast").extinction == 0.0
    with pytest.raises(ValueError):
        medium_of("snow")


def test_clear_air_leaves_the_sweep_unchanged():
    sweep = _sweep()
    assert apply_lidar_weather(sweep, medium_of("clear"), 0) is sweep


def test_fog_shortens_the_range_and_adds_near_noise():
    sweep = _sweep()
    fog = apply_lidar_weather(sweep, medium_of("fog"), 0)
    assert type(fog) is type(sweep) and fog.points.dtype == np.float32
    r0, r1 = _range(sweep), _range(fog)
    assert np.percentile(r1, 99) < 0.7 * np.percentile(r0, 99)
    assert fog.points.shape[0] < sweep.points.shape[0]
    assert (r1 > 40).sum() < 0.2 * (r0 > 40).sum()  # 120 m visibility: little beyond 40 m
    noise = fog.lidarseg == 0
    assert noise.sum() > 100
    assert np.all(fog.occ3d[noise] == FREE) and np.all(fog.instance[noise] == 0)
    assert np.median(r1[noise]) < 6.0 and r1[noise].min() >= 1.0
    assert np.all(fog.points[~noise, 3] <= sweep.points[:, 3].max())
    # Deterministic per seed.
    again = apply_lidar_weather(sweep, medium_of("fog"), 0)
    assert np.array_equal(again.points, fog.points)
    other = apply_lidar_weather(sweep, medium_of("fog"), 1)
    assert not np.array_equal(other.points, fog.points)


def test_rain_is_milder_than_fog():
    sweep = _sweep()
    rain = apply_lidar_weather(sweep, medium_of("rain"), 0)
    fog = apply_lidar_weather(sweep, medium_of("fog"), 0)
    n0, nr, nf = sweep.points.shape[0], rain.points.shape[0], fog.points.shape[0]
    assert nf < nr < n0
    assert 0 < (rain.lidarseg == 0).sum() < (fog.lidarseg == 0).sum()
    heavy = apply_lidar_weather(sweep, medium_of("rain", rain_rate=50.0), 0)
    assert heavy.points.shape[0] < nr
    assert np.percentile(_range(rain), 99) <= np.percentile(_range(sweep), 99)
