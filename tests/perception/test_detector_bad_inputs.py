"""Bad input: a clear message, exit 2, nothing written."""
from __future__ import annotations

import pytest

from anyscene.cli.main import main
from conftest import TINY_TRAIN, VERSION


def _fails(capsys, argv, *words):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and all(w in err for w in words), err


def test_bad_training_inputs(tiny_root, tmp_path, capsys):
    out = tmp_path / "m.pt"
    src = f"{tiny_root}:{VERSION}"
    (tmp_path / "notnus").mkdir()
    _fails(capsys, ["detector", "train", f"{tmp_path / 'notnus'}:v1.0", "--out", str(out), "--steps", "5"],
           "not a nuScenes dataroot")
    _fails(capsys, ["detector", "train", f"{tiny_root}:v9.9", "--out", str(out), "--steps", "5"],
           "v9.9", "does not exist", VERSION)
    _fails(capsys, ["detector", "train", f"{src}:scene-nope", "--out", str(out), "--steps", "5"],
           "scene-nope", "does not exist")
    _fails(capsys, ["detector", "train", f"{src}:near_objects@3-40", "--out", str(out), "--steps", "5"],
           "out of range")
    _fails(capsys, ["detector", "train", src, "--out", str(out), "--steps", "5", "--classes", "barrier"],
           "barrier", "no box in the training data")
    _fails(capsys, ["detector", "train", src, "--out", str(out), "--steps", "5", "--classes", "unicorn"],
           "unknown class")
    for steps in ("0", "-3", "1000001"):
        _fails(capsys, ["detector", "train", src, "--out", str(out), "--steps", steps, *TINY_TRAIN], "--steps")
    assert list(tmp_path.glob("m.pt*")) == [] and not any(p.name.startswith(".m") for p in tmp_path.iterdir())


def test_bad_model_files(tiny_root, tiny_model, tmp_path, capsys):
    out = tmp_path / "eval"
    args = [str(tiny_root), "--version", VERSION, "--out", str(out)]
    other = tmp_path / "other.pt"
    import torch

    torch.save({"weight": torch.zeros(3)}, other)  # a torch file, not ours
    _fails(capsys, ["detector", "eval", str(other), *args], "not an AnyScene detector model")
    data = tiny_model.read_bytes()
    for cut in (10, 60, len(data) - 100):
        short = tmp_path / f"cut{cut}.pt"
        short.write_bytes(data[:cut])
        _fails(capsys, ["detector", "eval", str(short), *args], "truncated")
    _fails(capsys, ["detector", "eval", str(tiny_model), str(tiny_root), "--version", "v0", "--out", str(out)],
           "does not exist")
    _fails(capsys, ["detector", "eval", str(tiny_model), *args, "--scenes", "scene-nope"], "scene-nope")
    _fails(capsys, ["detector", "train", f"{tiny_root}:{VERSION}", "--out", str(tmp_path / "x.pt"), "--steps",
                    "2", "--init", str(other)], "not an AnyScene detector model")
    assert not out.exists() and not any(p.name.startswith(".eval") for p in tmp_path.iterdir())


@pytest.mark.parametrize("spec", ["nocolon", ":v1.0", "root:v1.0:scene@5-2"])
def test_bad_source_syntax(spec, tmp_path, capsys):
    _fails(capsys, ["detector", "train", spec, "--out", str(tmp_path / "m.pt"), "--steps", "1"], "error")
