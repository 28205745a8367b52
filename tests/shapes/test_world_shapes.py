"""Shapes in the world: the `shape` field (validation, defaults), walking meshes over time, articulated buses on
curves, and the occupancy voxelised from the meshes by the documented rule."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.layout import parse_layout
from anyscene.validation import validate
from anyscene.sensors.raycast import world_agent_mesh
from anyscene.world import World
from anyscene.world.grid import GridSpec

LAYOUT = """\
name: people
duration: 4
map:
  ground: other_flat
  props:
    - {id: parked, class: car, xy: [10, 4], shape: van}
    - {id: bike, class: bicycle, xy: [6, -3]}
agents:
  - id: walker
    class: pedestrian
    shape: backpack
    trajectory:
      waypoints:
        - {t: 0, xy: [5, 2], velocity: [1.4, 0]}
        - {t: 4, xy: [10.6, 2], velocity: [1.4, 0]}
  - id: stander
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [4, -1]}
  - id: rider
    class: bicycle
    trajectory:
      waypoints:
        - {t: 0, xy: [-10, -6], velocity: [4, 0]}
        - {t: 4, xy: [6, -6], velocity: [4, 0]}
"""


def _world(text=LAYOUT):
    return World.compile(parse_layout(text, "people.yaml")[0])


def test_shape_field_defaults_and_validation():
    world = _world()
    by_id = {tr.id: tr for tr in world.agents}
    assert by_id["parked"].shape == "van" and by_id["walker"].shape == "backpack"
    assert by_id["bike"].shape == "without_rider" and by_id["rider"].shape == "with_rider"
    assert by_id["stander"].shape in ("casual", "backpack", "coat")
    bad = LAYOUT.replace("shape: van", "shape: limo")
    layout, source = parse_layout(bad, "bad.yaml")
    issues = validate(layout, source, "bad.yaml")
    msg = "\n".join(str(i) for i in issues)
    assert "map.props[0].shape" in msg and "unknown car shape 'limo'" in msg and "bad.yaml:" in msg


def test_walking_mesh_changes_with_time_and_standing_one_does_not():
    world = _world()
    idx = {tr.id: i for i, tr in enumerate(world.agents)}
    meshes = {}
    for t in (1.0, 1.3):
        st = world.states(t)
        meshes[t] = {k: world_agent_mesh(world, st, [idx[k]]) for k in ("walker", "stander")}
    w0, w1 = meshes[1.0]["walker"], meshes[1.3]["walker"]
    # Moved on by 0.42 m and in another gait phase: the body shape itself differs, not only its position.
    local0 = w0.vertices - w0.vertices.mean(axis=0)
    local1 = w1.vertices - w1.vertices.mean(axis=0)
    assert not np.allclose(local0, local1, atol=1e-3)
    assert np.array_equal(meshes[1.0]["stander"].vertices, meshes[1.3]["stander"].vertices)
    st = world.states(2.0)
    assert st.distance[idx["walker"]] == pytest.approx(2.8, abs=0.01) and st.distance[idx["stander"]] == 0.0


def test_articulated_bus_bends_on_a_curve():
    text = """\
name: curve
duration: 6
map:
  ground: driveable_surface
agents:
  - id: bendy
    class: bendy_bus
    trajectory:
      waypoints:
        - {t: 0, xy: [0, 0], velocity: [8, 0]}
        - {t: 1, xy: [8, 0], velocity: [8, 0]}
        - {t: 4, xy: [23, 15], velocity: [0, 8]}
        - {t: 6, xy: [23, 31], velocity: [0, 8]}
"""
    world = _world(text)
    st0, st1 = world.states(0.5), world.states(2.5)
    assert abs(st1.yaw_rate[0]) > 0.05 and abs(st0.yaw_rate[0]) < 1e-6
    m0, m1 = world_agent_mesh(world, st0, [0]), world_agent_mesh(world, st1, [0])
    # Bent: the mesh in the box frame differs from the straight one, and still fits the box.
    from anyscene.world.agents import shape_at

    straight, bent = shape_at(world.agents[0], st0, 0), shape_at(world.agents[0], st1, 0)
    assert not np.allclose(straight.vertices, bent.vertices)
    assert np.all(np.abs(bent.vertices) <= np.array(world.agents[0].size) / 2)
    assert m0.num_triangles == m1.num_triangles


def test_occupancy_follows_the_voxel_rule():
    world = _world()
    grid = GridSpec()
    frame = world.frame(1.0, grid)
    st = world.states(1.0)
    from anyscene.world.agents import shape_at

    for a, tr in enumerate(world.agents):
        ijk = np.argwhere(frame.instances == tr.instance)
        assert len(ijk) >= 1
        centre = np.array([grid.x_min, grid.y_min, grid.z_min]) + grid.voxel * (ijk + 0.5)
        ego = frame.ego
        rel = ego.to_world(centre) - st.center[a]
        c, s = np.cos(st.yaw[a]), np.sin(st.yaw[a])
        local = np.c_[c * rel[:, 0] + s * rel[:, 1], -s * rel[:, 0] + c * rel[:, 1], rel[:, 2]]
        mesh = shape_at(tr, st, a)
        own = np.floor((ego.to_ego(st.center[a][None])[0] - [grid.x_min, grid.y_min, grid.z_min]) / grid.voxel)
        is_own = np.all(ijk == own.astype(int), axis=1)
        in_box = np.all(np.abs(local) <= st.size[a] / 2 + 1e-9, axis=1)
        assert np.all((in_box & mesh.contains(local)) | is_own), tr.id
    # A van fills many voxels; and every free voxel centre inside its box is outside its mesh.
    car = next(tr for tr in world.agents if tr.id == "parked")
    assert (frame.instances == car.instance).sum() > 40
