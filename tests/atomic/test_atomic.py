"""Outputs appear whole or not at all: errors, Ctrl-C and SIGTERM leave nothing behind; symlinked outputs."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from anyscene.atomic import Terminated, atomic_file, atomic_folder, sigterm_as_interrupt
from anyscene.errors import OutputError

from testdata import ROOT, SMALL_LAYOUT


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_folder_appears_only_when_complete(tmp_path):
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "a.txt").write_text("a")
        assert not out.exists()
    assert (out / "a.txt").read_text() == "a" and leftovers(tmp_path) == []


def test_an_error_leaves_nothing_and_keeps_the_old_output(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_folder(out, overwrite=True) as tmp:
            (tmp / "new.txt").write_text("new")
            raise RuntimeError("a bug keeps its type")
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"] and leftovers(tmp_path) == []


def test_refuses_an_existing_output_without_overwrite(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    with pytest.raises(OutputError, match="already exists; pass --overwrite"):
        with atomic_folder(tmp_path / "out"):
            pass
    with atomic_folder(tmp_path / "empty", empty_ok=True):
        pass


def test_oserrors_inside_the_output_name_it_and_others_pass_through(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputError, match=r"out/sub/f\.bin: cannot write"):
        with atomic_folder(out) as tmp:
            open(tmp / "sub" / "f.bin", "wb")  # the folder does not exist
    foreign = tmp_path / "elsewhere" / "input.yaml"
    with pytest.raises(FileNotFoundError) as e:
        with atomic_folder(out):
            open(foreign)
    assert e.value.filename == str(foreign) and leftovers(tmp_path) == []


def test_overwrite_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real"
    target.mkdir()
    (target / "old.txt").write_text("old")
    link = tmp_path / "link"
    link.symlink_to(target)
    with atomic_folder(link, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert link.is_symlink() and sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert leftovers(tmp_path) == []


def test_atomic_file_and_sigterm_in_process(tmp_path):
    path = tmp_path / "f.json"
    with pytest.raises(Terminated):
        with atomic_file(path) as tmp:
            tmp.write_text("{}")
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
    assert not path.exists() and leftovers(tmp_path) == []
    with atomic_file(path) as tmp:
        tmp.write_text("{}")
    assert path.read_text() == "{}"
    with sigterm_as_interrupt():
        pass
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def _start_generate(tmp_path: Path, out: Path, *extra: str) -> subprocess.Popen:
    layout = tmp_path / "small.yaml"
    layout.write_text(SMALL_LAYOUT)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "anyscene.cli.main", "generate", str(layout), "--out", str(out),
                             "--duration", "4", "--resolution", "160x90", "--no-progress", *extra],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _terminate_once_writing(proc: subprocess.Popen, parent: Path, name: str) -> tuple[int, str]:
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        partial = [p for p in parent.glob(f".{name}.partial-*")]
        if partial and any(p.is_file() for p in partial[0].rglob("*.jpg")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "generation finished before it could be terminated"
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=120)
    return proc.returncode, err


def test_sigterm_during_generate_leaves_nothing_behind(tmp_path):
    out = tmp_path / "data"
    code, err = _terminate_once_writing(_start_generate(tmp_path, out), tmp_path, "data")
    assert code == 128 + signal.SIGTERM and "terminated" in err and "Traceback" not in err
    assert not out.exists() and leftovers(tmp_path) == []


def test_sigterm_during_overwrite_keeps_the_previous_dataset(tmp_path):
    target = tmp_path / "real"
    target.mkdir()
    (target / "marker.txt").write_text("previous")
    link = tmp_path / "data"
    link.symlink_to(target)
    code, err = _terminate_once_writing(_start_generate(tmp_path, link, "--overwrite"), tmp_path, "real")
    assert code == 128 + signal.SIGTERM and "Traceback" not in err
    assert (target / "marker.txt").read_text() == "previous" and leftovers(tmp_path) == []


def test_generate_overwrite_through_a_symlink(tmp_path):
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "data"
    link.symlink_to(target)
    layout = tmp_path / "small.yaml"
    layout.write_text(SMALL_LAYOUT)
    from anyscene.cli.main import main

    assert main(["generate", str(layout), "--out", str(link), "--overwrite", "--duration", "0.5",
                 "--resolution", "160x90", "--no-progress", "--formats", "nuscenes"]) == 0
    assert link.is_symlink() and json.loads((target / "v1.0-anyscene" / "scene.json").read_text())
    assert leftovers(tmp_path) == []
