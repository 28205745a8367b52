"""Shared helpers of the editor tests: a folder with example layouts and an API client."""
from __future__ import annotations

import shutil
from pathlib import Path

from testdata import ROOT

TOKEN = "test-token-0123456789"
EXAMPLE = "t_junction_left_turn.yaml"


def copy_examples(folder: Path, names=(EXAMPLE,)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(ROOT / "layouts" / name, folder / name)
    return folder


def client(target, **kwargs):
    from fastapi.testclient import TestClient

    from anyscene.editor.server import create_app

    app = create_app(target, token=TOKEN, **kwargs)
    c = TestClient(app, headers={"X-AnyScene-Token": TOKEN}, raise_server_exceptions=False)
    c.app_guard = app
    return c


def comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")] + \
        [line.split("#", 1)[1].strip() for line in text.splitlines() if "#" in line and not line.strip().startswith("#")]
