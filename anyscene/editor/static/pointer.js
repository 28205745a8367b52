// The canvas's mouse and keyboard: picking, selecting, dragging objects, waypoints and the handles of the
// selection, panning, zooming and the drawing modes. Every drag ends in one edit operation.
import { app, agentSpec, draw, round } from "./state.js";
import { edit, select, setMode, finishMode, deleteSelection, undo, redo, togglePlay, pace } from "./actions.js";
import { pointInPolygon, inBox } from "./view.js";
import { HIT_PX, boxHandles, insertedCorner, midpoints, movedCorner, resized, ringOf, ringOp, turned, wrapAngle } from "./handles.js";
import { boxOf } from "./paint.js";

const CLICK_PX = 4;  // a press that moves less than this is a click

const near = (a, wx, wy) => Math.hypot(a[0] - wx, a[1] - wy) * app.view.scale <= HIT_PX;

// The handle of the selection under (wx, wy): {kind: resize|rotate|corner|insert, ...} or null.
export function pickHandle(wx, wy) {
  const sel = app.selection;
  if (!sel || app.mode.kind !== "select") return null;
  const b = boxOf(sel, false);
  if (b) {
    const h = boxHandles(b, app.view.scale);
    if (b.rotate && near(h.knob, wx, wy)) return { kind: "rotate", box: b };
    if (b.resize) for (const c of h.corners) if (near(c.xy, wx, wy)) return { kind: "resize", box: b, su: c.su, sv: c.sv };
  }
  const ring = ringOf(sel, app.map);
  if (ring) {
    for (let i = 0; i < ring.length; i++) if (near(ring[i], wx, wy)) return { kind: "corner", ring, index: i };
    const mids = midpoints(ring);
    for (let i = 0; i < mids.length; i++) if (near(mids[i], wx, wy)) return { kind: "insert", ring, index: i, at: mids[i] };
  }
  return null;
}

function pick(wx, wy) {
  const v = app.view, s = app.scene && app.scene.scene, st = app.state, m = app.map;
  const tol = 6 / v.scale;  // m: a few pixels around small things
  const sel = app.selection;
  if (s && sel && (sel.type === "agent" || sel.type === "ego")) {
    const a = agentSpec(sel.id);
    if (a && a.motion === "waypoints") {
      for (let i = a.waypoints.length - 1; i >= 0; i--) {
        const [x, y] = a.waypoints[i].xy;
        if (Math.hypot(x - wx, y - wy) <= 7 / v.scale) return { type: sel.type, id: sel.id, waypoint: i };
      }
    }
  }
  if (s && st) {
    const specs = new Map(s.agents.map((a) => [a.id, a]));
    for (let k = st.agents.length - 1; k >= 0; k--) {
      const a = st.agents[k];
      const spec = specs.get(a.id);
      if (a.present && spec && inBox(wx, wy, a.x, a.y, a.yaw, spec.size[0], spec.size[1], tol)) return { type: "agent", id: a.id };
    }
    const e = st.ego, off = s.ego.size[0] / 2 - s.ego.rear_overhang;
    if (inBox(wx, wy, e.x + off * Math.cos(e.yaw), e.y + off * Math.sin(e.yaw), e.yaw, s.ego.size[0], s.ego.size[1], tol)) {
      return { type: "ego", id: "ego" };
    }
  }
  if (m) {
    for (const p of m.props) if (inBox(wx, wy, p.xy[0], p.xy[1], p.yaw, p.size[0], p.size[1], tol)) return { type: "prop", id: p.id };
    for (const b of m.buildings) if (pointInPolygon(wx, wy, b.footprint)) return { type: "building", id: b.id };
    for (const cw of m.crosswalks) for (const rings of cw.polygons) if (pointInPolygon(wx, wy, rings[0])) return { type: "crosswalk", id: cw.id };
    for (let i = m.areas.length - 1; i >= 0; i--) if (pointInPolygon(wx, wy, m.areas[i].polygon)) return { type: "area", index: i, id: `area ${i}` };
  }
  return null;
}

function canvasPoint(e) {
  const r = app.view.canvas.getBoundingClientRect();
  return [e.clientX - r.left, e.clientY - r.top];
}

function onDown(e) {
  if (e.button !== 0 && e.button !== 1) return;
  app.view.canvas.focus();
  const [px, py] = canvasPoint(e);
  const [wx, wy] = app.view.toWorld(px, py);
  const md = app.mode;
  if (e.button === 0 && md.kind === "place") {
    if (md.prop) {
      setMode({ kind: "select" });
      edit([{ op: "add_prop", class: md.cls, xy: [round(wx), round(wy)] }], `add ${md.cls}`).then((r) => {
        if (r && r.created.length) select({ type: "prop", id: r.created[0] });
      });
    } else { md.points.push([wx, wy]); draw(); }
    return;
  }
  if (e.button === 0 && md.kind === "polygon") { md.points.push([wx, wy]); draw(); return; }
  if (e.button === 0 && md.kind === "waypoint") {
    const a = agentSpec(md.id);
    if (a && a.motion === "waypoints") {
      const last = a.waypoints[a.waypoints.length - 1];
      const t = Math.round((last.t + Math.max(0.1, Math.hypot(wx - last.xy[0], wy - last.xy[1]) / pace(a.class))) * 100) / 100;
      edit([{ op: "add_waypoint", id: md.id, t, xy: [round(wx), round(wy)] }], "add waypoint");
    }
    return;
  }
  const base = { start: [wx, wy], cur: [wx, wy], px: [px, py], dx: 0, dy: 0, moved: false };
  const handle = e.button === 0 ? pickHandle(wx, wy) : null;
  if (handle) {
    const target = { ...app.selection };
    if (handle.kind === "corner") select({ ...target, waypoint: null, corner: handle.index });
    app.drag = { ...base, ...handle, ring0: handle.ring, ring: null, target };
    return;
  }
  const hit = e.button === 0 ? pick(wx, wy) : null;
  if (hit) {
    select(hit);
    const kind = hit.waypoint !== undefined && hit.waypoint !== null ? "waypoint"
      : (hit.type === "agent" || hit.type === "ego") ? "agent" : hit.type;
    app.drag = { ...base, kind, id: hit.id, index: hit.waypoint ?? hit.index };
  } else {
    if (e.button === 0 && md.kind === "select") select(null);
    app.drag = { kind: "pan", px: [px, py], c0: [app.view.cx, app.view.cy], moved: false };
  }
}

function onMove(e) {
  const d = app.drag;
  if (!d) return;
  const [px, py] = canvasPoint(e);
  if (Math.hypot(px - d.px[0], py - d.px[1]) >= CLICK_PX) d.moved = true;
  if (d.kind === "pan") {
    app.view.cx = d.c0[0] - (px - d.px[0]) / app.view.scale;
    app.view.cy = d.c0[1] + (py - d.px[1]) / app.view.scale;
  } else if (d.moved) {
    d.cur = app.view.toWorld(px, py);
    d.dx = d.cur[0] - d.start[0]; d.dy = d.cur[1] - d.start[1];
    if (d.kind === "resize") d.size = resized(d.box, d.su, d.sv, d.dx, d.dy);
    else if (d.kind === "rotate") d.angle = turned(d.box.pivot, d.start, d.cur);
    else if (d.kind === "corner") d.ring = movedCorner(d.ring0, d.index, shifted(d.ring0[d.index], d));
    else if (d.kind === "insert") d.ring = insertedCorner(d.ring0, d.index, shifted(d.at, d));
  }
  draw();
}

const shifted = (p, d) => [round(p[0] + d.dx), round(p[1] + d.dy)];

// The edit a finished handle drag makes, with its label, or null.
function handleEdit(d) {
  const t = d.target;
  if (d.kind === "resize" && d.moved) {
    const [l, w] = d.size.map(round);
    if (t.type === "prop") return [{ op: "set_prop", id: t.id, size: [l, w, d.box.size[2]] }, `resize ${t.id}`];
    const h = agentSpec(t.id).size[2];
    return [{ op: "set_agent", id: t.id, size: [l, w, h] }, `resize ${t.id}`];
  }
  if (d.kind === "rotate" && d.moved && d.angle) {
    if (t.type === "prop") return [{ op: "set_prop", id: t.id, yaw: round(wrapAngle(d.box.yaw + d.angle)) }, `turn ${t.id}`];
    return [{ op: "rotate_agent", id: t.id, angle: d.angle, about: d.box.pivot.map(round) }, `turn ${t.id}`];
  }
  if (d.kind === "corner" && d.moved) return [ringOp(t, d.ring), "move corner"];
  if (d.kind === "insert") return [ringOp(t, insertedCorner(d.ring0, d.index, shifted(d.at, d))), "insert corner"];
  return null;
}

async function onUp() {
  const d = app.drag;
  if (!d) return;
  if (d.target) {
    const change = handleEdit(d);
    if (!change) { app.drag = null; draw(); return; }
    const resp = await edit([change[0]], change[1]);
    if (resp && d.kind === "insert") select({ ...d.target, waypoint: null, corner: d.index + 1 });
    return;
  }
  if (d.kind === "pan" || !d.moved) { app.drag = null; draw(); return; }
  const dx = round(d.dx), dy = round(d.dy);
  if (d.kind === "agent") await edit([{ op: "move_agent", id: d.id, dx, dy }], `move ${d.id}`);
  else if (d.kind === "waypoint") {
    const w = agentSpec(d.id).waypoints[d.index];
    await edit([{ op: "set_waypoint", id: d.id, index: d.index, xy: [round(w.xy[0] + d.dx), round(w.xy[1] + d.dy)] }], `move waypoint`);
  } else if (d.kind === "prop") await edit([{ op: "set_prop", id: d.id, dx, dy }], `move ${d.id}`);
  else if (d.kind === "building") await edit([{ op: "set_building", id: d.id, dx, dy }], `move ${d.id}`);
  else if (d.kind === "area") await edit([{ op: "set_area", index: d.index, dx, dy }], "move area");
  else if (d.kind === "crosswalk") {
    const cw = app.map.crosswalks.find((c) => c.id === d.id);
    if (cw && cw.explicit) {
      await edit([{ op: "set_crosswalk", id: d.id, polygon: cw.polygon.map(([x, y]) => [round(x + dx), round(y + dy)]) }], "move crosswalk");
    } else if (cw) {
      const road = app.map.roads.find((r) => r.id === cw.road);
      const c = road.centerline, i = Math.max(0, Math.min(c.length - 2, 0));
      const tx = c[i + 1][0] - c[i][0], ty = c[i + 1][1] - c[i][1], n = Math.hypot(tx, ty) || 1;
      await edit([{ op: "set_crosswalk", id: d.id, s: Math.max(0, round(cw.s + (dx * tx + dy * ty) / n)) }], "move crosswalk");
    }
  }
  app.drag = null;
  draw();
}

function onDoubleClick(e) {
  const [px, py] = canvasPoint(e);
  const [wx, wy] = app.view.toWorld(px, py);
  if (app.mode.kind !== "select") { finishMode(); return; }
  const sel = app.selection;
  const a = sel && (sel.type === "agent" || sel.type === "ego") && agentSpec(sel.id);
  if (!a || a.motion !== "waypoints" || a.path.length < 2) return;
  let best = -1, bd = Infinity;
  a.path.forEach(([x, y], i) => { const dd = Math.hypot(x - wx, y - wy); if (dd < bd) { bd = dd; best = i; } });
  if (bd * app.view.scale > 10) return;
  const t = a.path_t[best];
  if (a.waypoints.some((w) => Math.abs(w.t - t) < 0.05)) return;
  edit([{ op: "add_waypoint", id: a.id, t, xy: [round(wx), round(wy)] }], "add waypoint");
}

function onKey(e) {
  const inField = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") { e.preventDefault(); (e.shiftKey ? redo : undo)(); return; }
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "y") { e.preventDefault(); redo(); return; }
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") { e.preventDefault(); document.getElementById("btn-save").click(); return; }
  if (inField) return;
  if (e.key === "Escape") setMode({ kind: "select" });
  else if (e.key === "Enter") finishMode();
  else if (e.key === " ") { e.preventDefault(); togglePlay(); }
  else if (e.key === "Delete" || e.key === "Backspace") deleteSelection();
}

export function attachPointer(canvas) {
  canvas.addEventListener("mousedown", onDown);
  window.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);
  canvas.addEventListener("dblclick", onDoubleClick);
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const [px, py] = canvasPoint(e);
    app.view.zoomAt(px, py, Math.exp(-e.deltaY * 0.0015));
    draw();
  }, { passive: false });
  window.addEventListener("keydown", onKey);
}

// The handles of the selection in world metres (for scripted use: tests): resize corners, rotate knob,
// polygon corners and edge midpoints.
export function selectionHandles() {
  const sel = app.selection;
  const b = boxOf(sel, false), ring = ringOf(sel, app.map);
  const h = b ? boxHandles(b, app.view.scale) : null;
  return {
    box: b, corners: h && b.resize ? h.corners.map((c) => c.xy) : [], knob: h && b.rotate ? h.knob : null,
    ring: ring || [], midpoints: ring ? midpoints(ring) : [],
  };
}
