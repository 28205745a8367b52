"""Shared fixtures: small layouts built in the tests themselves."""
from __future__ import annotations

from pathlib import Path

import pytest

from testdata import ROOT, SMALL_LAYOUT  # noqa: F401 (re-exported for fixtures)


@pytest.fixture
def small_layout_path(tmp_path: Path) -> Path:
    """A valid 6 s four-way crossing with a pedestrian, two cars, a cone and a pole."""
    p = tmp_path / "small_cross.yaml"
    p.write_text(SMALL_LAYOUT)
    return p


@pytest.fixture
def small_world(small_layout_path):
    from anyscene.layout import load_layout
    from anyscene.world import World

    layout, _ = load_layout(small_layout_path)
    return World.compile(layout)


@pytest.fixture(scope="session")
def real_import(tmp_path_factory) -> Path:
    """A folder with scene-0916 of ../shared/nuscenes-real imported once for the session (`anyscene import
    nuscenes`, default options): scene.yaml, its background and rig.yaml. Tests read it and write elsewhere."""
    from anyscene.cli.main import main

    real = ROOT / ".." / "shared" / "nuscenes-real"
    if not (real / "v1.0-real" / "scene.json").exists():
        pytest.skip("the real nuScenes scene (../shared/nuscenes-real) is not available")
    d = tmp_path_factory.mktemp("real_import")
    assert main(["import", "nuscenes", str(real.resolve()), "--version", "v1.0-real", "--scene", "scene-0916",
                 "--out", str(d / "scene.yaml"), "--rig-out", str(d / "rig.yaml")]) == 0
    return d
