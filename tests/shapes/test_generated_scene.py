"""A generated scene read back through the nuscenes-devkit: the class-labelled LiDAR hits near each box lie inside
it, and every annotation whose object the LiDAR hit reports points (shapes lie strictly inside their boxes).

Moving objects are scanned during the 50 ms revolution while their box is the one at the sweep timestamp, so the
points of their leading faces are smeared out of the box by up to speed × 50 ms (as in real sweeps): for them
the test holds the hits of all moving objects together to the bound; tests/sensors/test_lidar.py checks every
agent point against the box at the point's own firing time."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.export import generate_dataset, load_config

LAYOUT = """\
name: shapes_scene
duration: 2
seed: 5
map:
  roads:
    - {id: main, centerline: [[-150, 0], [150, 0]], lanes: {forward: 3, backward: 3}}
  buildings:
    - {id: b_n, footprint: [[-30, 16], [10, 16], [10, 30], [-30, 30]], height: 9}
  props:
    - {id: cone_1, class: traffic_cone, xy: [6, -10.0]}
    - {id: barrier_1, class: barrier, xy: [-14, 11.5], shape: fence}
    - {id: parked_car, class: car, xy: [-12, 8.75], shape: pickup}
    - {id: parked_suv, class: car, xy: [-25, -8.75], yaw: 3.1416, shape: suv}
    - {id: parked_bike, class: bicycle, xy: [12, 12.0]}
    - {id: rack, class: bicycle_rack, xy: [16, 12.0]}
    - {id: tree_1, class: tree, xy: [-2, 14.5]}
ego:
  trajectory: {lane: {road: main, lane: 1, s: 145, speed: 4}}
agents:
  - {id: car_1, class: car, trajectory: {lane: {road: main, lane: 2, s: 155, speed: 5}}}
  - {id: truck_1, class: truck, shape: tanker, trajectory: {lane: {road: main, lane: 3, s: 165, speed: 4}}}
  - {id: bus_1, class: bus, trajectory: {lane: {road: main, lane: -1, s: 130, speed: 6}}}
  - {id: trailer_1, class: trailer, trajectory: {lane: {road: main, lane: -2, s: 125, speed: 3}}}
  - {id: digger_1, class: construction_vehicle, trajectory: {lane: {road: main, lane: -3, s: 150, speed: 2}}}
  - {id: moto_1, class: motorcycle, trajectory: {lane: {road: main, lane: 3, s: 135, speed: 6}}}
  - {id: bike_1, class: bicycle, trajectory: {lane: {road: main, lane: -3, s: 170, speed: 3}}}
  - id: ped_walk
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [5.0, -12.0], velocity: [1.4, 0.0]}
        - {t: 2, xy: [7.8, -12.0], velocity: [1.4, 0.0]}
  - id: worker
    class: construction_worker
    trajectory:
      waypoints:
        - {t: 0, xy: [-6.0, -11.0]}
  - id: ped_stand
    class: child
    trajectory:
      waypoints:
        - {t: 0, xy: [-5.0, 12.0]}
"""
VERSION = "v1.0-anyscene"


@pytest.fixture(scope="module")
def nusc(tmp_path_factory):
    from nuscenes.nuscenes import NuScenes

    tmp = tmp_path_factory.mktemp("shapes")
    path = tmp / "shapes_scene.yaml"
    path.write_text(LAYOUT)
    config = load_config(options={"resolution": "160x90", "progress": False})
    out = generate_dataset([path], tmp / "data", config)
    return NuScenes(VERSION, str(out), verbose=False)


def _near_and_inside(nusc):
    """Per annotation: (category, num_lidar_pts, own-class hits within 3 cm of the box, of those inside it,
    speed m/s)."""
    from nuscenes.utils.data_classes import LidarPointCloud
    from nuscenes.utils.geometry_utils import points_in_box

    index = {c["name"]: c["index"] for c in nusc.category}
    rows = []
    for s in nusc.sample:
        sd = s["data"]["LIDAR_TOP"]
        path, boxes, _ = nusc.get_sample_data(sd)
        pc = LidarPointCloud.from_file(path)
        seg = nusc.get("lidarseg", sd)
        labels = np.fromfile(f"{nusc.dataroot}/{seg['filename']}", dtype=np.uint8)
        for b in boxes:
            ann = nusc.get("sample_annotation", b.token)
            own = labels == index[ann["category_name"]]
            grown = b.copy()
            grown.wlh = b.wlh + 0.06
            near = own & points_in_box(grown, pc.points[:3])
            inside = near & points_in_box(b, pc.points[:3])
            speed = float(np.nan_to_num(np.linalg.norm(nusc.box_velocity(b.token)[:2])))
            rows.append((ann["category_name"], ann["num_lidar_pts"], int(near.sum()), int(inside.sum()), speed))
    return rows


def test_class_labelled_hits_near_a_box_lie_inside_it(nusc):
    rows = _near_and_inside(nusc)
    hit = [r for r in rows if r[2] > 0]
    assert len(hit) >= 20
    still = [r for r in hit if r[4] < 0.2]  # smear below 1 cm
    assert len(still) >= 10
    for cat, _, near, inside, _ in still:
        assert inside >= 0.99 * near, (cat, near, inside)
    moving = [r for r in hit if r[4] >= 0.2]
    assert sum(r[3] for r in moving) >= 0.99 * sum(r[2] for r in moving)
    # Every category of the scene is seen.
    assert len({r[0] for r in hit}) >= 12


def test_no_hit_object_reports_zero_points(nusc):
    for cat, n, near, _, _ in _near_and_inside(nusc):
        if near > 0:
            assert n > 0, cat
