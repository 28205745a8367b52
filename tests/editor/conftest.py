"""Fixtures of the editor's browser tests: the real uvicorn server in a thread, headless Debian chromium."""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from editor_data import TOKEN, copy_examples

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1600,1000"]


def _require_browser():
    pytest.importorskip("selenium", reason="selenium is not installed (pip install selenium)")
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not (Path(exe).is_file() and os.access(exe, os.X_OK)):
            pytest.skip(f"{exe} not found: install the Debian packages chromium and chromium-driver "
                        f"(apt-get install -y chromium chromium-driver; 'make setup' does it as root)")


@pytest.fixture
def server(tmp_path, request):
    """The editor on a free port of 127.0.0.1: (URL with token, workspace folder). A test module's
    SERVER_OPTIONS are passed to create_app."""
    import uvicorn

    from anyscene.editor.server import create_app

    folder = copy_examples(tmp_path / "ws")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(folder, token=TOKEN, hosts={"127.0.0.1", "localhost"}, rig="nuscenes",
                     generate_root=tmp_path / "generated", **getattr(request.module, "SERVER_OPTIONS", {}))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}/?token={TOKEN}", folder
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS + [f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-', dir=tmp_path)}"]:
        opts.add_argument(f)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
