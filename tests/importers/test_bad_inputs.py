"""Broken nuScenes inputs: a clear message naming the file and record, exit 2, nothing written. Each case works
on a copy of the real tables in tmp_path (without sensor files, so without the background reconstruction; its
bad inputs are in test_background.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from anyscene.cli.main import main
from conftest import SCENE, VERSION


def _run(root: Path, out: Path, capsys, scene: str = SCENE) -> tuple[int, str]:
    code = main(["import", "nuscenes", str(root), "--version", VERSION, "--scene", scene,
                 "--out", str(out / "scene.yaml"), "--rig-out", str(out / "rig.yaml"), "--no-background"])
    return code, capsys.readouterr().err


def _nothing_written(out: Path) -> bool:
    return not any(out.iterdir())


@pytest.fixture
def out(tmp_path) -> Path:
    d = tmp_path / "out"
    d.mkdir()
    return d


def test_missing_table(tables_copy, out, capsys):
    (tables_copy / VERSION / "log.json").unlink()
    code, err = _run(tables_copy, out, capsys)
    assert code == 2 and "log.json: missing table 'log'" in err and "Traceback" not in err
    assert _nothing_written(out)


@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_broken_json(tables_copy, out, capsys, damage):
    path = tables_copy / VERSION / "sample_annotation.json"
    text = path.read_text()
    if damage == "truncated":
        path.write_text(text[: len(text) // 2])
    else:
        cut = text.index('"size"', len(text) // 3)
        path.write_text(text[:cut] + '"size" [' + text[cut + 8:])
    code, err = _run(tables_copy, out, capsys)
    assert code == 2 and f"{path}:" in err and "not valid JSON" in err and damage in err
    assert _nothing_written(out)


def test_unknown_scene_lists_the_scenes(tables_copy, out, capsys):
    code, err = _run(tables_copy, out, capsys, scene="scene-0001")
    assert code == 2 and "scene.json: no scene named 'scene-0001'; available: scene-0916" in err
    assert _nothing_written(out)


def test_missing_log_record(tables_copy, out, capsys):
    path = tables_copy / VERSION / "log.json"
    log_token = json.loads(path.read_text())[0]["token"]
    path.write_text("[]")
    code, err = _run(tables_copy, out, capsys)
    assert code == 2 and "log.json: no log record with token" in err and log_token in err
    assert f"scene '{SCENE}'" in err
    assert _nothing_written(out)


def test_dangling_reference_names_the_record(tables_copy, out, capsys):
    path = tables_copy / VERSION / "calibrated_sensor.json"
    records = json.loads(path.read_text())
    gone = records.pop(0)
    path.write_text(json.dumps(records))
    code, err = _run(tables_copy, out, capsys)
    assert code == 2 and f"no calibrated_sensor record with token '{gone['token']}'" in err
    assert "referenced by sample_data '" in err
    assert _nothing_written(out)


def test_not_a_nuscenes_dataroot(tmp_path, out, capsys):
    root = tmp_path / "photos"
    (root / VERSION).mkdir(parents=True)
    (root / VERSION / "notes.txt").write_text("hello")
    code, err = _run(root, out, capsys)
    assert code == 2 and "not a nuScenes version folder" in err
    code, err = _run(tmp_path / "nowhere", out, capsys)
    assert code == 2 and "no such folder" in err
    assert _nothing_written(out)


def test_missing_map_imports_without_a_map(tables_copy, out, capsys):
    """The tables-only copy has no maps/ folder: a warning, and a layout without a drivable area."""
    from anyscene.layout import load_layout

    code, err = _run(tables_copy, out, capsys)
    assert code == 0, err
    assert "warning:" in err and "maps/93406b464a165eaba6d9de76ca09f5da.png: map mask" in err
    layout, _ = load_layout(out / "scene.yaml")
    assert layout.map.areas == () and len(layout.agents) > 0
    assert (out / "rig.yaml").exists()


def test_unknown_category_is_a_warning(tables_copy, out, capsys):
    path = tables_copy / VERSION / "category.json"
    cats = json.loads(path.read_text())
    for c in cats:
        if c["name"] == "vehicle.bus.rigid":
            c["name"] = "vehicle.hovercraft"
    path.write_text(json.dumps(cats))
    code, err = _run(tables_copy, out, capsys)
    assert code == 0, err
    assert "category 'vehicle.hovercraft' has no AnyScene class; its 1 instance(s) are not imported" in err


def test_existing_output_is_kept(tables_copy, out, capsys):
    (out / "scene.yaml").write_text("mine")
    code, err = _run(tables_copy, out, capsys)
    assert code == 2 and "already exists" in err
    assert (out / "scene.yaml").read_text() == "mine" and not (out / "rig.yaml").exists()


def test_import_is_deterministic_and_validates(tables_copy, tmp_path, capsys):
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        out.mkdir()
        code, _ = _run(tables_copy, out, capsys)
        assert code == 0
        outs.append(out)
    assert (outs[0] / "scene.yaml").read_bytes() == (outs[1] / "scene.yaml").read_bytes()
    assert (outs[0] / "rig.yaml").read_bytes() == (outs[1] / "rig.yaml").read_bytes()
    assert main(["validate", str(outs[0] / "scene.yaml")]) == 0
    assert main(["validate", "--strict", str(outs[0] / "scene.yaml")]) == 2  # its warnings fail under --strict
