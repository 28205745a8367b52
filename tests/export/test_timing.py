"""Staggered cameras through the devkit: each keyframe's images carry their own trigger times."""
from __future__ import annotations

import numpy as np

from anyscene.export import generate_dataset, load_config
from anyscene.sensors import camera_trigger_offset, load_rig

from testdata import SMALL_LAYOUT


def test_staggered_cameras_in_the_tables(tmp_path):
    from nuscenes.nuscenes import NuScenes

    layout = tmp_path / "small.yaml"
    layout.write_text(SMALL_LAYOUT)
    cfg = load_config(options={"resolution": "160x90", "duration": 1.0, "progress": False,
                               "formats": ["nuscenes", "infos"], "camera_timing": "staggered"})
    nusc = NuScenes("v1.0-anyscene", str(generate_dataset([layout], tmp_path / "data", cfg)), verbose=False)
    rig = load_rig("nuscenes", (160, 90))
    offsets = {c.channel: round(camera_trigger_offset(c, rig.lidar) * 1e6) for c in rig.cameras}
    assert len(nusc.sample) == 3
    for sample in nusc.sample:
        lidar = nusc.get("sample_data", sample["data"]["LIDAR_TOP"])
        assert lidar["timestamp"] == sample["timestamp"] and lidar["is_key_frame"]
        stamps = {}
        for ch, off in offsets.items():
            sd = nusc.get("sample_data", sample["data"][ch])
            assert sd["is_key_frame"] and sd["filename"].startswith(f"samples/{ch}/")
            stamps[ch] = sd["timestamp"] - sample["timestamp"]
            pose = nusc.get("ego_pose", sd["ego_pose_token"])
            assert pose["timestamp"] == sd["timestamp"]
        assert stamps == offsets and len(set(stamps.values())) == 6
    for ch in offsets:  # every chain is complete and ascending, sweeps point to the next keyframe
        sd = nusc.get("sample_data", nusc.sample[0]["data"][ch])
        times = [sd["timestamp"]]
        while sd["next"]:
            sd = nusc.get("sample_data", sd["next"])
            times.append(sd["timestamp"])
            sample = nusc.get("sample", sd["sample_token"])
            assert sample["timestamp"] + offsets[ch] >= sd["timestamp"]
        assert len(times) == 13 and np.all(np.diff(times) > 0)
