"""`anyscene occupancy`: labels.npz per frame, index.json, refusal to overwrite, errors, determinism."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from anyscene.cli.main import main
from anyscene.world import GridSpec
from anyscene.world.labels import FRAME_KEYS, ZIP_DATE, load_index, save_npz

ARGS = ["--duration", "1", "--rate", "2"]


def run_occupancy(layout: Path, out: Path, *extra: str) -> int:
    return main(["occupancy", str(layout), "--out", str(out), *ARGS, *extra])


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writes_labels_and_index(small_layout_path, small_world, tmp_path, capsys):
    out = tmp_path / "occ"
    assert run_occupancy(small_layout_path, out) == 0
    assert sorted(p.name for p in out.iterdir()) == ["000000", "000001", "000002", "index.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial folder left behind
    index = load_index(out)
    assert index["scene"] == "small_cross"
    assert index["rate"] == 2.0
    assert index["grid"] == {"x_min": -40.0, "y_min": -40.0, "z_min": -1.0, "voxel": 0.4, "nx": 200, "ny": 200,
                             "nz": 16}
    assert index["keys"] == ["semantics", "instances", "flow"]
    assert [f["index"] for f in index["frames"]] == [0, 1, 2]
    assert [f["t"] for f in index["frames"]] == [0.0, 0.5, 1.0]
    for record in index["frames"]:
        t = record["t"]
        pose = small_world.ego_pose(t)
        np.testing.assert_allclose(record["ego_pose"]["translation"], pose.translation, atol=1e-12)
        np.testing.assert_allclose(record["ego_pose"]["rotation"], pose.quaternion, atol=1e-12)
        with np.load(out / record["path"]) as labels:
            assert labels.files == list(FRAME_KEYS) == ["semantics", "instances", "flow"]  # Occ3D key first
            sem, inst, flow = labels["semantics"], labels["instances"], labels["flow"]
        assert (sem.dtype, sem.shape) == (np.uint8, (200, 200, 16))
        assert (inst.dtype, inst.shape) == (np.uint16, (200, 200, 16))
        assert (flow.dtype, flow.shape) == (np.float32, (200, 200, 16, 2))
        expected = small_world.frame(t)
        np.testing.assert_array_equal(sem, expected.semantics)
        np.testing.assert_array_equal(inst, expected.instances)
        np.testing.assert_array_equal(flow, expected.flow)
        assert inst.max() > 0 and np.abs(flow).max() > 0  # agents are in the grid, and they move
    assert "wrote 3 frames" in capsys.readouterr().err


def test_refuses_existing_folder_and_overwrites_on_request(small_layout_path, tmp_path, capsys):
    out = tmp_path / "occ"
    assert run_occupancy(small_layout_path, out) == 0
    before = tree_bytes(out)
    capsys.readouterr()
    assert run_occupancy(small_layout_path, out, "--rate", "1") == 2
    assert "--overwrite" in capsys.readouterr().err
    assert tree_bytes(out) == before  # untouched
    assert run_occupancy(small_layout_path, out, "--rate", "1", "--overwrite") == 0
    assert sorted(p.name for p in out.iterdir()) == ["000000", "000001", "index.json"]  # no stale frame 2
    assert json.loads((out / "index.json").read_text())["rate"] == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occ", "small_cross.yaml"]


def test_invalid_layout_exits_2_and_writes_nothing(small_layout_path, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    # car_2 starts on top of the ego: a collision the validator reports as an error.
    bad.write_text(small_layout_path.read_text().replace("{road: ew, lane: -1, s: 90, speed: 8}",
                                                         "{road: ew, lane: 1, s: 101, speed: 5}"))
    out = tmp_path / "occ"
    assert run_occupancy(bad, out) == 2
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "error" in err and "car_2" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "small_cross.yaml"]


def test_output_is_deterministic(small_layout_path, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_occupancy(small_layout_path, a) == 0
    assert run_occupancy(small_layout_path, b) == 0
    assert tree_bytes(a) == tree_bytes(b)
    with zipfile.ZipFile(a / "000001" / "labels.npz") as zf:
        assert {i.date_time for i in zf.infolist()} == {ZIP_DATE}


def test_custom_grid_file(small_layout_path, tmp_path):
    grid_file = tmp_path / "small_grid.yaml"
    grid_file.write_text("x_min: -20.0\ny_min: -10.0\nz_min: -0.2\nvoxel: 0.5\nnx: 80\nny: 40\nnz: 12\n")
    out = tmp_path / "occ"
    assert main(["occupancy", str(small_layout_path), "--out", str(out), "--duration", "0.5", "--rate", "2",
                 "--grid", str(grid_file)]) == 0
    index = json.loads((out / "index.json").read_text())
    assert index["shape"] == [80, 40, 12]
    assert GridSpec(**index["grid"]) == GridSpec(-20.0, -10.0, -0.2, 0.5, 80, 40, 12)
    with np.load(out / "000000" / "labels.npz") as labels:
        assert labels["semantics"].shape == (80, 40, 12)
        assert labels["flow"].shape == (80, 40, 12, 2)


@pytest.mark.parametrize("extra, message", [(["--rate", "0"], "--rate"), (["--duration", "99"], "--duration"),
                                            (["--grid", "no_such_grid"], "no such grid")])
def test_bad_options_exit_2(small_layout_path, tmp_path, capsys, extra, message):
    out = tmp_path / "occ"
    assert main(["occupancy", str(small_layout_path), "--out", str(out), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_save_npz_matches_numpy_reader(tmp_path):
    arrays = {"semantics": np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
              "flow": np.linspace(0, 1, 12, dtype=np.float32).reshape(2, 3, 2)}
    save_npz(tmp_path / "x.npz", arrays)
    save_npz(tmp_path / "y.npz", arrays)
    assert (tmp_path / "x.npz").read_bytes() == (tmp_path / "y.npz").read_bytes()
    with np.load(tmp_path / "x.npz") as z:
        assert z.files == ["semantics", "flow"]
        for k, v in arrays.items():
            assert z[k].dtype == v.dtype
            np.testing.assert_array_equal(z[k], v)


def test_user_error_in_a_subprocess_has_no_traceback(small_layout_path, tmp_path):
    out = tmp_path / "occ"
    out.mkdir()
    proc = subprocess.run([sys.executable, "-m", "anyscene.cli.main", "occupancy", str(small_layout_path),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "already exists" in proc.stderr
