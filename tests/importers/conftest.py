"""The real nuScenes scene (../shared/nuscenes-real, never copied into the repository) and its import."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "nuscenes-real"
VERSION, SCENE = "v1.0-real", "scene-0916"


def need_real() -> Path:
    if not (REAL / VERSION / "scene.json").exists():
        pytest.skip("the real nuScenes scene (../shared/nuscenes-real) is not available")
    return REAL.resolve()


@pytest.fixture(scope="session")
def real_root() -> Path:
    return need_real()


@pytest.fixture(scope="session")
def nusc(real_root):
    from nuscenes import NuScenes

    return NuScenes(VERSION, str(real_root), verbose=False)


@pytest.fixture(scope="session")
def imported(real_root):
    from anyscene.importers.nuscenes import import_nuscenes

    return import_nuscenes(real_root, VERSION, SCENE)


@pytest.fixture(scope="session")
def real_world(imported):
    from anyscene.world import World

    return World.compile(imported.layout)


@pytest.fixture
def tables_copy(real_root, tmp_path) -> Path:
    """A dataroot in tmp_path holding a copy of the real tables only (no map, no sensor files)."""
    root = tmp_path / "nusc"
    shutil.copytree(real_root / VERSION, root / VERSION)
    return root
