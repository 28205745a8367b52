"""The background reconstructed from scene-0916's LiDAR keyframes: the ground, the static structures, their
classes, the file the layout references, and what the replay's LiDAR sees of it (an inserted agent occludes it).
The scene is imported once (with the CLI) for the module."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from anyscene.cli.main import main
from anyscene.classes import OCC3D_ID
from conftest import SCENE, VERSION, need_real

pytestmark = pytest.mark.slow  # one import with reconstruction: about a minute on 2 cores


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    root = need_real()
    d = tmp_path_factory.mktemp("recon")
    code = main(["import", "nuscenes", str(root), "--version", VERSION, "--scene", SCENE, "--out",
                 str(d / "scene.yaml"), "--rig-out", str(d / "rig.yaml"), "--colour-keyframes", "even"])
    assert code == 0
    return d


@pytest.fixture(scope="module")
def world(out):
    from anyscene.layout.yamlio import load_layout
    from anyscene.world import World

    layout, _ = load_layout(out / "scene.yaml")
    return World.compile(layout)


def _real_static(world, k: int):
    """World-frame points of real keyframe k outside every (grown) box, and their range from the sensor."""
    import json

    from anyscene.importers.nuscenes.background import _in_boxes, _quat_matrix, read_points

    root = need_real()
    sds = sorted((d for d in json.loads((root / VERSION / "sample_data.json").read_text())
                  if d["is_key_frame"] and "LIDAR_TOP" in d["filename"]), key=lambda d: d["timestamp"])
    cs = {c["token"]: c for c in json.loads((root / VERSION / "calibrated_sensor.json").read_text())}
    ep = {e["token"]: e for e in json.loads((root / VERSION / "ego_pose.json").read_text())}
    sd = sds[k]
    pts = read_points(root / sd["filename"], "test", [])
    c, e = cs[sd["calibrated_sensor_token"]], ep[sd["ego_pose_token"]]
    ox, oy = world.layout.source.origin
    p = (pts[:, :3].astype(np.float64) @ _quat_matrix(c["rotation"]).T + c["translation"])
    p = p @ _quat_matrix(e["rotation"]).T + np.asarray(e["translation"]) - [ox, oy, 0.0]
    t = (sd["timestamp"] - sds[0]["timestamp"]) / 1e6
    r = np.linalg.norm(pts[:, :3], axis=1)
    keep = ~_in_boxes(world, t, p) & (r > 2.0)
    return p[keep], r[keep], t


def test_layout_references_the_background_file(out, world):
    text = (out / "scene.yaml").read_text()
    assert "background: scene.background.npz" in text
    assert (out / "scene.background.npz").is_file() and world.background is not None


def test_every_element_has_a_class(world):
    bg = world.background
    ground = bg.ground_cls[np.isfinite(bg.ground_z)]
    assert set(np.unique(ground)) <= {OCC3D_ID[c] for c in ("driveable_surface", "sidewalk", "terrain",
                                                              "other_flat")}
    assert set(np.unique(bg.surfel_cls)) <= {OCC3D_ID["manmade"], OCC3D_ID["vegetation"]}
    assert bg.num_surfels > 10_000 and np.all(bg.surfel_cls[bg.surfel_pole] == OCC3D_ID["manmade"])
    # The map's drivable area is driveable_surface wherever the ground was reconstructed on it.
    assert np.count_nonzero(ground == OCC3D_ID["driveable_surface"]) > 1000


def test_ground_lies_on_the_real_ground_points(world):
    """Real static points over the drivable area within 0.3 m of the height field are ground returns: they lie
    within 5 cm of it (median), and most drivable-area returns are such ground returns."""
    from anyscene.world.background import ground_height

    p, r, _ = _real_static(world, 20)
    on_road = world.static.ground_at(p[:, 0], p[:, 1]) == OCC3D_ID["driveable_surface"]
    g = ground_height(world.background, p[on_road, 0], p[on_road, 1])
    dz = np.abs(p[on_road, 2] - g)
    near = np.isfinite(dz) & (dz < 0.3)
    assert near.mean() > 0.7
    assert np.median(dz[near]) <= 0.05


def test_real_static_points_lie_on_the_background(world):
    import open3d as o3d

    from anyscene.sensors.raycast import StaticGeometry

    mesh = StaticGeometry.build(world).mesh
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(mesh.vertices), o3d.core.Tensor(mesh.triangles))
    for k in (5, 33):
        p, r, _ = _real_static(world, k)
        d = scene.compute_distance(o3d.core.Tensor(p[r < 50].astype(np.float32))).numpy()
        assert np.median(d) <= 0.2, k


def test_boxes_and_ego_stay_exact_with_the_background(world, imported):
    from anyscene.world import World

    plain = World.compile(imported.layout)
    for t in (0.0, 7.3, imported.layout.duration):
        a, b = world.states(t), plain.states(t)
        assert np.array_equal(a.center, b.center) and np.array_equal(a.present, b.present)
        ea, eb = world.ego_pose(t), plain.ego_pose(t)
        assert np.array_equal(ea.matrix, eb.matrix)


def test_inserted_agent_occludes_the_background_in_lidar(world, out):
    """A bus 8 m ahead of the ego: the LiDAR sees it, and the background behind it disappears."""
    import dataclasses

    from anyscene.layout import edit
    from anyscene.layout.schema import Agent
    from anyscene.sensors.lidar import EXACT, sweep_lidar
    from anyscene.sensors.raycast import StaticGeometry, WorldScene
    from anyscene.sensors.rig import load_rig
    from anyscene.world import World
    from anyscene.world.background import ground_height

    t = 10.0
    ego = world.ego_pose(t)
    xy = ego.translation[:2] + 8.0 * np.array([np.cos(ego.yaw), np.sin(ego.yaw)])
    z = float(ground_height(world.background, xy[:1], xy[1:])[0])
    bus = Agent(id="inserted_bus", cls="bus", size=(10.0, 2.5, 3.0),
                trajectory=edit.waypoints([(0.0, xy.tolist(), (0.0, 0.0))]))
    bus = dataclasses.replace(bus, trajectory=dataclasses.replace(bus.trajectory, waypoints=(
        dataclasses.replace(bus.trajectory.waypoints[0], yaw=ego.yaw + np.pi / 2, z=z),)))
    edited = World.compile(edit.add_agent(world.layout, bus))
    rig = load_rig(str(out / "rig.yaml"))
    static = StaticGeometry.build(world)
    before = sweep_lidar(WorldScene(world, static), rig.lidar, world, t, realism=EXACT)
    after = sweep_lidar(WorldScene(edited, static), rig.lidar, edited, t, realism=EXACT)

    def ahead(s):  # background returns within ±20° of straight ahead (LiDAR frame: y forward)
        az = np.arctan2(s.points[:, 0], s.points[:, 1])
        return (np.abs(az) < np.radians(20)) & (s.instance == 0)

    inst = edited.agents[-1].instance
    assert edited.agents[-1].id == "inserted_bus" and np.count_nonzero(after.instance == inst) > 200
    far = lambda s: ahead(s) & (np.linalg.norm(s.points[:, :2], axis=1) > 12.0)  # noqa: E731
    assert np.count_nonzero(far(after)) < 0.2 * np.count_nonzero(far(before))


def test_colour_comes_from_the_images(world):
    bg = world.background
    coloured = np.any(bg.surfel_colour != 128, axis=1)
    assert coloured.mean() > 0.3
    assert np.std(bg.surfel_colour[coloured].astype(float)) > 10


def test_missing_and_corrupt_background_files(out, tmp_path):
    from anyscene.layout.yamlio import load_layout
    from anyscene.world import World
    from anyscene.world.background import BackgroundError

    d = tmp_path / "copy"
    d.mkdir()
    shutil.copy(out / "scene.yaml", d / "scene.yaml")
    layout, _ = load_layout(d / "scene.yaml")
    with pytest.raises(BackgroundError, match="scene.background.npz: background file not found"):
        World.compile(layout)
    raw = (out / "scene.background.npz").read_bytes()
    (d / "scene.background.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(BackgroundError, match="scene.background.npz: corrupt background file"):
        World.compile(layout)


def test_bad_sweeps_are_skipped_and_none_is_an_error(tables_copy, tmp_path, capsys):
    """Truncated and NaN-only sweep files are skipped with a warning naming them; without any readable sweep
    the import fails (exit 2) and writes nothing."""
    real = need_real()
    (tables_copy / "samples" / "LIDAR_TOP").mkdir(parents=True)
    files = sorted((real / "samples" / "LIDAR_TOP").iterdir())
    for f in files[:4]:
        shutil.copy(f, tables_copy / "samples" / "LIDAR_TOP" / f.name)
    trunc, nan = (tables_copy / "samples" / "LIDAR_TOP" / files[k].name for k in (0, 1))
    trunc.write_bytes(trunc.read_bytes()[:-7])
    nan.write_bytes(np.full((100, 5), np.nan, np.float32).tobytes())
    out = tmp_path / "o"
    out.mkdir()
    args = ["import", "nuscenes", str(tables_copy), "--version", VERSION, "--scene", SCENE, "--out",
            str(out / "scene.yaml")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"{trunc}: LiDAR file of sample_data" in err and "truncated" in err
    assert f"{nan}: LiDAR file of sample_data" in err and "no finite point" in err
    assert "LIDAR_TOP file(s) not found" in err and (out / "scene.background.npz").is_file()
    for f in (tables_copy / "samples" / "LIDAR_TOP").iterdir():
        f.unlink()
    out2 = tmp_path / "o2"
    out2.mkdir()
    assert main(args[:-1] + [str(out2 / "scene.yaml")]) == 2
    err = capsys.readouterr().err
    assert "has no readable LIDAR_TOP file" in err and "Traceback" not in err and not any(out2.iterdir())


def test_a_recompile_with_the_same_map_keeps_the_background_without_reading_it_again(world, monkeypatch):
    import anyscene.world.background as background_module
    from anyscene.world import World

    def no_read(path):
        raise AssertionError(f"{path} read again")

    monkeypatch.setattr(background_module, "load_background", no_read)
    again = World.compile(world.layout, previous=world)
    assert again.background is world.background and again.background is not None
