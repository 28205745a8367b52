"""Routes the page reads: the session, the scene and its issues, the text, the map, exact states at a time,
the occupancy picture, camera previews and the folder's files."""
from __future__ import annotations

import time

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from .. import payload
from ..camera_preview import MAX_SIZE, MIN_SIZE, jpeg_bytes
from .context import PREVIEW_DEFAULT, BadRequest, EditorState, editor, fast_json, t_value

router = APIRouter(prefix="/api")


@router.get("/session")
def get_session(ed: EditorState = Depends(editor)):
    from ...procgen.config import TEMPLATES

    ws = ed.session.workspace
    return {"folder": ws.is_folder, "root": ws.root.name, "files": ws.layouts(), "templates": list(TEMPLATES),
            "cameras": ed.previews.channels(), "preview_size": list(PREVIEW_DEFAULT), "palette": payload.palette()}


@router.get("/scene")
def get_scene(t: float = 0.0, ed: EditorState = Depends(editor)):
    return ed.scene_response(t_value(t))


@router.get("/issues")
def get_issues(version: int, wait: float = 0.0, t: float = 0.0, ed: EditorState = Depends(editor)):
    """The validation of `version`, waiting up to `wait` s (at most 30) while it runs in the background."""
    with ed.session.lock:
        cur = ed.session.current
    if cur.version == version:
        cur.wait_issues(min(max(wait, 0.0), 30.0))
    return {**ed.issues_json(cur, t_value(t)), "current": cur.version == version}


@router.get("/text")
def get_text(ed: EditorState = Depends(editor)):
    with ed.session.lock:
        return {"text": ed.session.current.text, "version": ed.session.current.version}


@router.get("/map")
def get_map(ed: EditorState = Depends(editor)):
    return fast_json(ed.map_json())


@router.get("/state")
def get_state(t: float = 0.0, ed: EditorState = Depends(editor)):
    start = time.perf_counter()
    t = t_value(t)
    cur = ed.compiled()
    out = payload.state_payload(cur.world, t)
    out["version"] = cur.version
    ms = (time.perf_counter() - start) * 1000
    return JSONResponse(out, headers={"Server-Timing": f"state;dur={ms:.2f}"})


@router.get("/occupancy")
def get_occupancy(t: float = 0.0, ed: EditorState = Depends(editor)):
    t = t_value(t)
    return payload.occupancy_payload(ed.compiled().world, t, ed.session.grid)


@router.get("/preview")
def get_preview(t: float = 0.0, camera: str = "CAM_FRONT", width: int = PREVIEW_DEFAULT[0],
                height: int = PREVIEW_DEFAULT[1], ed: EditorState = Depends(editor)):
    t = t_value(t)
    if not (MIN_SIZE <= width <= MAX_SIZE and MIN_SIZE <= height <= MAX_SIZE):
        raise BadRequest(f"width, height: {MIN_SIZE}..{MAX_SIZE} px")
    cur = ed.compiled()
    start = time.perf_counter()
    try:
        image = ed.previews.render(cur.world, cur.map_version, t, camera, width, height)
    except KeyError:
        raise BadRequest(f"camera '{camera}': not in the rig; cameras: {', '.join(ed.previews.channels())}") \
            from None
    ms = (time.perf_counter() - start) * 1000
    return Response(jpeg_bytes(image), media_type="image/jpeg",
                    headers={"Server-Timing": f"preview;dur={ms:.1f}", "Cache-Control": "no-store"})


@router.get("/files")
def get_files(ed: EditorState = Depends(editor)):
    return {"files": ed.session.workspace.layouts(), "folder": ed.session.workspace.is_folder}
