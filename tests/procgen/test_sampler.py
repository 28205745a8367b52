"""Procedural scenes: every template yields strictly valid, deterministic layouts whose contents follow the
config; `anyscene sample` writes them atomically."""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from anyscene.procgen.sampler import draw_layout, sample_layout, sample_to_dir
from anyscene.procgen.config import (DEFAULT_CONFIG, TEMPLATES, SamplerConfig, load_sampler_config,
                                           sampler_config_from_dict)
from anyscene.errors import ConfigError, OutputError
from anyscene.validation import check
from anyscene.layout.yamlio import dump_layout, parse_layout

ROOT = Path(__file__).resolve().parents[2]


def _cfg(**kw) -> SamplerConfig:
    base = {"duration": 8.0, "seed": 3}
    base.update(kw)
    return sampler_config_from_dict(base)


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_is_valid_and_deterministic(template):
    cfg = _cfg()
    layout, counts = draw_layout(cfg, 0, 0, template)
    assert counts["template"] == template
    check(layout, strict=True)  # no errors and no warnings
    again, _ = draw_layout(cfg, 0, 0, template)
    assert again == layout  # exact: every float of every trajectory
    assert layout.ego is not None and len(layout.agents) > 0
    assert template in layout.environment.tags
    assert f"weather={layout.environment.weather}" in layout.description


def test_written_text_is_the_validated_layout():
    text, stats = sample_layout(_cfg(), 1)
    layout, _ = parse_layout(text)
    assert dump_layout(layout) == text
    assert layout == draw_layout(_cfg(), 1, stats.attempt)[0]


def test_templates_show_their_features():
    cfg = _cfg()
    ring, _ = draw_layout(cfg, 0, 0, "roundabout")
    ring_road = next(r for r in ring.map.roads if r.id == "ring")
    assert ring_road.centerline[0] == ring_road.centerline[-1]  # a closed ring
    assert 4 <= len(ring.map.roads) <= 5  # ring + 3 or 4 arms
    park, counts = draw_layout(cfg, 0, 0, "urban_parking")
    assert counts["parked"] >= 10 and any(a.cls == "parking" for a in park.map.areas)
    assert sum(p.cls == "car" for p in park.map.props) >= 8
    j5, _ = draw_layout(cfg, 0, 0, "junction5")
    assert len(j5.map.roads) == 4  # main road + 3 side roads: 5 arms
    # Vehicles turning off side roads stop at their yield line before entering (waypoints at rest).
    lay, _ = draw_layout(_cfg(duration=12.0), 0, 0, "junction4")
    waits = [a.id for a in lay.agents if a.trajectory.waypoints and a.cls == "car"
             and any(p.velocity == (0.0, 0.0) for p in a.trajectory.waypoints[1:])]
    assert waits


def test_sample_is_independent_of_n_and_seeded():
    cfg = _cfg()
    a, _ = sample_layout(cfg, 5)
    b, _ = sample_layout(cfg, 5)
    assert a == b
    other, _ = sample_layout(_cfg(seed=4), 5)
    assert other != a


def test_densities_and_shares_follow_the_config():
    few = _cfg(duration=5.0, density={"vehicles": 0.3, "pedestrians": 1.0})
    many = _cfg(duration=5.0, density={"vehicles": 2.0, "pedestrians": 8.0})
    n_few = Counter()
    n_many = Counter()
    for i in range(2):
        for cfg, n in ((few, n_few), (many, n_many)):
            lay, counts = draw_layout(cfg, i, 0, "t_junction")
            n["vehicles"] += counts["vehicles"]
            n["peds"] += counts["walkers"] + counts["crossers"] + counts["jaywalkers"]
    assert n_many["vehicles"] > 1.5 * n_few["vehicles"]
    assert n_many["peds"] > 2 * n_few["peds"]
    jay = _cfg(duration=5.0, behaviour={"jaywalker_share": 0.6, "crossing_share": 0.2, "cut_in_share": 1.0},
               roads={"lanes": [2, 2]})
    none = _cfg(duration=5.0, behaviour={"jaywalker_share": 0.0, "cut_in_share": 0.0}, roads={"lanes": [2, 2]})
    jays = cuts = 0
    for i in range(2):
        _, c = draw_layout(jay, i, 0, "straight")
        jays, cuts = jays + c["jaywalkers"], cuts + c["cut_ins"]
        _, c0 = draw_layout(none, i, 0, "straight")
        assert c0["jaywalkers"] == 0 and c0["cut_ins"] == 0
    assert jays > 0 and cuts > 0


def test_class_mix_and_environment_tags():
    cfg = _cfg(vehicle_classes={"car": 0.0, "truck": 1.0, "bus": 0.0, "motorcycle": 0.0,
                                "construction_vehicle": 0.0, "emergency_vehicle": 0.0},
               environment={"weather": {"clear": 0.0, "overcast": 0.0, "rain": 1.0, "fog": 0.0},
                            "time_of_day": {"dawn": 0.0, "day": 0.0, "dusk": 0.0, "night": 1.0}})
    lay, _ = draw_layout(cfg, 0, 0, "straight")
    moving = {a.cls for a in lay.agents if a.id.startswith(("truck", "car_", "bus"))}
    assert moving == {"truck"}
    assert lay.environment.weather == "rain" and "night" in lay.environment.tags
    assert 20.5 <= lay.environment.time_of_day <= 23.5


def test_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("density:\n  vehicels: 2\n")
    with pytest.raises(ConfigError, match="vehicels"):
        load_sampler_config(bad)
    with pytest.raises(ConfigError, match="templates.highway"):
        sampler_config_from_dict({"templates": {"highway": 1.0}})
    with pytest.raises(ConfigError, match="roads.lanes"):
        sampler_config_from_dict({"roads": {"lanes": [3, 1]}})
    with pytest.raises(ConfigError, match="no such file"):
        load_sampler_config(tmp_path / "missing.yaml")
    # The shipped configs load and document every field.
    for f in (ROOT / "configs" / "sampler").glob("*.yaml"):
        load_sampler_config(f)
    text = DEFAULT_CONFIG.read_text()
    for line in text.splitlines():
        if ":" in line and not line.lstrip().startswith("#") and line.strip().split(":")[1].strip():
            assert "#" in line, f"undocumented field in {DEFAULT_CONFIG.name}: {line}"


def test_sample_to_dir_is_atomic_and_refuses_non_empty(tmp_path):
    cfg = _cfg(duration=5.0)
    out = tmp_path / "layouts"
    stats = sample_to_dir(cfg, 2, out)
    files = sorted(p.name for p in out.iterdir())
    assert files == ["scene_00000.yaml", "scene_00001.yaml"] and [s.index for s in stats] == [0, 1]
    with pytest.raises(OutputError, match="not empty"):
        sample_to_dir(cfg, 2, out)
    sample_to_dir(cfg, 1, out, overwrite=True, start=4)
    assert sorted(p.name for p in out.iterdir()) == ["scene_00004.yaml"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_sample_cli_same_seed_same_files(tmp_path):
    def run(out: Path, seed: int):
        return subprocess.run([sys.executable, "-m", "anyscene.cli.main", "sample", str(DEFAULT_CONFIG), "--n", "2",
                               "--out", str(out), "--seed", str(seed), "--no-progress", "duration=5",
                               "templates.roundabout=5"], capture_output=True, text=True, cwd=ROOT)
    a, b, c = run(tmp_path / "a", 11), run(tmp_path / "b", 11), run(tmp_path / "c", 12)
    assert a.returncode == 0, a.stderr
    for name in ("scene_00000.yaml", "scene_00001.yaml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()
    again = run(tmp_path / "a", 11)
    assert again.returncode == 2 and "not empty" in again.stderr and "Traceback" not in again.stderr
    bad = subprocess.run([sys.executable, "-m", "anyscene.cli.main", "sample", str(DEFAULT_CONFIG), "--n", "1",
                          "--out", str(tmp_path / "d"), "density.cars=3"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "density.cars" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_hundred_default_layouts_valid_and_deterministic(tmp_path):
    """100 layouts of the default config (10 s): strictly valid, every template drawn, byte-identical twice."""
    cfg = load_sampler_config(DEFAULT_CONFIG, ["duration=10"])
    a = sample_to_dir(cfg, 100, tmp_path / "a")
    sample_to_dir(cfg, 100, tmp_path / "b")
    assert {s.template for s in a} == set(TEMPLATES)
    first_pass = np.mean([s.attempt == 0 for s in a])
    assert first_pass >= 0.9
    for p in sorted((tmp_path / "a").iterdir()):
        assert p.read_bytes() == (tmp_path / "b" / p.name).read_bytes()
        layout, _ = parse_layout(p.read_text(), str(p))
        check(layout, strict=True, file=str(p))
