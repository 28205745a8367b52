"""Table logic from the world alone: timeline, tokens, config, keyframe boxes and attributes, map frame, splits."""
from __future__ import annotations

import numpy as np
import pytest

from anyscene.errors import ConfigError, OutputError
from anyscene.pipeline.boxes import keyframe_candidates
from anyscene.export.config import DEFAULT_CONFIG, GenerateConfig, load_config
from anyscene.export.maps import EGO_MARGIN, drivable_mask, map_frame
from anyscene.export.merge import default_splits, info_filename
from anyscene.export.config import SplitConfig
from anyscene.export.tokens import shared_token, token
from anyscene.layout import parse_layout
from anyscene.world import World

from export_scenes import ALL_CLASSES


@pytest.fixture(scope="module")
def world() -> World:
    layout, _ = parse_layout(ALL_CLASSES, "all_classes.yaml")
    return World.compile(layout)


def test_tokens_are_deterministic_hex():
    a = token("scene", "sample", 3)
    assert a == token("scene", "sample", 3) and len(a) == 32 and int(a, 16) >= 0
    assert a != token("scene", "sample", 4) != token("other", "sample", 3)
    assert shared_token("category", "vehicle.car") == shared_token("category", "vehicle.car")


def test_config_file_matches_typed_defaults():
    from omegaconf import OmegaConf

    raw = OmegaConf.to_container(OmegaConf.load(DEFAULT_CONFIG))
    typed = OmegaConf.to_container(OmegaConf.structured(GenerateConfig))
    assert raw == typed
    for line in DEFAULT_CONFIG.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and not line.rstrip().endswith(":"):
            assert "#" in line, f"field without a comment: {line}"


@pytest.mark.parametrize("override", ["nope=1", "annotation.nope=2", "jpeg_quality=0", "keyframe_rate=5",
                                      "formats=[lidarseg]", "renderer=magic", "resolution=12x", "splits=3"])
def test_bad_overrides_are_config_errors(override):
    with pytest.raises(ConfigError):
        load_config(overrides=[override])


def test_options_and_overrides_apply():
    c = load_config(options={"resolution": "320x180", "camera_rate": 4.0, "seed": None},
                    overrides=["annotation.max_distance=30", "formats=[nuscenes,occ3d]"])
    assert c.size == (320, 180) and c.camera_rate == 4.0 and c.seed is None
    assert c.annotation.max_distance == 30.0 and c.formats == ["nuscenes", "occ3d"]


def test_keyframe_boxes_are_the_layout_states_with_attributes(world):
    t = 1.5
    boxes = {b.agent_id: b for b in keyframe_candidates(world, t, 50.0, 0.2)}
    st = world.states(t)
    for n, tr in enumerate(world.agents):
        if tr.id in boxes:
            b = boxes[tr.id]
            assert np.array_equal(b.center, st.center[n]) and b.yaw == st.yaw[n]
            assert b.wlh == [st.size[n, 1], st.size[n, 0], st.size[n, 2]]
            assert np.array_equal(b.velocity, st.velocity[n])
    assert boxes["car_1"].attribute == "vehicle.moving"
    assert boxes["parked_car"].attribute == "vehicle.parked"
    assert boxes["bike_1"].attribute == "cycle.with_rider"
    assert boxes["parked_bike"].attribute == "cycle.without_rider"
    assert boxes["ped_walk"].attribute == "pedestrian.moving"
    assert boxes["ped_stand"].attribute == "pedestrian.standing"
    assert boxes["cone_1"].attribute is None and boxes["barrier_1"].attribute is None
    w, x, y, z = boxes["bus_1"].rotation
    assert np.isclose(2 * np.arctan2(z, w) % (2 * np.pi), st.yaw[[a.id for a in world.agents].index("bus_1")] % (2 * np.pi))


def test_distance_filter(world):
    ego = world.ego_pose(0.0)
    near = keyframe_candidates(world, 0.0, 20.0, 0.2)
    assert near and all(np.hypot(*(b.center[:2] - ego.translation[:2])) <= 20.0 for b in near)
    assert "parked_car" not in {b.agent_id for b in near}


def test_map_png_covers_the_ego_and_marks_the_road(world, tmp_path):
    from nuscenes.utils.map_mask import MapMask

    from anyscene.export.maps import write_map_png

    times = np.linspace(0, world.duration, 7)
    mf = map_frame(world, times, "auto")
    path = tmp_path / "map.png"
    write_map_png(world, mf, path)
    mask = MapMask(str(path), resolution=0.1)
    assert mask.mask().shape == (mf.height, mf.width)
    for t in times:
        g = mf.to_global(world.ego_pose(float(t)).translation)
        assert g[0] >= EGO_MARGIN - 1e-9 and g[1] >= EGO_MARGIN - 1e-9
        assert g[0] <= mf.width * 0.1 - EGO_MARGIN and g[1] <= mf.height * 0.1 - EGO_MARGIN
    on_road = mf.to_global(np.array([[20.0, -3.0, 0.0], [-60.0, 6.0, 0.0]]))
    off_road = mf.to_global(np.array([[0.0, 40.0, 0.0], [20.0, -30.0, 0.0]]))
    assert mask.is_on_mask(on_road[:, 0], on_road[:, 1]).all()
    assert not mask.is_on_mask(off_road[:, 0], off_road[:, 1]).any()
    assert np.array_equal(mf.offset, np.round(mf.offset))
    assert set(np.unique(drivable_mask(world, mf)).tolist()) == {0, 255}


def test_default_splits():
    one = default_splits(["a"])
    assert one == {"anyscene_train": ["a"], "anyscene_val": ["a"], "anyscene_all": ["a"]}
    five = default_splits(list("abcde"), SplitConfig(val_fraction=0.2, prefix="syn"))
    assert five == {"syn_train": list("abcd"), "syn_val": ["e"], "syn_all": list("abcde")}
    assert default_splits(list("ab"), SplitConfig(val_fraction=0.0))["anyscene_val"] == []
    assert info_filename("anyscene_train", "anyscene") == "anyscene_infos_train.pkl"


def test_merge_refuses_missing_fragments(tmp_path):
    from anyscene.export.merge import merge_datasets

    (tmp_path / "scene").mkdir()
    with pytest.raises(OutputError):
        merge_datasets([tmp_path / "scene"], tmp_path / "out", "v1.0-x")
    assert not (tmp_path / "out").exists()


def test_map_frame_without_offset_keeps_world_coordinates(world):
    mf = map_frame(world, np.array([0.0, world.duration]), "none")
    assert np.array_equal(mf.offset, np.zeros(3)) and mf.x0 == 0.0 and mf.y0 == 0.0
    assert np.array_equal(mf.to_global(np.array([[1.5, -2.0, 0.3]])), np.array([[1.5, -2.0, 0.3]]))
