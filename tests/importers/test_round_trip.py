"""Round trip: generate an AnyScene dataset from a small layout, import it back with the nuScenes importer, and
the agents match the original layout's at every keyframe (≤ 1 cm), in the original world frame (the importer
reads the export's `global_offset`)."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.cli.main import main

TOL = 0.01  # m


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    from testdata import SMALL_LAYOUT

    from anyscene.importers.nuscenes import import_nuscenes
    from anyscene.layout import parse_layout

    tmp = tmp_path_factory.mktemp("round_trip")
    src = tmp / "small.yaml"
    src.write_text(SMALL_LAYOUT.replace("duration: 6", "duration: 2"))
    out = tmp / "gen"
    assert main(["generate", str(src), "--out", str(out), "--resolution", "160x90", "--formats", "nuscenes",
                 "--no-progress"]) == 0
    original = parse_layout(src.read_text())[0]
    back = import_nuscenes(out, "v1.0-anyscene", "small_cross")
    return original, back, out


def test_agents_match_at_every_keyframe(round_trip):
    from nuscenes import NuScenes

    from anyscene.world import World

    original, back, out = round_trip
    gen = NuScenes("v1.0-anyscene", str(out), verbose=False)
    w0, w1 = World.compile(original), World.compile(back.layout)
    t0 = back.layout.timeline.epoch_us
    matched = 0
    for sample in gen.sample:
        t = (sample["timestamp"] - t0) / 1e6
        s0, s1 = w0.states(t), w1.states(t)
        assert s1.present.sum() == len(sample["anns"])  # imported: present exactly where annotated
        for n in np.flatnonzero(s1.present):
            d = np.hypot(*(s0.center[:, :2] - s1.center[n, :2]).T)
            d[~s0.present | (s0.occ3d != s1.occ3d[n])] = np.inf
            k = int(np.argmin(d))
            assert d[k] <= TOL
            assert abs((s0.yaw[k] - s1.yaw[n] + np.pi) % (2 * np.pi) - np.pi) <= 0.002
            assert np.allclose(s0.size[k], s1.size[n], atol=1e-9)
            matched += 1
    assert matched >= 3 * len(gen.sample)
    assert {a.cls for a in back.layout.agents} == {"pedestrian", "car"}
    assert [p.cls for p in back.layout.map.props] == ["traffic_cone"]


def test_ego_matches_at_every_recorded_pose(round_trip):
    from anyscene.world import World

    original, back, _ = round_trip
    w0, w1 = World.compile(original), World.compile(back.layout)
    for wp in back.layout.ego.trajectory.waypoints:
        p0, p1 = w0.ego_pose(wp.t), w1.ego_pose(wp.t)
        assert np.hypot(*(p0.translation[:2] - p1.translation[:2])) <= TOL
        assert abs(p0.yaw - p1.yaw) <= 0.002
    tl = back.layout.timeline
    assert len(tl.keyframes) == 5 and tl.keyframes[-1] == pytest.approx(2.0)
    assert len(tl.lidar) == 41 and [c.channel for c in tl.cameras][0].startswith("CAM_")
