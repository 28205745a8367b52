"""Routes of background `anyscene generate` runs on the edited text: start, progress, preview video."""
from __future__ import annotations

from fastapi import APIRouter, Body, Depends
from fastapi.responses import FileResponse

from ..jobs import JobError
from .context import BadRequest, EditorState, NotFound, editor

router = APIRouter(prefix="/api/generate")


@router.post("")
def post_generate(body: dict = Body(default={}), ed: EditorState = Depends(editor)):
    """`{duration, resolution, rig?}`: starts a run on the current text, which must parse and have no errors."""
    with ed.session.lock:
        cur = ed.session.current
        if cur.parse_failed:
            raise BadRequest("the layout does not parse; fix it first")
        if any(i.severity == "error" for i in cur.wait_issues(60) or ()):
            raise BadRequest("the layout has errors; fix them before generating")
        text, name = cur.text, cur.layout.name
    job = ed.jobs.start(text, name, body.get("duration", 2.0), body.get("resolution", "400x225"), body.get("rig"))
    return job.json()


@router.get("/{job_id}")
def get_generate(job_id: str, ed: EditorState = Depends(editor)):
    try:
        return ed.jobs.get(job_id).json()
    except JobError as e:
        raise NotFound(str(e)) from None


@router.get("/{job_id}/video")
def get_video(job_id: str, ed: EditorState = Depends(editor)):
    try:
        video = ed.jobs.get(job_id).video
    except JobError as e:
        raise NotFound(str(e)) from None
    if video is None:
        raise NotFound("no preview video (yet)")
    return FileResponse(video, media_type="video/mp4")
