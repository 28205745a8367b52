"""Small worlds for the sensor tests, compiled once per session."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from testdata import SMALL_LAYOUT

WALL_X = 20.0  # m: near face of the wall in WALL_LAYOUT (the ego stands at the origin facing +x)

WALL_LAYOUT = f"""\
name: wall
duration: 2
map:
  ground: other_flat
  buildings:
    - {{id: wall, footprint: [[{WALL_X}, -60], [{WALL_X + 1}, -60], [{WALL_X + 1}, 60], [{WALL_X}, 60]], height: 10}}
"""


@lru_cache(maxsize=None)
def world_of(text: str, name: str = "test.yaml"):
    from anyscene.layout import parse_layout
    from anyscene.world import World

    return World.compile(parse_layout(text, name)[0])


@lru_cache(maxsize=None)
def scene_of(text: str):
    from anyscene.sensors import WorldScene

    return WorldScene(world_of(text))


def small_world():
    return world_of(SMALL_LAYOUT, "small_cross.yaml")


def small_scene():
    return scene_of(SMALL_LAYOUT)


def camera_axis_yaw(camera) -> float:
    """Heading (rad, ego frame) of a camera's optical axis."""
    z = camera.cam2ego[:3, 2]
    return float(np.arctan2(z[1], z[0]))


def cars_facing_cameras_layout(rig, distance: float = 12.0) -> str:
    """A layout with the ego at the origin and one parked car `distance` m in front of every camera of the rig,
    broadside to it (car i belongs to camera i, instance i + 1)."""
    lines = ["name: car_ring", "duration: 2", "map:", "  ground: other_flat", "  props:"]
    for i, cam in enumerate(rig.cameras):
        yaw = camera_axis_yaw(cam)
        x = cam.translation[0] + distance * np.cos(yaw)
        y = cam.translation[1] + distance * np.sin(yaw)
        lines.append(f"    - {{id: car_{i}, class: car, xy: [{x:.4f}, {y:.4f}], yaw: {yaw + np.pi / 2:.6f}}}")
    return "\n".join(lines) + "\n"
