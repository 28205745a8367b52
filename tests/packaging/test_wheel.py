"""A wheel of the project works outside the checkout: configs, rigs, styles and assets ship inside it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from testdata import ROOT

# Building the wheel, a venv and a generation from it take about two minutes: out of the default run.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _run(cmd, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory):
    """(python, anyscene script, env, folder) of a fresh venv outside the checkout holding only the wheel; the
    dependencies come from this interpreter's site-packages through a .pth line (not a site folder, so the
    checkout's editable-install hook there is not run)."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    src = tmp / "src"  # a copy of what the package is built from, so the build leaves nothing in the checkout
    for part in ("anyscene", "configs", "assets"):
        shutil.copytree(ROOT / part, src / part, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, src / part)
    built = _run([sys.executable, "-m", "pip", "wheel", src, "--no-deps", "--no-build-isolation", "-q", "-w",
                  tmp / "dist"], tmp, env)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "dist").glob("anyscene-*.whl")
    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", venv], tmp, env)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp, env)
                .stdout.strip())
    (site / "anyscene-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    inst = _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], tmp, env)
    assert inst.returncode == 0, inst.stderr
    return python, venv / "bin" / "anyscene", env, tmp, wheel


def test_the_wheel_ships_configs_and_assets(installed_wheel):
    *_, wheel = installed_wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(ROOT).as_posix() for p in [*ROOT.glob("configs/**/*.yaml"), *ROOT.glob("assets/*")]}
    assert shipped and {f"anyscene/data/{n}" for n in shipped} <= names


def test_the_installed_package_is_the_wheel(installed_wheel):
    python, _, env, tmp, _ = installed_wheel
    where = _run([python, "-c", "import anyscene, anyscene.resources as r; print(anyscene.__file__); "
                  "print(r.known('rig'))"], tmp, env)
    assert where.returncode == 0, where.stderr
    path, rigs = where.stdout.splitlines()
    assert Path(path).is_relative_to(tmp / "venv") and not Path(path).is_relative_to(ROOT)
    assert "nuscenes" in rigs


def test_validate_and_generate_from_the_wheel(installed_wheel):
    _, anyscene, env, tmp, _ = installed_wheel
    layout = ROOT / "layouts" / "urban_street.yaml"
    ok = _run([anyscene, "validate", "--strict", layout], tmp, env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    out = tmp / "out"
    gen = _run([anyscene, "generate", layout, "--out", out, "--duration", "0.5", "--resolution", "160x90",
                "--no-progress"], tmp, env)
    assert gen.returncode == 0, gen.stderr
    scenes = json.loads((out / "v1.0-anyscene" / "scene.json").read_text())
    assert [s["name"] for s in scenes] == ["urban_street"]
    assert len(list((out / "samples" / "CAM_FRONT").glob("*.jpg"))) == 2
