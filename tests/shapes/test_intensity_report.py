"""The intensity comparison against the real HDL-32E sweeps runs and puts the synthetic distribution in the real
one's range."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from testdata import ROOT, SMALL_LAYOUT

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "nuscenes-real"
sys.path.insert(0, str(ROOT / "tools"))


def test_intensity_report_against_real_sweeps():
    if not (REAL / "v1.0-real").exists():
        pytest.skip("the real nuScenes scene is absent")
    import lidar_intensity as li
    from anyscene.layout import parse_layout
    from anyscene.world import World

    world = World.compile(parse_layout(SMALL_LAYOUT, "small.yaml")[0])
    real = li.real_intensities(REAL, max_sweeps=3)
    synthetic = li.synthetic_intensities(world, sweeps=2)
    result = li.compare(real, synthetic)
    o = result["overall"]
    assert o["real"]["n"] > 50_000 and o["synthetic"]["n"] > 20_000
    assert abs(sum(o["synthetic"]["hist"]) - 1) < 1e-3
    # The overall median lies within a factor of two of the real one, and the values spread over several times.
    assert 0.5 < o["synthetic"]["median"] / o["real"]["median"] < 2.0
    assert o["synthetic"]["p90"] > 3 * o["synthetic"]["p10"]
    assert "vehicle.car" in result["per_category"]
    assert "| all (range > 1 m) |" in li.markdown(result)
    assert np.isfinite(result["per_category"]["vehicle.car"]["synthetic"]["median"])
