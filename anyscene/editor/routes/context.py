"""What every route of the editor shares: the session, the caches, the JSON of the scene, request errors."""
from __future__ import annotations

import hashlib
import json
import math
import threading
from pathlib import Path
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from ...errors import AnySceneError
from .. import payload
from ..checks import issue_json
from ..jobs import JobRunner
from ..camera_preview import PreviewCache
from ..session import Session

PREVIEW_DEFAULT = (400, 225)  # px
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def cookie_name(token: str) -> str:
    """Per-session cookie name, so editors on other ports of the same host keep their own token."""
    return "anyscene_" + hashlib.sha256(token.encode()).hexdigest()[:10]


class BadRequest(AnySceneError):
    status = 400


class NotFound(AnySceneError):
    status = 404


class Unavailable(AnySceneError):
    status = 409


def fast_json(data: dict, headers: dict | None = None):
    """A JSON response encoded by `json.dumps` directly (scene payloads are large and plain)."""
    return Response(json.dumps(data, separators=(",", ":"), allow_nan=False), media_type="application/json",
                    headers=headers)


def t_value(t: float) -> float:
    """A scene time (s) from a request; BadRequest unless finite and within ±1e6 s."""
    if not math.isfinite(t) or abs(t) > 1e6:
        raise BadRequest("t: a time in seconds")
    return float(t)


def body_t(body: dict) -> float:
    """The optional `t` (s) of a JSON body: 0 unless a number."""
    t = body.get("t", 0.0)
    return t_value(float(t)) if isinstance(t, (int, float)) and not isinstance(t, bool) else 0.0


@dataclass
class EditorState:
    """One editor: its session over the opened file or folder, the camera preview renderer, the background
    generate runs, and the caches of the map and agent payloads (the map's keyed by the world's map version)."""

    token: str
    session: Session
    previews: PreviewCache
    jobs: JobRunner
    agent_cache: payload.AgentPayloadCache = field(default_factory=payload.AgentPayloadCache)
    map_cache: dict = field(default_factory=dict)
    cache_lock: threading.Lock = field(default_factory=threading.Lock)

    def issues_json(self, cur, t: float = 0.0) -> dict:
        """The validation of the document version `cur`: its issues placed on the map at time t (s)."""
        found = cur.issues
        issues = []
        for i in found or ():
            j = issue_json(i, cur.layout)
            if cur.world is not None and j["ids"]:
                j["points"] = payload.positions_at(cur.world, j["ids"], j["t"] if j["t"] is not None else t)
            issues.append(j)
        return {"version": cur.version, "validating": found is None, "issues": issues,
                "errors": sum(i.severity == "error" for i in found or ()),
                "warnings": sum(i.severity == "warning" for i in found or ())}

    def scene_json(self, t: float = 0.0) -> dict:
        """Everything the page redraws after a change: version, file, undo state, issues, agents and paths."""
        session = self.session
        with session.lock:
            cur = session.current
            world = cur.world
            out = {
                "version": cur.version, "map_version": cur.map_version if world is not None else None,
                "path": session.path, "file": session.file_label, "dirty": session.dirty,
                "can_undo": bool(session.undo_stack), "can_redo": bool(session.redo_stack),
                "undo_label": session.undo_stack[-1][1] if session.undo_stack else None,
                "parse_failed": cur.parse_failed, **self.issues_json(cur, t),
                "scene": payload.scene_payload(world, self.agent_cache) if world is not None else None,
                "grid": {"x_min": session.grid.x_min, "y_min": session.grid.y_min,
                         "x_max": session.grid.upper[0], "y_max": session.grid.upper[1]},
            }
            if cur.parse_failed or world is None:
                out["text"] = cur.text
            return out

    def scene_response(self, t: float = 0.0, **extra):
        return fast_json({**extra, **self.scene_json(t)})

    def compiled(self):
        """The current document version, which must have a compiled world (Unavailable otherwise)."""
        with self.session.lock:
            cur = self.session.current
        if cur.world is None:
            raise Unavailable("the layout does not compile; fix the issues in the text view")
        return cur

    def map_json(self) -> dict:
        cur = self.compiled()
        key = cur.map_version
        with self.cache_lock:
            if self.map_cache.get("key") != key:
                self.map_cache.clear()
                self.map_cache.update(key=key, data=payload.map_payload(cur.world))
            return {"map_version": key, **self.map_cache["data"]}


def editor(request: Request) -> EditorState:
    """The route dependency: the `EditorState` of the app serving the request."""
    return request.app.state.editor
