"""Shared helpers of the hostile-input tests: a small valid layout to break, files written into a work folder,
and the one assertion every case makes (exit 2, the located message, no traceback, nothing written)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from testdata import ROOT

# A valid 4 s scene: an ego on a straight road, one standing pedestrian.
BASE = """\
name: tiny
duration: 4
map:
  roads:
    - {id: main, centerline: [[-60, 0], [60, 0]], lanes: {forward: 1, backward: 1}}
ego:
  trajectory: {lane: {road: main, lane: 1, s: 20, speed: 5}}
agents:
  - id: ped_1
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [5, 8]}
"""

RIG = """\
cameras:
  - {channel: CAM_FRONT, width: 320, height: 180, fov_deg: 70, translation: [1.5, 0, 1.5], yaw_deg: 0}
lidar: {translation: [0.9, 0, 1.8], rotation: [0.7071, 0, 0, -0.7071], rings: 8, azimuth_steps: 360}
"""

FAST = ["--duration", "1", "--resolution", "160x90", "--no-progress", "--camera-rate", "2", "--lidar-rate", "2"]


class Work:
    """A work folder `root/in` for the inputs and `root/a/b/out` as the output, deep enough that a name with
    '../' stays inside `root`, which the case snapshots before and after."""

    def __init__(self, root: Path):
        self.root = root
        self.inputs = root / "in"
        self.inputs.mkdir()
        self.out = root / "a" / "b" / "out"
        self.out.parent.mkdir(parents=True)

    def write(self, name: str, text: str | bytes) -> Path:
        p = self.inputs / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return p

    def layout(self, text: str | bytes = BASE, name: str = "scene.yaml") -> Path:
        return self.write(name, text)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under `root` (files and folders) with its size and modification time."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size if p.is_file() else 0, st.st_mtime_ns)
    return out


def expect_refused(work: Work, run, message: str, *, located: bool = True) -> str:
    """Run `run()` -> (exit code, printed text); assert the exit code 2, that the text matches the regular
    expression `message` (with FILE standing for the inputs folder), no traceback, and that nothing under
    the work folder changed (nothing written, nothing left behind). Returns the text."""
    before = snapshot(work.root)
    code, text = run()
    after = snapshot(work.root)
    pattern = message.replace("FILE", re.escape(str(work.inputs)) + r"/[^:\s]+")
    assert code == 2, f"exit code {code}, expected 2; output:\n{text[-3000:]}"
    assert "Traceback" not in text, text[-3000:]
    assert re.search(pattern, text), f"no match for {pattern!r} in:\n{text[-3000:]}"
    if located and "FILE" in message:
        assert re.search(re.escape(str(work.inputs)) + r"/[^:\s]+:\d+:\d+: ", text), f"no FILE:LINE:COL in {text}"
    assert after == before, f"files changed: {sorted(set(after) ^ set(before))}"
    assert len(text.splitlines()) <= 110, f"{len(text.splitlines())} lines of messages"
    return text


def in_process(capsys, argv: list[str]):
    """A runner of the CLI in this process: (exit code, stdout + stderr)."""
    from anyscene.cli.main import main

    def run():
        code = main([str(a) for a in argv])
        cap = capsys.readouterr()
        return code, cap.out + cap.err
    return run


def in_subprocess(argv: list[str], timeout: float = 120):
    """A runner of `python -m anyscene.cli.main ARGV` in a fresh interpreter."""
    def run():
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        r = subprocess.run([sys.executable, "-m", "anyscene.cli.main", *map(str, argv)], capture_output=True,
                           text=True, timeout=timeout, env=env, cwd=ROOT)
        return r.returncode, r.stdout + r.stderr
    return run
