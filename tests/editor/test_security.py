"""The editor server's guards: session token, Host header, workspace paths, body size limits."""
from __future__ import annotations

import os

import pytest

from editor_data import EXAMPLE, TOKEN, client, copy_examples


@pytest.fixture
def folder(tmp_path):
    copy_examples(tmp_path / "ws")
    (tmp_path / "secret.yaml").write_text("name: secret_outside\n")
    return tmp_path / "ws"


def test_every_request_needs_the_token(folder):
    from fastapi.testclient import TestClient

    c = client(folder)
    bare = TestClient(c.app_guard, raise_server_exceptions=False)
    for path in ("/", "/api/scene", "/api/session", "/static/app.js", "/api/text", "/nonexistent"):
        r = bare.get(path)
        assert r.status_code == 403, path
        assert "token" in r.json()["error"]
    assert bare.post("/api/save", json={}).status_code == 403
    assert bare.get("/api/scene", headers={"X-AnyScene-Token": "wrong"}).status_code == 403
    # the URL's token opens the page and sets a cookie that authenticates the page's own requests
    page = bare.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and "anyscene edit" in page.text
    assert bare.get("/static/app.js").status_code == 200
    assert bare.get("/api/scene").status_code == 200


def test_host_header_must_name_this_machine(folder):
    from fastapi.testclient import TestClient

    from anyscene.editor.server import create_app

    app = create_app(folder, token=TOKEN, hosts={"127.0.0.1", "localhost"})
    ok = TestClient(app, base_url="http://127.0.0.1:8765", headers={"X-AnyScene-Token": TOKEN})
    assert ok.get("/api/scene").status_code == 200
    rebound = TestClient(app, base_url="http://attacker.example:8765", headers={"X-AnyScene-Token": TOKEN})
    assert rebound.get("/api/scene").status_code == 403


@pytest.mark.parametrize("path", ["../secret.yaml", "/etc/passwd", "sub/../../secret.yaml", "..\\secret.yaml",
                                  "%2e%2e/secret.yaml", "~/secret.yaml", ".hidden.yaml", "notes.txt",
                                  "C:/secret.yaml", "a\x00.yaml"])
def test_paths_outside_the_workspace_are_refused(folder, tmp_path, path):
    c = client(folder)
    r = c.post("/api/open", json={"path": path})
    assert r.status_code in (403, 404), r.text
    assert "secret_outside" not in r.text
    before = sorted(p.name for p in tmp_path.iterdir())
    r = c.post("/api/save", json={"path": path})
    assert r.status_code in (403, 404), r.text
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "secret.yaml").read_text() == "name: secret_outside\n"


def test_absolute_path_to_a_real_outside_file(folder, tmp_path):
    c = client(folder)
    outside = str(tmp_path / "secret.yaml")
    for ep in ("/api/open", "/api/save"):
        r = c.post(ep, json={"path": outside})
        assert r.status_code == 403 and "absolute" in r.json()["error"]
    assert (tmp_path / "secret.yaml").read_text() == "name: secret_outside\n"


def test_symlink_leading_out_is_refused(folder, tmp_path):
    os.symlink(tmp_path / "secret.yaml", folder / "link.yaml")
    c = client(folder)
    assert "link.yaml" not in c.get("/api/files").json()["files"]
    r = c.post("/api/open", json={"path": "link.yaml"})
    assert r.status_code == 403 and "outside" in r.json()["error"]


def test_a_file_workspace_reaches_only_that_file(folder):
    (folder / "other.yaml").write_text("name: other\n")
    c = client(folder / EXAMPLE)
    assert c.get("/api/files").json()["files"] == [EXAMPLE]
    assert c.post("/api/open", json={"path": "other.yaml"}).status_code == 403
    assert c.post("/api/save", json={"path": "copy.yaml"}).status_code == 403
    assert not (folder / "copy.yaml").exists()


def test_request_bodies_are_limited(folder):
    from anyscene.editor.server import MAX_BODY

    c = client(folder)
    big = "#" * (MAX_BODY + 10)
    r = c.post("/api/text", json={"text": big})
    assert r.status_code == 413
    # chunked upload without a Content-Length is counted too
    def chunks():
        for _ in range(MAX_BODY // 65536 + 2):
            yield b"x" * 65536
    r = c.post("/api/text", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert c.get("/api/scene").status_code == 200  # still serving


def test_hostile_values_are_user_errors(folder):
    c = client(folder)
    bad = [
        {"ops": [{"op": "rm_rf"}]},
        {"ops": "move"},
        {"ops": []},
        {"ops": [{"op": "move_agent", "id": "nobody", "dx": 1, "dy": 0}]},
        {"ops": [{"op": "move_agent", "id": "ped_1", "dx": "1", "dy": 0}]},
        {"ops": [{"op": "set_waypoint", "id": "ped_1", "index": 99, "xy": [0, 0]}]},
        {"ops": [{"op": "add_agent", "class": "dragon", "waypoints": [{"t": 0, "xy": [0, 0]}]}]},
        {"ops": [{"op": "add_agent", "class": "car", "id": "a b", "waypoints": [{"t": 0, "xy": [0, 0]}]}]},
        {"ops": [{"op": "move_agent", "id": "ped_1", "dx": 1}] * 1000},
    ]
    for body in bad:
        r = c.post("/api/edit", json=body)
        assert r.status_code == 400, (body, r.text)
        assert "error" in r.json()
    r = c.post("/api/edit", content=b'{"ops": [{"op": "move_agent", "id": "ped_1", "dx": NaN, "dy": 0}]}',
               headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    assert c.get("/api/scene").json()["can_undo"] is False  # nothing was applied
    assert c.get("/api/state", params={"t": "nan"}).status_code in (400, 422)
    assert c.get("/api/preview", params={"width": 100000}).status_code == 400
