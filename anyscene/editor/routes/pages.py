"""The page: index.html with the session cookie and a strict Content-Security-Policy."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from .context import STATIC_DIR, EditorState, cookie_name, editor

CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'")

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def index(ed: EditorState = Depends(editor)):
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    resp = HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                       "Content-Security-Policy": CSP})
    resp.set_cookie(cookie_name(ed.token), ed.token, httponly=True, samesite="strict")
    return resp
