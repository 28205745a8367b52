"""Routes that change the document: edit operations, the whole text, undo/redo, save, open and new."""
from __future__ import annotations

from fastapi import APIRouter, Body, Depends

from .context import BadRequest, EditorState, body_t, editor

router = APIRouter(prefix="/api")


@router.post("/edit")
def post_edit(body: dict = Body(...), ed: EditorState = Depends(editor)):
    """`{ops: [...], t, label?}`: the operations (`ops.py`) as one undoable edit; the new scene, with the ids
    the operations created."""
    ops = body.get("ops")
    t = body_t(body)
    label = str(body.get("label") or (ops[0].get("op") if isinstance(ops, list) and ops and
                                      isinstance(ops[0], dict) else "edit"))[:80]
    created = ed.session.edit(ops, t, label)
    return ed.scene_response(t, created=created)


@router.post("/text")
def post_text(body: dict = Body(...), ed: EditorState = Depends(editor)):
    text = body.get("text")
    if not isinstance(text, str):
        raise BadRequest("text: the whole layout text")
    ed.session.set_text(text)
    return ed.scene_response(0.0)


@router.post("/undo")
def post_undo(body: dict = Body(default={}), ed: EditorState = Depends(editor)):
    ed.session.undo()
    return ed.scene_response(body_t(body))


@router.post("/redo")
def post_redo(body: dict = Body(default={}), ed: EditorState = Depends(editor)):
    ed.session.redo()
    return ed.scene_response(body_t(body))


@router.post("/save")
def post_save(body: dict = Body(default={}), ed: EditorState = Depends(editor)):
    path = body.get("path")
    if path is not None and not isinstance(path, str):
        raise BadRequest("path: a file name relative to the opened folder")
    saved = ed.session.save(path, force=bool(body.get("force", False)))
    return ed.scene_response(0.0, saved=saved)


@router.post("/open")
def post_open(body: dict = Body(...), ed: EditorState = Depends(editor)):
    path = body.get("path")
    if not isinstance(path, str):
        raise BadRequest("path: a layout file of the opened folder")
    ed.session.open(path)
    return ed.scene_response(0.0)


@router.post("/new")
def post_new(body: dict = Body(...), ed: EditorState = Depends(editor)):
    """`{template, seed, duration}`: a layout drawn by the procedural sampler, not saved yet."""
    from ...procgen.config import TEMPLATES, load_sampler_config
    from ...procgen.sampler import sample_layout

    template = body.get("template")
    if template not in TEMPLATES:
        raise BadRequest(f"template: one of {', '.join(TEMPLATES)}")
    seed = body.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise BadRequest("seed: a non-negative integer")
    duration = body.get("duration", 20)
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 2 <= duration <= 120:
        raise BadRequest("duration: 2 to 120 s")
    cfg = load_sampler_config(None, [f"seed={seed}", f"duration={float(duration)}", f"name_prefix={template}"])
    text, _stats = sample_layout(cfg, 0, template)
    header = (f"# A {template} scene from the procedural sampler (seed {seed}); edit it and save it under a "
              "name of your choice.\n")
    ed.session.new_text(header + text)
    return ed.scene_response(0.0)
