"""The editor's web server: a FastAPI app over one `Session`, serving the front-end and a JSON API.

Every request must carry the session token (header `X-AnyScene-Token`, query `token=` or the cookie the
first page load sets) and a Host header naming this machine; request bodies are limited to `MAX_BODY`
bytes. Errors a user can cause come back as JSON `{"error": ...}` with a 4xx status; the server keeps
running whatever a request holds.
"""
from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from pathlib import Path

from ..errors import AnySceneError
from .session import SaveConflict, Session
from .workspace import Workspace

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY = 8 * 1024 * 1024 + 65536  # bytes: a layout text at its size limit plus the JSON around it
PREVIEW_DEFAULT = (400, 225)  # px


def cookie_name(token: str) -> str:
    """Per-session cookie name, so editors on other ports of the same host keep their own token."""
    return "anyscene_" + hashlib.sha256(token.encode()).hexdigest()[:10]


def fast_json(data: dict, headers: dict | None = None):
    """A JSON response encoded by `json.dumps` directly (scene payloads are large and plain)."""
    import json

    from starlette.responses import Response

    return Response(json.dumps(data, separators=(",", ":"), allow_nan=False), media_type="application/json",
                    headers=headers)


class Guard:
    """ASGI middleware: Host check, session token, request body limit (read before the app sees it)."""

    def __init__(self, app, token: str, hosts: set[str] | None, max_body: int = MAX_BODY):
        self.app, self.token, self.hosts, self.max_body = app, token, hosts, max_body
        self.cookie = cookie_name(token)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from starlette.requests import Request
        from starlette.responses import JSONResponse

        req = Request(scope)
        host = (req.headers.get("host") or "").rsplit(":", 1)[0].strip("[]").lower()
        if self.hosts is not None and host not in self.hosts:
            return await JSONResponse({"error": f"host '{host}' is not allowed"}, 403)(scope, receive, send)
        given = req.headers.get("x-anyscene-token") or req.query_params.get("token") or req.cookies.get(self.cookie)
        if not given or not secrets.compare_digest(given.encode(), self.token.encode()):
            return await JSONResponse({"error": "missing or wrong session token: open the URL printed by "
                                                "'anyscene edit'"}, 403)(scope, receive, send)
        length = req.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await JSONResponse({"error": f"request body larger than {self.max_body} bytes"}, 413)(
                scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body:
                return await JSONResponse({"error": f"request body larger than {self.max_body} bytes"}, 413)(
                    scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


def create_app(target, token: str | None = None, hosts: set[str] | None = None, grid=None, rig: str = "nuscenes",
               generate_root: Path | None = None, sync_validation_agents: int | None = None):
    """The FastAPI app editing `target` (a layout file or folder). `hosts`: the Host names accepted (None:
    any, for tests); `token`: the session token (default: a fresh random one, in `app.state.token`)."""
    from fastapi import Body, FastAPI, Query
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
    from fastapi.staticfiles import StaticFiles

    from ..world.grid import GridSpec
    from . import payload
    from .checks import issue_json
    from .jobs import JobError, JobRunner
    from .camera_preview import MAX_SIZE, MIN_SIZE, PreviewCache, jpeg_bytes

    token = token or secrets.token_urlsafe(24)
    from .session import SYNC_VALIDATION_AGENTS

    session = Session(Workspace.open(target), grid or GridSpec(),
                      SYNC_VALIDATION_AGENTS if sync_validation_agents is None else sync_validation_agents)
    previews = PreviewCache(rig)
    jobs = JobRunner(generate_root)
    map_cache: dict = {}
    agent_cache = payload.AgentPayloadCache()
    cache_lock = threading.Lock()

    app = FastAPI(title="anyscene edit", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.token = token
    app.state.session = session
    app.state.jobs = jobs

    @app.exception_handler(AnySceneError)
    async def user_error(request, exc: AnySceneError):
        status = 409 if isinstance(exc, SaveConflict) else getattr(exc, "status", 400)
        body = {"error": str(exc)}
        if hasattr(exc, "issues"):
            body["issues"] = [str(i) for i in exc.issues]
        return JSONResponse(body, status)

    @app.exception_handler(Exception)
    async def bug(request, exc: Exception):
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"}, 500)

    # ------------------------------------------------------------------------------------- payloads

    def issues_json(cur, t: float = 0.0) -> dict:
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

    def scene_json(t: float = 0.0) -> dict:
        with session.lock:
            cur = session.current
            world = cur.world
            out = {
                "version": cur.version, "map_version": cur.map_version if world is not None else None,
                "path": session.path, "file": session.file_label, "dirty": session.dirty,
                "can_undo": bool(session.undo_stack), "can_redo": bool(session.redo_stack),
                "undo_label": session.undo_stack[-1][1] if session.undo_stack else None,
                "parse_failed": cur.parse_failed, **issues_json(cur, t),
                "scene": payload.scene_payload(world, agent_cache) if world is not None else None,
                "grid": {"x_min": session.grid.x_min, "y_min": session.grid.y_min,
                         "x_max": session.grid.upper[0], "y_max": session.grid.upper[1]},
            }
            if cur.parse_failed or world is None:
                out["text"] = cur.text
            return out

    def fast_json_scene(t: float) -> object:
        return fast_json(scene_json(t))

    def world_or_409():
        cur = session.current
        if cur.world is None:
            raise _Unavailable("the layout does not compile; fix the issues in the text view")
        return cur

    def t_value(t: float) -> float:
        if not math.isfinite(t) or abs(t) > 1e6:
            raise _BadRequest("t: a time in seconds")
        return float(t)

    # ---------------------------------------------------------------------------------------- pages

    @app.get("/", response_class=HTMLResponse)
    def index(token: str | None = Query(None)):
        html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        resp = HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                           "Content-Security-Policy": "default-src 'self'; img-src 'self' data: "
                                           "blob:; media-src 'self' blob:; style-src 'self'"})
        resp.set_cookie(cookie_name(app.state.token), app.state.token, httponly=True, samesite="strict")
        return resp

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # ------------------------------------------------------------------------------------ reading

    @app.get("/api/session")
    def get_session():
        from ..procgen.config import TEMPLATES

        ws = session.workspace
        return {"folder": ws.is_folder, "root": ws.root.name, "files": ws.layouts(), "templates": list(TEMPLATES),
                "cameras": previews.channels(), "preview_size": list(PREVIEW_DEFAULT), "palette": payload.palette()}

    @app.get("/api/scene")
    def get_scene(t: float = 0.0):
        return fast_json(scene_json(t_value(t)))

    @app.get("/api/issues")
    def get_issues(version: int, wait: float = 0.0, t: float = 0.0):
        """The validation of `version`, waiting up to `wait` s (at most 30) while it runs in the background."""
        with session.lock:
            cur = session.current
        if cur.version == version:
            cur.wait_issues(min(max(wait, 0.0), 30.0))
        return {**issues_json(cur, t_value(t)), "current": cur.version == version}

    @app.get("/api/text")
    def get_text():
        with session.lock:
            return {"text": session.current.text, "version": session.current.version}

    @app.get("/api/map")
    def get_map():
        with session.lock:
            cur = world_or_409()
            key = cur.map_version
            world = cur.world
        with cache_lock:
            if map_cache.get("key") != key:
                map_cache.clear()
                map_cache.update(key=key, data=payload.map_payload(world))
            data = map_cache["data"]
        return fast_json({"map_version": key, **data})

    @app.get("/api/state")
    def get_state(t: float = 0.0):
        start = time.perf_counter()
        t = t_value(t)
        with session.lock:
            cur = world_or_409()
        out = payload.state_payload(cur.world, t)
        out["version"] = cur.version
        ms = (time.perf_counter() - start) * 1000
        return JSONResponse(out, headers={"Server-Timing": f"state;dur={ms:.2f}"})

    @app.get("/api/occupancy")
    def get_occupancy(t: float = 0.0):
        t = t_value(t)
        with session.lock:
            cur = world_or_409()
        return payload.occupancy_payload(cur.world, t, session.grid)

    @app.get("/api/preview")
    def get_preview(t: float = 0.0, camera: str = "CAM_FRONT", width: int = PREVIEW_DEFAULT[0],
                    height: int = PREVIEW_DEFAULT[1]):
        t = t_value(t)
        if not (MIN_SIZE <= width <= MAX_SIZE and MIN_SIZE <= height <= MAX_SIZE):
            raise _BadRequest(f"width, height: {MIN_SIZE}..{MAX_SIZE} px")
        with session.lock:
            cur = world_or_409()
        start = time.perf_counter()
        try:
            image = previews.render(cur.world, cur.map_version, t, camera, width, height)
        except KeyError:
            raise _BadRequest(f"camera '{camera}': not in the rig; cameras: {', '.join(previews.channels())}") \
                from None
        ms = (time.perf_counter() - start) * 1000
        return Response(jpeg_bytes(image), media_type="image/jpeg",
                        headers={"Server-Timing": f"preview;dur={ms:.1f}", "Cache-Control": "no-store"})

    @app.get("/api/files")
    def get_files():
        return {"files": session.workspace.layouts(), "folder": session.workspace.is_folder}

    # ------------------------------------------------------------------------------------ changing

    @app.post("/api/edit")
    def post_edit(body: dict = Body(...)):
        ops = body.get("ops")
        t = t_value(float(body.get("t", 0.0))) if isinstance(body.get("t", 0.0), (int, float)) else 0.0
        label = str(body.get("label") or (ops[0].get("op") if isinstance(ops, list) and ops and
                                          isinstance(ops[0], dict) else "edit"))[:80]
        created = session.edit(ops, t, label)
        return fast_json({"created": created, **scene_json(t)})

    @app.post("/api/text")
    def post_text(body: dict = Body(...)):
        text = body.get("text")
        if not isinstance(text, str):
            raise _BadRequest("text: the whole layout text")
        session.set_text(text)
        return fast_json(scene_json(0.0))

    @app.post("/api/undo")
    def post_undo(body: dict = Body(default={})):
        session.undo()
        return fast_json_scene(float(body.get("t", 0.0)) if isinstance(body.get("t"), (int, float)) else 0.0)

    @app.post("/api/redo")
    def post_redo(body: dict = Body(default={})):
        session.redo()
        return fast_json_scene(float(body.get("t", 0.0)) if isinstance(body.get("t"), (int, float)) else 0.0)

    @app.post("/api/save")
    def post_save(body: dict = Body(default={})):
        path = body.get("path")
        if path is not None and not isinstance(path, str):
            raise _BadRequest("path: a file name relative to the opened folder")
        saved = session.save(path, force=bool(body.get("force", False)))
        return fast_json({"saved": saved, **scene_json(0.0)})

    @app.post("/api/open")
    def post_open(body: dict = Body(...)):
        path = body.get("path")
        if not isinstance(path, str):
            raise _BadRequest("path: a layout file of the opened folder")
        session.open(path)
        return fast_json(scene_json(0.0))

    @app.post("/api/new")
    def post_new(body: dict = Body(...)):
        from ..procgen.config import TEMPLATES, load_sampler_config
        from ..procgen.sampler import sample_layout

        template = body.get("template")
        if template not in TEMPLATES:
            raise _BadRequest(f"template: one of {', '.join(TEMPLATES)}")
        seed = body.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
            raise _BadRequest("seed: a non-negative integer")
        duration = body.get("duration", 20)
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 2 <= duration <= 120:
            raise _BadRequest("duration: 2 to 120 s")
        cfg = load_sampler_config(None, [f"seed={seed}", f"duration={float(duration)}",
                                         f"name_prefix={template}"])
        text, _stats = sample_layout(cfg, 0, template)
        header = (f"# A {template} scene from the procedural sampler (seed {seed}); edit it and save it under a "
                  "name of your choice.\n")
        session.new_text(header + text)
        return fast_json(scene_json(0.0))

    @app.post("/api/generate")
    def post_generate(body: dict = Body(default={})):
        with session.lock:
            cur = session.current
            if cur.parse_failed:
                raise _BadRequest("the layout does not parse; fix it first")
            if any(i.severity == "error" for i in cur.wait_issues(60) or ()):
                raise _BadRequest("the layout has errors; fix them before generating")
            text, name = cur.text, cur.layout.name
        job = jobs.start(text, name, body.get("duration", 2.0), body.get("resolution", "400x225"), body.get("rig"))
        return job.json()

    @app.get("/api/generate/{job_id}")
    def get_generate(job_id: str):
        try:
            return jobs.get(job_id).json()
        except JobError as e:
            raise _NotFound(str(e)) from None

    @app.get("/api/generate/{job_id}/video")
    def get_video(job_id: str):
        try:
            video = jobs.get(job_id).video
        except JobError as e:
            raise _NotFound(str(e)) from None
        if video is None:
            raise _NotFound("no preview video (yet)")
        return FileResponse(video, media_type="video/mp4")

    guard = Guard(app, token, hosts)
    guard.fastapi, guard.session, guard.jobs, guard.token = app, session, jobs, token
    return guard


class _BadRequest(AnySceneError):
    status = 400


class _NotFound(AnySceneError):
    status = 404


class _Unavailable(AnySceneError):
    status = 409

