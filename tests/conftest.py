"""Shared fixtures: small layouts built in the tests themselves."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SMALL_LAYOUT = """\
name: small_cross
duration: 6
map:
  roads:
    - {id: ew, centerline: [[-120, 0], [120, 0]], lanes: {forward: 2, backward: 2}}
    - {id: ns, centerline: [[0, -120], [0, 120]], lanes: {forward: 1, backward: 1}}
  crosswalks:
    - {id: cw_east, road: ew, s: 132}
  buildings:
    - {id: b_ne, footprint: [[16, 16], [40, 16], [40, 40], [16, 40]], height: 12}
  props:
    - {id: cone_1, class: traffic_cone, xy: [22, -6.5]}
    - {id: pole_1, class: pole, xy: [14.5, 9.5]}
ego:
  trajectory: {lane: {road: ew, lane: 1, s: 100, speed: 5}}
agents:
  - id: ped_1
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [12.0, 11.0], velocity: [0.0, -1.4]}
        - {t: 6, xy: [12.0, 2.6], velocity: [0.0, -1.4]}
  - id: car_1
    class: car
    trajectory: {lane: {road: ns, lane: 1, s: 70, speed: 6}}
  - id: car_2
    class: car
    trajectory: {lane: {road: ew, lane: -1, s: 90, speed: 8}}
"""


@pytest.fixture
def small_layout_path(tmp_path: Path) -> Path:
    """A valid 6 s four-way crossing with a pedestrian, two cars, a cone and a pole."""
    p = tmp_path / "small_cross.yaml"
    p.write_text(SMALL_LAYOUT)
    return p


@pytest.fixture
def small_world(small_layout_path):
    from anyscene.layout import load_layout
    from anyscene.world import World

    layout, _ = load_layout(small_layout_path)
    return World.compile(layout)
