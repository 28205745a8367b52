"""`anyscene generate` from the command line: errors exit 2 with nothing written, --overwrite, interrupts,
determinism, and scenes written separately then merged."""
from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pytest

from anyscene.cli.main import main
from anyscene.layout import parse_layout
from anyscene.world import World

from export_scenes import INVALID, TINY, write

FAST = ["--resolution", "64x36", "--camera-rate", "4", "--lidar-rate", "4", "--no-progress"]


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write(tmp_path / "tiny.yaml", TINY)


def _generate(layout: Path, out: Path, *extra: str) -> int:
    return main(["generate", str(layout), "--out", str(out), *FAST, *extra])


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _leftovers(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith(".") and "partial" in p.name]


def test_generate_twice_is_byte_identical(tiny, tmp_path):
    assert _generate(tiny, tmp_path / "a") == 0
    assert _generate(tiny, tmp_path / "b") == 0
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert sorted(k for k in a if a[k] != b.get(k)) == [] and a.keys() == b.keys()
    kinds = {Path(k).suffix for k in a}
    assert {".json", ".jpg", ".bin", ".npz", ".pkl", ".png", ".mp4"} <= kinds


def test_existing_output_is_refused_then_overwritten(tiny, tmp_path, capsys):
    out = tmp_path / "data"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert _generate(tiny, out) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "mine"
    assert _generate(tiny, out, "--overwrite") == 0
    assert not (out / "keep.txt").exists() and (out / "v1.0-anyscene" / "sample.json").exists()
    assert not _leftovers(tmp_path)


def test_invalid_layout_exits_2_with_location_and_writes_nothing(tmp_path, capsys):
    bad = write(tmp_path / "broken.yaml", INVALID)
    assert _generate(bad, tmp_path / "data") == 2
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "spaceship" in err
    assert err.split(f"{bad}:")[1].split(":")[0].isdigit()  # FILE:LINE:COL
    assert not (tmp_path / "data").exists() and not _leftovers(tmp_path)


@pytest.mark.parametrize("args, message", [
    (["annotation.bogus=3"], "unknown key"),
    (["jpeg_quality=abc"], "jpeg_quality"),
    (["--rig", "no_such_rig"], "no such rig"),
    (["--resolution", "wide"], "resolution"),
    (["--formats", "nuscenes,holograms"], "holograms"),
    (["--renderer", "diffusion"], "weights"),
])
def test_bad_options_exit_2_and_write_nothing(tiny, tmp_path, capsys, args, message):
    assert _generate(tiny, tmp_path / "data", *args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "data").exists() and not _leftovers(tmp_path)


def test_unwritable_output_exits_2(tiny, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert _generate(tiny, blocker / "data") == 2
    assert "cannot create" in capsys.readouterr().err


def test_interrupt_leaves_nothing(tiny, tmp_path, monkeypatch):
    from anyscene.pipeline import sensors

    real = sensors.SensorSuite.lidar
    calls = []

    def interrupted(self, t):
        calls.append(t)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, t)

    monkeypatch.setattr(sensors.SensorSuite, "lidar", interrupted)
    assert _generate(tiny, tmp_path / "data") == 130
    assert not (tmp_path / "data").exists() and not _leftovers(tmp_path)


def test_scenes_written_separately_merge_into_one_dataset(tmp_path):
    from nuscenes.nuscenes import NuScenes

    from anyscene.export import SceneWriter, load_config, merge_datasets, write_scene

    config = load_config(options={"resolution": "64x36", "camera_rate": 4.0, "lidar_rate": 4.0,
                                  "progress": False, "formats": ["nuscenes", "lidarseg", "occ3d", "infos"]})
    layout, _ = parse_layout(TINY, "tiny.yaml")
    dirs = []
    for name in ("tiny_a", "tiny_b"):
        writer = SceneWriter(tmp_path / name, config.version)
        write_scene(World.compile(layout), writer, config, name=name)
        writer.close()
        dirs.append(tmp_path / name)
    single = NuScenes(config.version, str(dirs[0]), verbose=False)  # a scene folder is a dataroot itself
    assert len(single.scene) == 1
    out = merge_datasets(dirs, tmp_path / "merged", "v1.0-merged")
    nusc = NuScenes("v1.0-merged", str(out), verbose=False)
    assert sorted(s["name"] for s in nusc.scene) == ["tiny_a", "tiny_b"]
    assert len(nusc.category) == 32 and len(nusc.sensor) == 12 and len(nusc.lidarseg) == len(nusc.sample)
    splits = json.loads((out / "v1.0-merged" / "splits.json").read_text())
    assert splits == {"anyscene_train": ["tiny_a"], "anyscene_val": ["tiny_b"], "anyscene_all": ["tiny_a", "tiny_b"]}
    train = pickle.loads((out / "anyscene_infos_train.pkl").read_bytes())["data_list"]
    scene_a = nusc.get("scene", [s["token"] for s in nusc.scene if s["name"] == "tiny_a"][0])
    assert {i["token"] for i in train} == {s["token"] for s in nusc.sample if s["scene_token"] == scene_a["token"]}
    occ = json.loads((out / "annotations.json").read_text())
    assert occ["train_split"] == ["tiny_a"] and occ["val_split"] == ["tiny_b"]
    assert set(occ["scene_infos"]) == {"tiny_a", "tiny_b"}
    for rec in nusc.sample_data + nusc.map + nusc.lidarseg:
        assert (out / rec["filename"]).is_file()
    with pytest.raises(Exception, match="unique"):
        merge_datasets([dirs[0], dirs[0]], tmp_path / "twice", "v1.0-merged")
    assert not (tmp_path / "twice").exists()


def test_diffusion_renderer_hook(tiny, tmp_path):
    from PIL import Image

    from anyscene.render.diffusion.build import tiny_random_pipeline

    weights = tmp_path / "weights"
    tiny_random_pipeline(height=32, width=64).save_pretrained(str(weights), safe_serialization=True)
    out = tmp_path / "data"
    assert _generate(tiny, out, "--renderer", "diffusion", "--weights", str(weights), "--formats", "nuscenes",
                     "diffusion.steps=2") == 0
    images = sorted((out / "samples" / "CAM_FRONT").glob("*.jpg")) + sorted((out / "sweeps" / "CAM_FRONT").glob("*.jpg"))
    assert len(images) == 5
    with Image.open(images[0]) as im:
        assert im.size == (64, 36)
    assert _generate(tiny, tmp_path / "x", "--renderer", "diffusion", "--weights", str(tmp_path)) == 2
