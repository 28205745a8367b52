"""The raster renderer shades the parts of library shapes: dark tyres, glass and metal of their own,
skin and clothes on people, hi-vis vests, from the camera frame's material map."""
from __future__ import annotations

import numpy as np

from anyscene.layout import parse_layout
from anyscene.render.shading import render_rgb
from anyscene.render.style import load_style
from anyscene.sensors import WorldScene, load_rig, render_camera
from anyscene.shapes.materials import MATERIAL_ID
from anyscene.world import World

LAYOUT = """\
name: parts
duration: 1
map:
  ground: other_flat
  props:
    - {id: car, class: car, xy: [9, 0.5], yaw: 1.5708, shape: sedan}
    - {id: worker, class: construction_worker, xy: [7, -2.2]}
"""


def test_parts_have_their_looks():
    world = World.compile(parse_layout(LAYOUT, "parts.yaml")[0])
    scene = WorldScene(world)
    cam = load_rig("nuscenes", (480, 270)).camera("CAM_FRONT")
    frame = render_camera(scene, cam, world.ego_pose(0.0), 0.0)
    assert frame.material is not None and frame.material.shape == frame.semantic.shape
    img = render_rgb(frame, cam, load_style(overrides={"time_of_day": 12.0}), None, 0,
                     agents=world.states(0.0)).astype(float)
    again = render_rgb(frame, cam, load_style(overrides={"time_of_day": 12.0}), None, 0, agents=world.states(0.0))
    assert np.array_equal(img.astype(np.uint8), again)
    lum = img.mean(axis=2)

    def mean(name):
        m = frame.material == MATERIAL_ID[name]
        assert m.sum() > 10, name
        return lum[m].mean(), img[m].mean(axis=0)

    glass, _ = mean("glass")
    tyre, _ = mean("tyre")
    paint, _ = mean("paint")
    metal, _ = mean("metal")  # hub caps
    assert tyre < paint and tyre < glass and tyre < metal
    _, hivis = mean("hivis")
    assert hivis[1] > hivis[2] * 1.5 and hivis[0] > hivis[2] * 1.5  # fluorescent yellow-green
    _, skin = mean("skin")
    _, cloth = mean("cloth")
    assert skin[0] / skin[2] > cloth[0] / cloth[2]  # warmer than the clothes under the same light
