"""Fixtures of the diffusion renderer tests (helpers live in diffusion_helpers.py)."""
from __future__ import annotations

import pytest
from diffusion_helpers import nuscenes_cameras


@pytest.fixture(scope="session")
def rig6():
    """The six nuScenes cameras at 64×32."""
    return nuscenes_cameras()


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models gain nothing from intra-op threads, and oversubscribed threads on a busy machine slow them
    down many times over."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
