"""The editor's web server: a FastAPI app over one `Session`, serving the front-end and a JSON API (the
routes live in `routes/`, one router per concern).

Every request must carry the session token (header `X-AnyScene-Token`, query `token=` or the cookie the
first page load sets) and a Host header naming this machine; request bodies are limited to `MAX_BODY`
bytes. Errors a user can cause come back as JSON `{"error": ...}` with a 4xx status; the server keeps
running whatever a request holds.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from ..errors import AnySceneError
from .session import SaveConflict, Session
from .workspace import Workspace
from .routes.context import STATIC_DIR, cookie_name

MAX_BODY = 8 * 1024 * 1024 + 65536  # bytes: a layout text at its size limit plus the JSON around it


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
    """The app editing `target` (a layout file or folder), wrapped in its `Guard`. `hosts`: the Host names
    accepted (None: any, for tests); `token`: the session token (default: a fresh random one, in `.token`)."""
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    from fastapi.staticfiles import StaticFiles

    from ..world.grid import GridSpec
    from .jobs import JobRunner
    from .camera_preview import PreviewCache
    from .routes import changing, generate, pages, reading
    from .routes.context import EditorState
    from .session import SYNC_VALIDATION_AGENTS

    token = token or secrets.token_urlsafe(24)
    session = Session(Workspace.open(target), grid or GridSpec(),
                      SYNC_VALIDATION_AGENTS if sync_validation_agents is None else sync_validation_agents)
    state = EditorState(token=token, session=session, previews=PreviewCache(rig), jobs=JobRunner(generate_root))

    app = FastAPI(title="anyscene edit", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.editor = state

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

    for module in (pages, reading, changing, generate):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    guard = Guard(app, token, hosts)
    guard.fastapi, guard.session, guard.jobs, guard.token = app, session, state.jobs, token
    return guard
