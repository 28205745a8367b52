// What the page does to the document and the view: server calls (edits, undo, redo, states, occupancy), the
// current time, the selection and the drawing modes. Other modules learn of the results through the events of
// state.js.
import * as api from "./api.js";
import { app, $, agentSpec, call, draw, emit, round, setStatus } from "./state.js";
import { deletedCorner, ringOf, ringOp } from "./handles.js";

const DEFAULT_SPEED = { pedestrian: 1.4, cycle: 4.0, vehicle: 8.0, object: 1.0 };  // m/s of placed paths

// ---------------------------------------------------------------------------------------- server calls

export async function applyScene(resp) {
  app.scene = resp;
  if (resp.scene) {
    $("time-slider").max = String(resp.scene.duration);
    if (app.t > resp.scene.duration) app.t = resp.scene.duration;
  }
  if (resp.map_version !== null && resp.map_version !== app.mapVersion) {
    app.map = await api.get("/api/map");
    const first = app.mapVersion === null;
    app.mapVersion = resp.map_version;
    if (first) emit("fit");
  }
  validateSelection();
  emit("scene", resp);
  if (resp.validating) pollIssues(resp.version);
  app.state = null;
  await requestState();
  if (app.showOcc) await loadOcc();
  draw();
}

// Large scenes are validated in the background: the issues arrive when the validator is done.
async function pollIssues(version) {
  while (app.scene && app.scene.version === version && app.scene.validating) {
    let r;
    try { r = await api.get("/api/issues", { version, wait: 20, t: app.t.toFixed(3) }); } catch (e) { setStatus(e.message, true); return; }
    if (!r.current || !app.scene || app.scene.version !== version) return;
    if (!r.validating) {
      Object.assign(app.scene, { issues: r.issues, errors: r.errors, warnings: r.warnings, validating: false });
      emit("issues");
      draw();
    }
  }
}

let editQueue = Promise.resolve();
// Edits run one after another, in the order they were made; each is one undoable step on the server.
export function edit(ops, label) {
  const run = editQueue.then(() => runEdit(ops, label), () => runEdit(ops, label));
  editQueue = run.catch(() => null);
  return run.catch(() => null);
}

async function runEdit(ops, label) {
  app.busy = true;
  try {
    const started = performance.now();
    const resp = await call(() => api.post("/api/edit", { ops, t: app.t, label }));
    app.timings.edit = performance.now() - started;
    await applyScene(resp);
    setStatus(`${label || ops[0].op}: ` + (resp.validating ? "validating…" : `${resp.errors} errors, ${resp.warnings} warnings`) +
      ` (${app.timings.edit.toFixed(0)} ms)`);
    return resp;
  } finally {
    app.busy = false;
    app.drag = null;
    draw();
  }
}

let stateInFlight = false, statePending = false;
export async function requestState() {
  if (!app.scene || !app.scene.scene) return;
  if (stateInFlight) { statePending = true; return; }
  stateInFlight = true;
  try {
    const t = app.t;
    const started = performance.now();
    const st = await api.get("/api/state", { t: t.toFixed(3) });
    app.timings.state = performance.now() - started;
    if (app.scene && st.version === app.scene.version) app.state = st;
  } catch (e) {
    setStatus(e.message, true);
  } finally {
    stateInFlight = false;
  }
  if (statePending) { statePending = false; await requestState(); }
  draw();
}

export async function loadOcc() {
  try {
    const occ = await api.get("/api/occupancy", { t: app.t.toFixed(3) });
    const img = new Image();
    img.src = "data:image/png;base64," + occ.png;
    await img.decode();
    occ.image = img;
    app.occ = occ;
  } catch (e) { setStatus(e.message, true); }
  draw();
}

async function step(path, done) {
  if (app.busy) return;
  app.busy = true;  // until the page shows the restored version (map included)
  try {
    const resp = await call(() => api.post(path, { t: app.t }));
    await applyScene(resp);
    setStatus(done);
  } finally {
    app.busy = false;
    draw();
  }
}

export const undo = () => step("/api/undo", "undone");
export const redo = () => step("/api/redo", "redone");

// ---------------------------------------------------------------------------------------------- time

export function setTime(t, fromSlider = false) {
  const d = app.scene && app.scene.scene ? app.scene.scene.duration : 0;
  app.t = Math.max(0, Math.min(d, t));
  if (!fromSlider) $("time-slider").value = String(app.t);
  $("time-label").textContent = `t = ${app.t.toFixed(2)} s`;
  requestState();
  if (app.showOcc) loadOcc();
  emit("time");
}

let lastFrame = null;
export function togglePlay() {
  app.playing = !app.playing;
  $("btn-play").textContent = app.playing ? "❚❚" : "▶";
  lastFrame = null;
  if (app.playing) requestAnimationFrame(tick); else emit("time");
}

function tick(now) {
  if (!app.playing) return;
  if (lastFrame !== null) {
    const d = app.scene.scene.duration;
    let t = app.t + (now - lastFrame) / 1000;
    if (t > d) t = 0;
    setTime(t);
  }
  lastFrame = now;
  requestAnimationFrame(tick);
}

// ------------------------------------------------------------------------------------------ selection

function validateSelection() {
  const sel = app.selection;
  if (!sel || !app.scene || !app.scene.scene) { if (!app.scene || !app.scene.scene) app.selection = null; return; }
  const m = app.map;
  const exists = sel.type === "agent" ? !!agentSpec(sel.id)
    : sel.type === "ego" ? true
    : sel.type === "prop" ? m.props.some((p) => p.id === sel.id)
    : sel.type === "building" ? m.buildings.some((b) => b.id === sel.id)
    : sel.type === "crosswalk" ? m.crosswalks.some((c) => c.id === sel.id)
    : sel.type === "area" ? sel.index < m.areas.length : false;
  if (!exists) { app.selection = null; return; }
  if (sel.waypoint !== undefined && sel.waypoint !== null) {
    const a = agentSpec(sel.id);
    if (!a || a.motion !== "waypoints" || sel.waypoint >= a.waypoints.length) sel.waypoint = null;
  }
  if (sel.corner !== undefined && sel.corner !== null) {
    const ring = ringOf(sel, m);
    if (!ring || sel.corner >= ring.length) sel.corner = null;
  }
}

export function select(selection) {
  app.selection = selection;
  emit("selection");
  draw();
}

export async function deleteSelection() {
  const sel = app.selection;
  if (!sel) return;
  if (sel.corner !== undefined && sel.corner !== null) { await deleteCorner(); return; }
  if (sel.waypoint !== undefined && sel.waypoint !== null) await edit([{ op: "delete_waypoint", id: sel.id, index: sel.waypoint }], "delete waypoint");
  else if (sel.type === "agent") await edit([{ op: "delete_agent", id: sel.id }], `delete ${sel.id}`);
  else if (sel.type === "prop") await edit([{ op: "delete_prop", id: sel.id }], `delete ${sel.id}`);
  else if (sel.type === "building") await edit([{ op: "delete_building", id: sel.id }], `delete ${sel.id}`);
  else if (sel.type === "area") await edit([{ op: "delete_area", index: sel.index }], "delete area");
  else if (sel.type === "crosswalk") await edit([{ op: "delete_crosswalk", id: sel.id }], `delete ${sel.id}`);
  else return;
  select(null);
}

// Remove the selected corner of a building, area or polygon crosswalk (a polygon keeps at least three).
export async function deleteCorner() {
  const sel = app.selection;
  const ring = ringOf(sel, app.map);
  if (!ring || sel.corner === null || sel.corner === undefined) return;
  if (ring.length <= 3) { setStatus("a polygon needs at least three corners", true); return; }
  const resp = await edit([ringOp(sel, deletedCorner(ring, sel.corner))], "delete corner");
  if (resp) select({ ...sel, corner: null });
}

// ---------------------------------------------------------------------------------------------- view

export function centerOn(x, y, minScale = 0) {
  app.view.cx = x; app.view.cy = y;
  if (app.view.scale < minScale) app.view.scale = minScale;
  draw();
}

export function fitView() {
  const m = app.map;
  if (!m) return;
  const s = app.scene.scene;
  const pts = [];
  for (const a of [...s.agents, s.ego]) pts.push(...a.path);
  for (const r of m.roads) pts.push(...r.centerline);
  for (const b of m.buildings) pts.push(...b.footprint);
  if (!pts.length) { app.view.fit(...m.extent); draw(); return; }
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const [e0, e1, e2, e3] = m.extent;
  app.view.fit(Math.max(e0, Math.min(...xs) - 10), Math.max(e1, Math.min(...ys) - 10),
    Math.min(e2, Math.max(...xs) + 10), Math.min(e3, Math.max(...ys) + 10));
  draw();
}

// ---------------------------------------------------------------------------------------------- modes

export function setMode(mode) {
  app.mode = mode;
  const hint = $("mode-hint");
  hint.replaceChildren();
  document.querySelectorAll("#palette button, #btn-area, #btn-building, #btn-crosswalk").forEach((b) => b.classList.remove("active"));
  if (mode.button) mode.button.classList.add("active");
  if (mode.kind !== "select") {
    const text = mode.kind === "place"
      ? (mode.prop ? `Click to place a ${mode.cls}.` : `Click the ${mode.cls}'s start, then its waypoints; Enter or Finish ends, Esc cancels.`)
      : mode.kind === "waypoint" ? `Click where '${mode.id}' goes next; Esc ends.`
      : `Click the corners of the ${mode.what}; Enter or Finish ends, Esc cancels.`;
    hint.append(text + " ");
    if (!mode.prop && mode.kind !== "waypoint") {
      const b = document.createElement("button");
      b.id = "btn-finish"; b.textContent = "Finish"; b.onclick = () => finishMode();
      const x = document.createElement("button");
      x.id = "btn-cancel"; x.textContent = "Cancel"; x.onclick = () => setMode({ kind: "select" });
      hint.append(b, " ", x);
    }
  }
  draw();
}

function placedTimes(points, t0, speed) {
  const out = [];
  let t = t0;
  points.forEach((p, i) => {
    if (i > 0) t += Math.max(0.1, Math.hypot(p[0] - points[i - 1][0], p[1] - points[i - 1][1]) / speed);
    out.push(Math.round(t * 100) / 100);
  });
  return out;
}

export function pace(cls) {
  const info = app.scene.scene.classes[cls];
  return DEFAULT_SPEED[info ? info.kind : "vehicle"] || 1.4;
}

export async function finishMode() {
  const md = app.mode;
  if (md.kind === "place" && md.points.length) {
    const times = placedTimes(md.points, app.t, pace(md.cls));
    const waypoints = md.points.map((p, i) => ({ t: times[i], xy: [round(p[0]), round(p[1])] }));
    setMode({ kind: "select" });
    const resp = await edit([{ op: "add_agent", class: md.cls, waypoints }], `add ${md.cls}`);
    if (resp && resp.created.length) select({ type: "agent", id: resp.created[0] });
  } else if (md.kind === "polygon" && md.points.length >= 3) {
    const pts = md.points.map(([x, y]) => [round(x), round(y)]);
    setMode({ kind: "select" });
    if (md.what === "area") await edit([{ op: "add_area", class: $("area-class").value, polygon: pts }], "add area");
    else if (md.what === "building") await edit([{ op: "add_building", footprint: pts, height: 10 }], "add building");
    else await edit([{ op: "add_crosswalk", polygon: pts }], "add crosswalk");
  } else {
    setMode({ kind: "select" });
  }
}
