"""The occupancy world: agents fill exactly their shapes, flow is their ego-frame velocity, static voxels are
resampled into the rotated ego frame exactly."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.classes import AGENT_CLASSES, FREE, OCC3D_ID
from anyscene.layout import parse_layout
from anyscene.world import GridSpec, World, load_grid

GRID = GridSpec()


def _layout(agents_yaml: str, ego_yaml: str = "", extra_map: str = "") -> World:
    text = f"""\
name: t
duration: 4
map:
  ground: other_flat
  roads:
    - {{id: main, centerline: [[-200, 0], [200, 0]], lanes: {{forward: 3, backward: 3}}, sidewalk: 0}}
{extra_map}
{ego_yaml}
agents:
{agents_yaml}
"""
    layout, _ = parse_layout(text, "t.yaml")
    return World.compile(layout)


def _voxel_centers(grid: GridSpec, mask: np.ndarray) -> np.ndarray:
    idx = np.argwhere(mask)
    lo = np.array([grid.x_min, grid.y_min, grid.z_min])
    return lo + grid.voxel * (idx + 0.5)


@pytest.mark.parametrize("cls", sorted(AGENT_CLASSES))
def test_agent_voxels_inside_box_and_centre_voxel_has_class(cls):
    yaw = 0.37
    agents = f"""\
  - id: a
    class: {cls}
    trajectory:
      waypoints:
        - {{t: 0, xy: [7.3, -2.1], yaw: {yaw}}}
"""
    world = _layout(agents, "ego:\n  trajectory: {waypoints: [{t: 0, xy: [1.0, 0.5], yaw: 0.2}]}")
    frame = world.frame(0.0)
    st = world.states(0.0)
    ego = frame.ego
    center = ego.to_ego(st.center[:1])[0]
    rel_yaw = st.yaw[0] - ego.yaw
    size = st.size[0]
    mask = frame.instances == 1
    assert mask.any()
    assert np.all(frame.semantics[mask] == OCC3D_ID[AGENT_CLASSES[cls].occ3d])
    pts = _voxel_centers(GRID, mask) - center
    c, s = np.cos(rel_yaw), np.sin(rel_yaw)
    local = np.stack([c * pts[:, 0] + s * pts[:, 1], -s * pts[:, 0] + c * pts[:, 1], pts[:, 2]], axis=1)
    inside = np.all(np.abs(local) <= size / 2 + 1e-9, axis=1)
    centre_idx = tuple(GRID.index_of(center[None])[0])
    owns_centre = np.all(np.argwhere(mask) == np.array(centre_idx), axis=1)
    assert np.all(inside | owns_centre)
    assert frame.semantics[centre_idx] == OCC3D_ID[AGENT_CLASSES[cls].occ3d]
    assert frame.instances[centre_idx] == 1


def test_flow_equals_ego_frame_velocity():
    agents = """\
  - id: car
    class: car
    trajectory:
      waypoints:
        - {t: 0, xy: [0.0, 5.25], velocity: [8.0, 1.0]}
        - {t: 4, xy: [34.0, 8.25], velocity: [9.0, 0.5]}
"""
    ego = "ego:\n  trajectory: {waypoints: [{t: 0, xy: [-5, -1.75], velocity: [5, 0]}, {t: 4, xy: [15, -1.75]}]}"
    world = _layout(agents, ego)
    for t in (0.0, 1.3, 2.9):
        frame = world.frame(t)
        st = world.states(t)
        expect = frame.ego.vector_to_ego(st.velocity[0])
        mask = frame.instances == 1
        assert mask.sum() > 20
        np.testing.assert_allclose(frame.flow[mask], np.broadcast_to(expect, (mask.sum(), 2)), atol=1e-5)
        assert np.all(frame.flow[~mask] == 0.0)


@pytest.mark.parametrize("ego_yaw", [0.0, 0.5, np.pi / 2, 2.3, -1.1, np.pi])
def test_static_landmark_lands_where_the_transform_says(ego_yaw):
    extra = """\
  buildings:
    - {id: tower, footprint: [[20.0, 14.0], [22.0, 14.0], [22.0, 16.0], [20.0, 16.0]], height: 4.0}
"""
    ego_xy = (3.0, 2.0)
    ego = f"ego:\n  trajectory: {{waypoints: [{{t: 0, xy: [{ego_xy[0]}, {ego_xy[1]}], yaw: {ego_yaw}}}]}}"
    world = _layout("  []", ego, extra)
    frame = world.frame(0.0)
    pose = frame.ego
    assert abs(pose.yaw - ego_yaw) < 1e-12
    centre = pose.to_ego(np.array([[21.0, 15.0, 2.0]]))[0]
    i, j, k = GRID.index_of(centre[None])[0]
    assert frame.semantics[i, j, k] == OCC3D_ID["manmade"]
    # Voxels whose centres fall inside the 2 m footprint and below the roof are manmade; none outside.
    xs, ys, zs = GRID.centers(0), GRID.centers(1), GRID.centers(2)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    world_xy = pose.to_world(np.stack([gx.ravel(), gy.ravel(), np.zeros(gx.size)], axis=1))[:, :2]
    margin = 0.1 + 1e-6  # the static raster's cell size
    inside = (np.abs(world_xy[:, 0] - 21.0) < 1.0 - margin) & (np.abs(world_xy[:, 1] - 15.0) < 1.0 - margin)
    outside = (np.abs(world_xy[:, 0] - 21.0) > 1.0 + margin) | (np.abs(world_xy[:, 1] - 15.0) > 1.0 + margin)
    layer = (zs > 0.2) & (zs < 3.8)
    col = frame.semantics.reshape(-1, GRID.nz)[:, layer]
    assert inside.sum() >= 12
    assert np.all(col[inside] == OCC3D_ID["manmade"])
    assert np.all(col[outside] == FREE)


def test_ground_layer_and_alignment_presets():
    world = _layout("  []")
    default = world.frame(0.0)
    assert GRID.ground_layer == 2
    assert np.all(default.semantics[:, :, :2] == FREE)
    assert set(np.unique(default.semantics[:, :, 2])) <= {OCC3D_ID["driveable_surface"], OCC3D_ID["other_flat"]}
    aligned = load_grid("occ3d_aligned")
    assert aligned.ground_layer == 0
    frame = world.frame(0.0, aligned)
    np.testing.assert_array_equal(frame.semantics[:, :, 0], default.semantics[:, :, 2])


def test_road_surface_under_ego_and_off_road_ground():
    world = _layout("  []")
    frame = world.frame(0.0)
    i, j, _ = GRID.index_of(np.array([[0.0, 0.0, 0.0]]))[0]
    assert frame.semantics[i, j, 2] == OCC3D_ID["driveable_surface"]
    i, j, _ = GRID.index_of(np.array([[0.0, 30.0, 0.0]]))[0]
    assert frame.semantics[i, j, 2] == OCC3D_ID["other_flat"]


def test_frames_stream_in_order_and_agents_outside_range_are_skipped():
    agents = """\
  - id: far
    class: truck
    trajectory: {waypoints: [{t: 0, xy: [150.0, 5.0]}]}
"""
    world = _layout(agents)
    frames = world.frames([0.0, 0.5, 1.0])
    ts = []
    for f in frames:
        ts.append(f.t)
        assert not (f.instances == 1).any()
    assert ts == [0.0, 0.5, 1.0]


def test_compile_reuses_the_static_parts_of_a_previous_world_with_the_same_map():
    import dataclasses

    from testdata import SMALL_LAYOUT

    layout, _ = parse_layout(SMALL_LAYOUT, "small.yaml")
    first = World.compile(layout)
    fewer = dataclasses.replace(layout, agents=layout.agents[:1])
    again = World.compile(fewer, previous=first)
    assert again.roads is first.roads and again.static is first.static
    assert again.props is first.props and len(first.props) > 0  # the map's prop shapes are not built again
    reseeded = World.compile(dataclasses.replace(fewer, seed=layout.seed + 1), previous=first)
    assert reseeded.props is not first.props  # prop shapes vary with the seed
    assert len(again.agents) == len(first.agents) - (len(layout.agents) - 1)
    fresh = World.compile(fewer)
    assert again.extent == fresh.extent and np.array_equal(again.static.ground, fresh.static.ground)
    # an agent that reaches further out grows the default extent: the rasters are compiled again
    far, _ = parse_layout(SMALL_LAYOUT.replace("[12.0, 2.6]", "[12.0, 260.0]"), "far.yaml")
    assert far.map == layout.map
    grown = World.compile(far, previous=first)
    assert grown.roads is first.roads and grown.static is not first.static and grown.extent != first.extent
    other_map = dataclasses.replace(layout, map=dataclasses.replace(layout.map, props=()))
    moved = World.compile(other_map, previous=first)
    assert moved.roads is not first.roads and moved.static is not first.static
