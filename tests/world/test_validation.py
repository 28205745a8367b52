"""One front door validates the whole scene: `check` finds exactly what `validate` finds, raises on failures
and compiles the World once from what its checks compiled; the package's checking API is these three."""
from __future__ import annotations

import dataclasses

import pytest

import anyscene.validation as validation
from anyscene.errors import LayoutError
from anyscene.layout import load_layout
from anyscene.validation import check, validate
from anyscene.world import World


def _overlapping(layout):
    """The layout with a second pedestrian standing where the first one starts."""
    ped = layout.agent("ped_1")
    return dataclasses.replace(layout, agents=layout.agents + (dataclasses.replace(ped, id="ped_twin"),))


def test_checking_has_one_front_door():
    assert validation.__all__ == ["validate", "check", "load_valid", "ValidLayout"]


def test_check_compiles_once_and_refuses_failures(small_layout_path):
    layout, source = load_layout(small_layout_path)
    valid = check(layout, source, str(small_layout_path))
    world = valid.compile()
    assert world.roads is valid.roads and world.agents is valid.agents
    assert [t.id for t in world.agents] == [t.id for t in World.compile(layout).agents]
    assert valid.issues == validate(layout, source, str(small_layout_path))
    assert any("overlap" in i.message for i in validate(_overlapping(layout), source, "x"))
    with pytest.raises(LayoutError, match="overlap"):
        check(_overlapping(layout), source, str(small_layout_path))


def test_check_tests_the_map_size_before_building_rasters(tmp_path):
    """A trajectory 900 km away would make the default map extent (and its 0.1 m rasters) enormous: refused
    before the World's static map is built."""
    from anyscene.layout import parse_layout

    text = ("name: far\nduration: 4\nagents:\n  - id: p\n    class: pedestrian\n    trajectory:\n      waypoints:\n"
            "        - {t: 0, xy: [0, 0]}\n        - {t: 4, xy: [900000, 0]}\n")
    layout, source = parse_layout(text, "far.yaml")
    with pytest.raises(LayoutError, match=r"far.yaml(:\d+:\d+)?: error: map: the map .* spans 900.\d+ km"):
        check(layout, source, "far.yaml")
