"""`anyscene edit` as a user starts it: binds 127.0.0.1, prints a URL with the token, refuses requests
without it, and reports bad arguments as user errors."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from editor_data import EXAMPLE, copy_examples
from testdata import ROOT


def _env():
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


def test_edit_verb_serves_on_localhost_with_a_token(tmp_path):
    import httpx

    folder = copy_examples(tmp_path / "ws")
    proc = subprocess.Popen([sys.executable, "-m", "anyscene.cli.main", "edit", str(folder), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        line = proc.stdout.readline()
        assert line.startswith("open http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[1]
        base, token = url.split("/?token=")
        assert len(token) >= 24
        deadline = time.time() + 60
        while True:
            try:
                r = httpx.get(url, timeout=5)
                break
            except httpx.TransportError:
                assert time.time() < deadline, "the server did not come up"
                time.sleep(0.2)
        assert r.status_code == 200 and "anyscene edit" in r.text
        assert httpx.get(base + "/api/scene", timeout=10).status_code == 403
        scene = httpx.get(base + "/api/scene", headers={"X-AnyScene-Token": token}, timeout=30).json()
        assert scene["path"] == EXAMPLE and scene["errors"] == 0
        bad_host = httpx.get(base + "/api/scene", headers={"X-AnyScene-Token": token, "Host": "evil.example"},
                             timeout=10)
        assert bad_host.status_code == 403
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("args,message", [(["nowhere/at/all.yaml"], "no such file"),
                                          (["--port", "70000"], "--port"),
                                          (["--rig", "no_such_rig"], "no such rig")])
def test_bad_arguments_are_user_errors(tmp_path, args, message):
    run = subprocess.run([sys.executable, "-m", "anyscene.cli.main", "edit", *args], capture_output=True,
                         text=True, env=_env(), cwd=tmp_path, timeout=120)
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr
