"""Outputs appear whole or not at all: errors, Ctrl-C and SIGTERM leave nothing behind; links at, in or\nreplacing the output are refused and never followed."""
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


def _victim(tmp_path: Path) -> tuple[Path, dict]:
    """A folder the user did not name as the output, with a file, and its snapshot."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("the user's file")
    return victim, {p.name: p.read_text() for p in victim.iterdir()}


def test_a_symlinked_output_is_refused_and_its_target_untouched(tmp_path):
    victim, before = _victim(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(victim)
    for kwargs in ({"overwrite": True}, {"overwrite": True, "empty_ok": True}):
        with pytest.raises(OutputError, match=r"link: is a symbolic link \(to .*victim\); outputs are never written"):
            with atomic_folder(link, **kwargs):
                pass
    with pytest.raises(OutputError, match="is a symbolic link"):
        with atomic_file(link, overwrite=True):
            pass
    assert link.is_symlink() and {p.name: p.read_text() for p in victim.iterdir()} == before
    assert leftovers(tmp_path) == []


def test_a_link_planted_as_the_partial_folder_is_removed_not_followed(tmp_path):
    victim, before = _victim(tmp_path)
    (tmp_path / f".out.partial-{os.getpid()}").symlink_to(victim)
    (tmp_path / f".f.partial-{os.getpid()}.json").symlink_to(victim / "keep.txt")
    with atomic_folder(tmp_path / "out") as tmp:
        assert not tmp.is_symlink() and (tmp.stat().st_mode & 0o777) == 0o700
        (tmp / "a.txt").write_text("a")
    with atomic_file(tmp_path / "f.json") as tmp:
        tmp.write_text("{}")
    assert {p.name: p.read_text() for p in victim.iterdir()} == before
    assert (tmp_path / "out" / "a.txt").read_text() == "a" and (tmp_path / "f.json").read_text() == "{}"
    assert leftovers(tmp_path) == []


def test_a_link_appearing_inside_the_partial_output_is_refused(tmp_path):
    victim, before = _victim(tmp_path)
    with pytest.raises(OutputError, match=r"out/sub/evil: a symbolic link appeared in the output"):
        with atomic_folder(tmp_path / "out") as tmp:
            (tmp / "sub").mkdir()
            (tmp / "sub" / "evil").symlink_to(victim)
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []
    assert {p.name: p.read_text() for p in victim.iterdir()} == before


def test_an_output_replaced_by_a_link_during_the_run_is_refused(tmp_path):
    victim, before = _victim(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(OutputError, match=r"out: was replaced by a symbolic link while the output was written"):
        with atomic_folder(out, overwrite=True) as tmp:
            (tmp / "new.txt").write_text("new")
            (out / "old.txt").unlink()
            out.rmdir()
            out.symlink_to(victim)
    assert out.is_symlink() and {p.name: p.read_text() for p in victim.iterdir()} == before
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
    code, err = _terminate_once_writing(_start_generate(tmp_path, target, "--overwrite"), tmp_path, "real")
    assert code == 128 + signal.SIGTERM and "Traceback" not in err
    assert (target / "marker.txt").read_text() == "previous" and leftovers(tmp_path) == []


def test_generate_overwrite_refuses_a_symlinked_out(tmp_path, capsys):
    victim, before = _victim(tmp_path)
    link = tmp_path / "data"
    link.symlink_to(victim)
    layout = tmp_path / "small.yaml"
    layout.write_text(SMALL_LAYOUT)
    from anyscene.cli.main import main

    assert main(["generate", str(layout), "--out", str(link), "--overwrite", "--duration", "0.5",
                 "--resolution", "160x90", "--no-progress", "--formats", "nuscenes"]) == 2
    err = capsys.readouterr().err
    assert "data: is a symbolic link" in err and "Traceback" not in err
    assert link.is_symlink() and {p.name: p.read_text() for p in victim.iterdir()} == before
    assert leftovers(tmp_path) == []


def test_links_the_output_makes_on_purpose_are_kept_even_through_an_inner_output(tmp_path):
    from anyscene.atomic import atomic_folder, make_link

    target = tmp_path / "sensors"
    target.mkdir()
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        with atomic_folder(tmp / "inner") as inner:  # renamed into the outer partial folder before its check
            make_link(target, inner / "maps")
    assert (out / "inner" / "maps").is_symlink() and (out / "inner" / "maps").resolve() == target.resolve()


def test_a_link_not_made_by_the_output_still_stops_it(tmp_path):
    import os

    import pytest

    from anyscene.atomic import atomic_folder
    from anyscene.errors import OutputError

    out = tmp_path / "out"
    with pytest.raises(OutputError, match="symbolic link appeared"):
        with atomic_folder(out) as tmp:
            os.symlink(tmp_path, tmp / "planted")
    assert not out.exists()
