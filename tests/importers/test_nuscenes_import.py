"""Importing the real scene-0916: the layout validates (warnings only) and reproduces the recording exactly:
every ego pose, every keyframe box, the sensor timeline, the rig and the drivable area."""
from __future__ import annotations

import numpy as np

from conftest import SCENE, VERSION

POS_TOL, YAW_TOL = 0.01, 0.002  # m, rad


def _yaw(q) -> float:
    from pyquaternion import Quaternion

    return float(Quaternion(q).yaw_pitch_roll[0])


def _dyaw(a, b) -> float:
    return float(abs((a - b + np.pi) % (2 * np.pi) - np.pi))


def test_layout_validates_with_warnings_only_and_round_trips(imported, tmp_path):
    from anyscene.layout import load_layout, save_layout
    from anyscene.validation import validate

    layout = imported.layout
    path = tmp_path / "scene.yaml"
    save_layout(layout, path)
    again, source = load_layout(path)
    assert again == layout
    issues = validate(again, source, str(path))
    assert issues, "real data should raise some findings (overlaps, jitter)"
    assert all(i.severity == "warning" for i in issues), [str(i) for i in issues if i.severity == "error"]
    assert any("(recorded data: a warning)" in i.message for i in issues)
    assert layout.source.dataset == "nuscenes" and layout.source.scene == SCENE
    assert layout.source.version == VERSION


def test_recorded_marker_is_what_relaxes_the_checks(imported):
    """Without `source` the same layout fails: the relaxed findings are errors again."""
    import dataclasses

    from anyscene.validation import validate

    plain = dataclasses.replace(imported.layout, source=None)
    errors = [i for i in validate(plain, {}, "x") if i.severity == "error"]
    assert errors and not any("recorded data" in i.message for i in errors)


def test_every_real_ego_pose_is_reproduced(nusc, imported, real_world):
    layout = imported.layout
    ox, oy = layout.source.origin
    t0 = layout.timeline.epoch_us
    checked = 0
    for rec in nusc.ego_pose:
        t = (rec["timestamp"] - t0) / 1e6
        if not 0.0 <= t <= layout.duration:
            continue
        pose = real_world.ego_pose(t)
        x, y = rec["translation"][:2]
        assert np.hypot(pose.translation[0] + ox - x, pose.translation[1] + oy - y) <= POS_TOL, rec["token"]
        assert _dyaw(pose.yaw, _yaw(rec["rotation"])) <= YAW_TOL, rec["token"]
        checked += 1
    assert checked > 3000


def test_every_real_keyframe_box_is_reproduced(nusc, imported, real_world):
    layout = imported.layout
    ox, oy = layout.source.origin
    t0 = layout.timeline.epoch_us
    by_id = {tr.id: n for n, tr in enumerate(real_world.agents)}
    checked = 0
    for sample in nusc.sample:
        t = (sample["timestamp"] - t0) / 1e6
        states = real_world.states(t)
        for tok in sample["anns"]:
            ann = nusc.get("sample_annotation", tok)
            n = next(i for ident, i in by_id.items() if ident.endswith("_" + ann["instance_token"][:8]))
            assert states.present[n]
            x, y = ann["translation"][:2]
            assert np.hypot(states.center[n, 0] + ox - x, states.center[n, 1] + oy - y) <= POS_TOL, tok
            assert _dyaw(states.yaw[n], _yaw(ann["rotation"])) <= YAW_TOL, tok
            w, l, h = ann["size"]
            assert tuple(states.size[n]) == (l, w, h)
            checked += 1
    assert checked == len(nusc.sample_annotation) == 2424


def test_box_heights_and_ego_attitude_are_the_recorded_ones(nusc, imported, real_world):
    """Every keyframe box's centre z is the recorded one (waypoint z: the box bottom); every recorded ego pose's
    full rotation, pitch and roll included, within 0.002 rad and its position within 1 cm."""
    from pyquaternion import Quaternion

    t0 = imported.layout.timeline.epoch_us
    ox, oy = imported.layout.source.origin
    ids = {tr.id[-8:]: n for n, tr in enumerate(real_world.agents)}
    dz, pitch = [], []
    for sample in nusc.sample:
        st = real_world.states((sample["timestamp"] - t0) / 1e6)
        for tok in sample["anns"]:
            ann = nusc.get("sample_annotation", tok)
            dz.append(st.center[ids[ann["instance_token"][:8]], 2] - ann["translation"][2])
    assert np.max(np.abs(dz)) <= 1e-6 and len(dz) == 2424
    for sd in nusc.sample_data[::5]:
        pose = nusc.get("ego_pose", sd["ego_pose_token"])
        t = (pose["timestamp"] - t0) / 1e6
        if not 0.0 <= t <= imported.layout.duration:
            continue
        ego = real_world.ego_pose(t)
        assert np.linalg.norm(ego.translation + [ox, oy, 0] - pose["translation"]) <= 0.01
        q = Quaternion(pose["rotation"])
        assert (q.inverse * Quaternion(ego.quaternion)).angle <= 0.002
        assert np.allclose(ego.rotation, Quaternion(ego.quaternion).rotation_matrix, atol=1e-9)
        pitch.append(abs(q.yaw_pitch_roll[1]))
    assert max(pitch) > 0.005  # the recorded ego does pitch: the check above is not trivially met


def test_timeline_is_the_recorded_one(nusc, imported):
    tl = imported.layout.timeline
    samples = sorted(nusc.sample, key=lambda s: s["timestamp"])
    t0 = samples[0]["timestamp"]
    assert tl.epoch_us == t0
    assert [round(t * 1e6) + t0 for t in tl.keyframes] == [s["timestamp"] for s in samples]
    lidar = sorted(sd["timestamp"] for sd in nusc.sample_data if sd["channel"] == "LIDAR_TOP")
    assert [round(t * 1e6) + t0 for t in tl.lidar] == lidar
    assert len(tl.cameras) == 6
    for cam in tl.cameras:
        real = sorted(sd["timestamp"] for sd in nusc.sample_data if sd["channel"] == cam.channel
                      and sd["timestamp"] >= t0 - 100_000)
        assert [round(t * 1e6) + t0 for t in cam.times] == real
    # Cameras fire as the LiDAR sweeps across them: the six images of a keyframe carry distinct times.
    first = {c.channel: c.times[0] for c in tl.cameras}
    assert len(set(first.values())) == 6
    assert min(first.values()) < 0  # the first keyframe's front cameras fire before its LiDAR timestamp


def test_timeline_round_trips_and_is_checked():
    import dataclasses

    from anyscene.layout import parse_layout
    from anyscene.validation import validate

    text = ("name: t\nduration: 1\ntimeline:\n  epoch_us: 1538984233547259\n  keyframes: [0.0, 0.5]\n"
            "  lidar: [0.0, 0.25, 0.5]\n  cameras:\n    - {channel: CAM_FRONT, times: [-0.03, 0.47]}\n")
    layout, source = parse_layout(text)
    assert layout.timeline.cameras[0].times == (-0.03, 0.47)
    assert not validate(layout, source, "t.yaml")
    bad = dataclasses.replace(layout.timeline, keyframes=(0.0, 0.4), lidar=(0.0, 0.5, 0.25, 1.5))
    msgs = [i.message for i in validate(dataclasses.replace(layout, timeline=bad), {}, "t")]
    assert any("strictly ascending" in m for m in msgs)
    assert any("after the scene's end" in m for m in msgs)
    assert any("is not one of the LiDAR sweep times" in m for m in msgs)
    shifted = dataclasses.replace(layout.timeline, keyframes=(0.25, 0.5))
    msgs = [i.message for i in validate(dataclasses.replace(layout, timeline=shifted), {}, "t")]
    assert any("first keyframe is t = 0" in m for m in msgs)


def test_categories_classes_and_props(nusc, imported):
    from anyscene.classes import AGENT_CLASSES
    from anyscene.importers.nuscenes.categories import CATEGORY_CLASS

    assert len(CATEGORY_CLASS) == 23 and set(CATEGORY_CLASS.values()) == set(AGENT_CLASSES)
    layout = imported.layout
    assert len(layout.agents) + len(layout.map.props) == len(nusc.instance) == 95
    for inst in nusc.instance:
        cat = nusc.get("category", inst["category_token"])["name"]
        ident = f"{CATEGORY_CLASS[cat]}_{inst['token'][:8]}"
        entry = [a for a in layout.agents if a.id == ident] + [p for p in layout.map.props if p.id == ident]
        assert len(entry) == 1 and entry[0].cls == CATEGORY_CLASS[cat]
    # Props are parked instances whose boxes never move, their recorded height included (in scene-0916 the
    # parked bicycles' recorded box bottoms move by 0.25-0.36 m between keyframes, so they keep waypoints);
    # standing pedestrians are single waypoints with presence.
    assert all(p.cls in ("bicycle", "car", "motorcycle", "barrier", "traffic_cone", "pushable_pullable", "debris",
                         "bicycle_rack", "truck", "bus", "trailer", "construction_vehicle") for p in layout.map.props)
    assert any(a.cls == "bicycle" and len(a.trajectory.waypoints) > 1
               and np.ptp([w.xy for w in a.trajectory.waypoints], axis=0).max() <= 0.005 for a in layout.agents)
    standing = [a for a in layout.agents if a.cls == "pedestrian" and len(a.trajectory.waypoints) == 1]
    assert standing and all(a.appear is not None and a.disappear is not None for a in standing)


def test_rig_file_is_the_calibration(nusc, imported, tmp_path):
    from anyscene.sensors.rig import load_rig

    path = tmp_path / "rig.yaml"
    path.write_text(imported.rig_yaml)
    rig = load_rig(str(path))
    assert [c.channel for c in rig.cameras] == ["CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_FRONT_LEFT", "CAM_BACK",
                                                "CAM_BACK_LEFT", "CAM_BACK_RIGHT"]
    for cam in rig.cameras:
        sd = next(s for s in nusc.sample_data if s["channel"] == cam.channel)
        cs = nusc.get("calibrated_sensor", sd["calibrated_sensor_token"])
        assert np.allclose(cam.intrinsic, cs["camera_intrinsic"], atol=1e-9)
        assert np.allclose(cam.translation, cs["translation"])
        q = np.asarray(cs["rotation"]) / np.linalg.norm(cs["rotation"])
        assert np.allclose(cam.rotation, q)
        assert (cam.width, cam.height) == (sd["width"], sd["height"]) == (1600, 900)
    sd = next(s for s in nusc.sample_data if s["channel"] == "LIDAR_TOP")
    cs = nusc.get("calibrated_sensor", sd["calibrated_sensor_token"])
    assert np.allclose(rig.lidar.translation, cs["translation"])
    small = load_rig(str(path), resolution=(160, 90))
    assert small.cameras[0].width == 160
    # The beam model is the default nuscenes rig's, ego-body mask and per-ring dropout included (the recorded
    # LiDAR sits where the default's does: the same vehicle).
    default = load_rig("nuscenes").lidar
    assert rig.lidar.self_occlusion is not None
    assert np.array_equal(rig.lidar.self_occlusion, default.self_occlusion)
    assert np.array_equal(rig.lidar.ring_dropout, default.ring_dropout)


def test_a_lidar_mounted_elsewhere_keeps_the_beam_model_but_not_the_body_mask():
    from anyscene.importers.nuscenes.rig import lidar_entry
    from anyscene.sensors.rig import read_rig_config

    default = read_rig_config("nuscenes").lidar
    warnings: list[str] = []
    same = lidar_entry("LIDAR_TOP", {"translation": default.translation, "rotation": default.rotation}, warnings)
    assert warnings == [] and same["self_occlusion"] == default.self_occlusion
    raised = [default.translation[0], default.translation[1], default.translation[2] + 0.3]
    moved = lidar_entry("LIDAR_TOP", {"translation": raised, "rotation": default.rotation}, warnings)
    assert "self_occlusion" not in moved and moved["ring_dropout"] == default.ring_dropout
    assert moved["translation"] == raised
    assert len(warnings) == 1 and "0.30 m" in warnings[0] and "self_occlusion" in warnings[0]


def test_drivable_area_agrees_with_the_devkit_map_mask(nusc, imported):
    """Points around the ego path: inside a traced drivable area exactly where the devkit's MapMask says so,
    but for points within a pixel or two of an outline (the simplification tolerance)."""
    import shapely
    from shapely.geometry import Polygon

    from anyscene.world.collisions import drivable_region
    from anyscene.layout.checks import Usable
    from anyscene.layout.geometry import build_road_geometry

    layout = imported.layout
    areas = layout.map.areas
    assert any(a.cls == "driveable_surface" for a in areas)
    use = Usable(areas=set(range(len(areas))))
    region = drivable_region(layout.map, use, build_road_geometry(layout.map))
    ox, oy = layout.source.origin
    mask = nusc.get("map", nusc.log[0]["map_token"])["mask"]
    ego = np.array([w.xy for w in layout.ego.trajectory.waypoints])
    rng = np.random.default_rng(0)
    pts = ego[rng.integers(len(ego), size=4000)] + rng.uniform(-40, 40, size=(4000, 2))
    inside = shapely.contains_xy(region, pts[:, 0], pts[:, 1])
    on_mask = mask.is_on_mask(pts[:, 0] + ox, pts[:, 1] + oy)
    boundary = shapely.unary_union([Polygon(a.polygon).exterior for a in areas]).buffer(0.3)
    far = ~shapely.contains_xy(boundary, pts[:, 0], pts[:, 1])
    assert far.sum() > 3000
    assert np.array_equal(inside[far], on_mask[far])
    assert on_mask.mean() > 0.2
