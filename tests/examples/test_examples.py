"""The example layouts: complete, valid 30 s scenes whose worlds hold what their descriptions promise."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from anyscene.classes import FREE, OCC3D_ID
from anyscene.layout import load_layout
from anyscene.validation import load_valid
from anyscene.world import World, frame_times

ROOT = Path(__file__).resolve().parents[2]
LAYOUTS = sorted((ROOT / "layouts").glob("*.yaml"))
EXPECTED = {"four_way_intersection", "highway_cut_in", "t_junction_left_turn", "urban_street", "construction_zone",
            "crowded_crossing"}

# Classes each scene must show somewhere in its ego-frame occupancy over the 30 s (sampled at 1 Hz).
CLASSES = {
    "four_way_intersection": {"driveable_surface", "sidewalk", "terrain", "vegetation", "manmade", "car", "truck",
                              "pedestrian"},
    "highway_cut_in": {"driveable_surface", "other_flat", "vegetation", "manmade", "barrier", "car", "truck", "bus"},
    "t_junction_left_turn": {"driveable_surface", "sidewalk", "manmade", "car", "bicycle", "pedestrian"},
    "urban_street": {"driveable_surface", "sidewalk", "manmade", "vegetation", "car", "bicycle", "motorcycle",
                     "pedestrian"},
    "construction_zone": {"driveable_surface", "sidewalk", "car", "truck", "bus", "construction_vehicle",
                          "traffic_cone", "barrier", "trailer", "pedestrian"},
    "crowded_crossing": {"driveable_surface", "sidewalk", "vegetation", "manmade", "car", "bus", "truck",
                         "pedestrian"},
}


@lru_cache(maxsize=None)
def world_of(name: str) -> World:
    layout, _ = load_layout(ROOT / "layouts" / f"{name}.yaml")
    return World.compile(layout)


@lru_cache(maxsize=None)
def occupancy_summary(name: str) -> tuple[frozenset, tuple[int, ...]]:
    """Classes seen over the scene and the number of agents inside the grid each second."""
    world = world_of(name)
    seen: set[int] = set()
    agents_in_range = []
    for frame in world.frames(frame_times(world.duration, 1.0), with_flow=False):
        seen |= set(np.unique(frame.semantics).tolist())
        agents_in_range.append(int(np.count_nonzero(np.unique(frame.instances))))
    return frozenset(seen), tuple(agents_in_range)


def test_all_examples_present():
    names = {p.stem for p in LAYOUTS}
    assert len(LAYOUTS) >= 6
    assert EXPECTED <= names, f"missing example layouts: {sorted(EXPECTED - names)}"


@pytest.mark.parametrize("path", LAYOUTS, ids=lambda p: p.stem)
def test_example_is_a_valid_30s_scene(path):
    layout, _ = load_layout(path)
    assert layout.name == path.stem
    assert layout.duration == 30
    assert layout.description.strip()
    assert layout.ego is not None
    load_valid(path, strict=True)  # no errors and no warnings


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_world_shows_its_classes_and_agents(name):
    world = world_of(name)
    first = world.frame(0.0, with_flow=False)
    assert first.semantics[first.semantics != FREE].size > 0
    assert OCC3D_ID["driveable_surface"] in set(np.unique(first.semantics).tolist())
    seen, agents_in_range = occupancy_summary(name)
    missing = {c for c in CLASSES[name] if OCC3D_ID[c] not in seen}
    assert not missing, f"{name}: never in the ego's grid: {sorted(missing)}"
    # The ego drives through the scene with agents around it the whole time.
    assert len(agents_in_range) == 31
    assert min(agents_in_range) >= 1, agents_in_range
    moved = np.linalg.norm(world.ego_pose(30.0).translation - world.ego_pose(0.0).translation)
    assert moved > 50.0


def test_crowded_crossing_has_a_crowd():
    world = world_of("crowded_crossing")
    walkers = [a for a in world.agents if a.klass.kind == "pedestrian"]
    assert len(walkers) >= 30
    names = {a.klass.name for a in walkers}
    assert {"pedestrian", "child", "stroller", "wheelchair"} <= names
    # At t = 10 s at least 30 of them are on the zebra or the carriageway at once.
    states = world.states(10.0)
    on_road = [n for n, a in enumerate(world.agents) if a.klass.kind == "pedestrian" and states.present[n]
               and world.roads.drivable.contains(_point(states.center[n]))]
    assert len(on_road) >= 30
    # Cars wait at the stop lines; the ego waits, then goes.
    waiting = [a for a in world.layout.agents if a.trajectory.lane is not None and a.trajectory.lane.stop_s is not None]
    assert len(waiting) >= 4
    assert np.hypot(*world.ego_pose(15.0).velocity) < 1e-6
    assert np.hypot(*world.ego_pose(28.0).velocity) > 3.0


def test_urban_street_child_runs_out_in_front_of_the_ego_within_four_seconds():
    world = world_of("urban_street")
    child = next(a for a in world.agents if a.klass.name == "child")
    for t in (2.5, 3.0, 3.5):
        frame = world.frame(t, with_flow=False)
        voxels = np.argwhere(frame.instances == child.instance)
        assert voxels.size, f"the child is not in the ego's grid at t={t}"
        ahead = frame.grid.x_min + frame.grid.voxel * (voxels[:, 0] + 0.5)
        lateral = frame.grid.y_min + frame.grid.voxel * (voxels[:, 1] + 0.5)
        assert 4.0 < ahead.min() < 20.0 and np.abs(lateral).min() < 3.0  # in front of the ego, on the road
    assert np.hypot(*world.ego_pose(0.0).velocity) > 7.0
    assert np.hypot(*world.ego_pose(4.0).velocity) < 1e-6  # stopped for the child


def test_highway_cut_in_merges_in_front_of_the_ego():
    world = world_of("highway_cut_in")
    cut = next(a for a in world.agents if a.id == "car_cut_in")
    lane2 = world.roads.lane("a1", 2)
    for t, ahead in ((0.0, False), (12.0, True)):
        ego = world.ego_pose(t)
        p = ego.to_ego(np.append(cut.motion.evaluate(np.array([t])).xy[0], 0.0)[None])[0]
        if ahead:
            assert 5.0 < p[0] < 30.0 and abs(p[1]) < 0.5  # in the ego's lane, in front
        else:
            assert p[0] < 0.0 and p[1] > 3.0  # behind, in the lane to the left
    speeds = [np.hypot(*cut.motion.evaluate(np.array([t])).velocity[0]) for t in (0.0, 15.0)]
    assert 25.0 <= min(speeds) and max(speeds) <= 33.0
    assert lane2.length > 900.0


def _point(c):
    from shapely.geometry import Point

    return Point(float(c[0]), float(c[1]))
