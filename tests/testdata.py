"""Test data shared across test folders (importable as `testdata`; pytest puts tests/ on sys.path)."""
from __future__ import annotations

from pathlib import Path

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
