"""Layouts of the export tests, written by the tests themselves."""
from __future__ import annotations

from pathlib import Path

# Every detection class of the devkit's evaluation near a slowly driving ego: agents on lanes at constant
# velocity, a walking and a standing pedestrian, a ridden bicycle and a parked one, a parked car, cones and a
# barrier, and a building.
ALL_CLASSES = """\
name: all_classes
duration: 3
seed: 3
map:
  roads:
    - {id: main, centerline: [[-150, 0], [150, 0]], lanes: {forward: 3, backward: 3}}
  buildings:
    - {id: b_n, footprint: [[-30, 16], [10, 16], [10, 30], [-30, 30]], height: 9}
  props:
    - {id: cone_1, class: traffic_cone, xy: [6, -10.0]}
    - {id: cone_2, class: traffic_cone, xy: [8, -10.0]}
    - {id: barrier_1, class: barrier, xy: [-14, 11.5]}
    - {id: parked_car, class: car, xy: [-40, 8.75]}
    - {id: parked_bike, class: bicycle, xy: [12, 12.0]}
ego:
  trajectory: {lane: {road: main, lane: 1, s: 140, speed: 3}}
agents:
  - {id: car_1, class: car, trajectory: {lane: {road: main, lane: 2, s: 150, speed: 5}}}
  - {id: truck_1, class: truck, trajectory: {lane: {road: main, lane: 3, s: 165, speed: 4}}}
  - {id: bus_1, class: bus, trajectory: {lane: {road: main, lane: -1, s: 130, speed: 6}}}
  - {id: trailer_1, class: trailer, trajectory: {lane: {road: main, lane: -2, s: 140, speed: 3}}}
  - {id: digger_1, class: construction_vehicle, trajectory: {lane: {road: main, lane: -3, s: 150, speed: 2}}}
  - {id: moto_1, class: motorcycle, trajectory: {lane: {road: main, lane: 3, s: 125, speed: 6}}}
  - {id: bike_1, class: bicycle, trajectory: {lane: {road: main, lane: -3, s: 170, speed: 3}}}
  - id: ped_walk
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [5.0, -12.0], velocity: [1.4, 0.0]}
        - {t: 3, xy: [9.2, -12.0], velocity: [1.4, 0.0]}
  - id: ped_stand
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [-5.0, 12.0]}
"""

# Agents whose velocity is constant over the whole scene (the devkit's finite difference is then exact).
CONSTANT_VELOCITY = ("car_1", "truck_1", "bus_1", "trailer_1", "digger_1", "moto_1", "bike_1", "ped_walk",
                     "ped_stand", "cone_1", "cone_2", "barrier_1", "parked_car", "parked_bike")

# A tiny scene for the command-line and robustness tests.
TINY = """\
name: tiny
duration: 1
map:
  roads:
    - {id: main, centerline: [[-100, 0], [100, 0]], lanes: {forward: 1, backward: 1}}
ego:
  trajectory: {lane: {road: main, lane: 1, s: 90, speed: 2}}
agents:
  - {id: car_1, class: car, trajectory: {lane: {road: main, lane: -1, s: 80, speed: 4}}}
"""

INVALID = """\
name: broken
duration: 2
map:
  roads:
    - {id: main, centerline: [[-100, 0], [100, 0]]}
agents:
  - {id: car_1, class: spaceship, trajectory: {lane: {road: main, lane: 1, speed: 4}}}
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
