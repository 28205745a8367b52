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
