"""One entry point validates the whole scene: `validate_world` on a compiled World finds exactly what
`validate_layout` finds, and `compile_valid` compiles a layout once and checks it."""
from __future__ import annotations

import dataclasses

import pytest

from anyscene.errors import LayoutError
from anyscene.layout import load_layout
from anyscene.validation import compile_valid, validate_layout, validate_world
from anyscene.world import World


def _overlapping(layout):
    """The layout with a second pedestrian standing where the first one starts."""
    ped = layout.agent("ped_1")
    return dataclasses.replace(layout, agents=layout.agents + (dataclasses.replace(ped, id="ped_twin"),))


def test_validate_world_matches_validate_layout(small_layout_path):
    layout, source = load_layout(small_layout_path)
    for lay in (layout, _overlapping(layout)):
        expected = validate_layout(lay, source, str(small_layout_path))
        assert validate_world(World.compile(lay), source, str(small_layout_path)) == expected
    assert any("overlap" in i.message for i in validate_layout(_overlapping(layout), source, "x"))


def test_compile_valid_compiles_once_and_refuses_failures(small_layout_path):
    layout, source = load_layout(small_layout_path)
    world, issues = compile_valid(layout, source, str(small_layout_path))
    assert [t.id for t in world.agents] == [t.id for t in World.compile(layout).agents]
    assert issues == validate_layout(layout, source, str(small_layout_path))
    with pytest.raises(LayoutError, match="overlap"):
        compile_valid(_overlapping(layout), source, str(small_layout_path))


def test_compile_valid_checks_the_map_size_before_building_rasters(tmp_path):
    """A trajectory 900 km away would make the default map extent (and its 0.1 m rasters) enormous: refused
    before the World's static map is built."""
    from anyscene.layout import parse_layout

    text = ("name: far\nduration: 4\nagents:\n  - id: p\n    class: pedestrian\n    trajectory:\n      waypoints:\n"
            "        - {t: 0, xy: [0, 0]}\n        - {t: 4, xy: [900000, 0]}\n")
    layout, source = parse_layout(text, "far.yaml")
    with pytest.raises(LayoutError, match=r"far.yaml(:\d+:\d+)?: error: map: the map .* spans 900.\d+ km"):
        compile_valid(layout, source, "far.yaml")
