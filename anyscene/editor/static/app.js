// anyscene edit: the page's state, the canvas interactions and the panels.
import * as api from "./api.js";
import { View, rgb, pointInPolygon, inBox } from "./view.js";
import { renderInspector } from "./inspector.js";
import { setupPanels, refreshPreview, showIssues, showTextView, updateToolbar } from "./panels.js";

const DEFAULT_SPEED = { pedestrian: 1.4, cycle: 4.0, vehicle: 8.0, object: 1.0 };  // m/s of placed paths
const CLICK_PX = 4;  // a press that moves less than this is a click

export const app = {
  session: null, scene: null, map: null, state: null, occ: null,
  t: 0, playing: false, showOcc: false,
  selection: null,   // {type: agent|ego|prop|building|area|crosswalk, id, index, waypoint}
  mode: { kind: "select" },
  drag: null, view: null, busy: false, lastError: null, mapVersion: null,
  timings: {},
};
window.anyscene = app;  // for the end-to-end test and for curious users (read-only use)

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------- server calls

export function setStatus(text, isError = false) {
  const el = $("status");
  el.textContent = text;
  el.style.color = isError ? "#f77" : "#9a9";
  app.lastError = isError ? text : null;
}

export async function call(fn) {
  try {
    return await fn();
  } catch (e) {
    setStatus(e.message || String(e), true);
    throw e;
  }
}

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
    if (first) fitView();
  }
  validateSelection();
  updateToolbar(app);
  showIssues(app);
  renderInspector(app);
  if (resp.parse_failed || !resp.scene) showTextView(app, resp.text, resp.issues);
  if (resp.validating) pollIssues(resp.version);
  app.state = null;
  await requestState();
  refreshPreview(app);
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
      showIssues(app);
      draw();
    }
  }
}

let editQueue = Promise.resolve();
// Edits run one after another, in the order they were made.
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

async function loadOcc() {
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

export function setTime(t, fromSlider = false) {
  const d = app.scene && app.scene.scene ? app.scene.scene.duration : 0;
  app.t = Math.max(0, Math.min(d, t));
  if (!fromSlider) $("time-slider").value = String(app.t);
  $("time-label").textContent = `t = ${app.t.toFixed(2)} s`;
  requestState();
  if (app.showOcc) loadOcc();
  if (!app.playing) refreshPreview(app);
}

// ---------------------------------------------------------------------------------------------- drawing

let drawQueued = false;
export function draw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => { drawQueued = false; paint(); });
}

function classColor(cls) {
  const pal = app.session ? app.session.palette.occ3d : null;
  const info = app.scene && app.scene.scene ? app.scene.scene.classes[cls] : null;
  const occ = info ? info.occ3d : (app.scene && app.scene.scene && app.scene.scene.static_props[cls]
    ? app.scene.scene.static_props[cls].occ3d : "others");
  return pal && pal[occ] ? pal[occ] : [200, 200, 200];
}

function occColor(name, alpha = 1) {
  const pal = app.session ? app.session.palette.occ3d : null;
  return rgb(pal && pal[name] ? pal[name] : [128, 128, 128], alpha);
}

function paint() {
  const v = app.view;
  const c = v.begin();
  const m = app.map;
  if (!m) return;
  if (app.showOcc && app.occ) {
    c.globalAlpha = 0.3;  // the vector map faintly, the occupancy grid around the ego in its place
    paintMap(v, m);
    c.globalAlpha = 1;
    paintOcc(v);
  } else paintMap(v, m);
  paintGridRange(v);
  paintPaths(v);
  paintAgents(v);
  paintIssues(v);
  paintMode(v);
  c.setTransform(v.dpr, 0, 0, v.dpr, 0, 0);
}

function paintMap(v, m) {
  const [x0, y0, x1, y1] = m.extent;
  v.fillPolygons([[[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]]], occColor(m.ground, 0.55));
  for (const a of m.areas) if (!a.height) v.fillPolygons([[a.polygon]], occColor(a.occ3d, 0.6));
  v.fillPolygons(m.sidewalks, occColor("sidewalk", 0.8));
  v.fillPolygons(m.drivable, "rgb(72,72,80)");
  for (const a of m.areas) if (!a.height && a.occ3d === "driveable_surface") v.fillPolygons([[a.polygon]], "rgb(80,80,92)");
  for (const cw of m.crosswalks) v.fillPolygons(cw.polygons, "rgba(255,255,255,0.18)");
  for (const mk of m.markings) v.fillPolygons(mk.polygons, mk.color === "yellow" ? "rgb(230,190,60)" : "rgb(235,235,235)");
  for (const a of m.areas) if (a.height) v.fillPolygons([[a.polygon]], occColor(a.occ3d, 0.85));
  const sel = app.selection;
  for (const b of m.buildings) {
    v.fillPolygons([[b.footprint]], occColor("manmade", 0.9));
    v.trace(b.footprint, true);
    v.ctx.strokeStyle = sel && sel.type === "building" && sel.id === b.id ? "#7cf" : "#333";
    v.ctx.lineWidth = sel && sel.type === "building" && sel.id === b.id ? 2.5 : 1;
    v.ctx.stroke();
    const cx = b.footprint.reduce((s, p) => s + p[0], 0) / b.footprint.length;
    const cy = b.footprint.reduce((s, p) => s + p[1], 0) / b.footprint.length;
    if (v.scale > 1.2) v.label(cx, cy, `${b.id} ${b.height} m`, "#ddd", 0);
  }
  if (sel && sel.type === "area" && m.areas[sel.index]) {
    v.trace(m.areas[sel.index].polygon, true); v.ctx.strokeStyle = "#7cf"; v.ctx.lineWidth = 2.5; v.ctx.stroke();
  }
  if (sel && sel.type === "crosswalk") {
    const cw = m.crosswalks.find((c) => c.id === sel.id);
    if (cw) for (const rings of cw.polygons) { v.trace(rings[0], true); v.ctx.strokeStyle = "#7cf"; v.ctx.lineWidth = 2.5; v.ctx.stroke(); }
  }
  for (const p of m.props) {
    let [x, y] = p.xy;
    if (app.drag && app.drag.kind === "prop" && app.drag.id === p.id) { x += app.drag.dx; y += app.drag.dy; }
    const chosen = sel && sel.type === "prop" && sel.id === p.id;
    v.box(x, y, p.yaw, Math.max(p.size[0], 0.3), Math.max(p.size[1], 0.3), rgb(classColor(p.class)),
      chosen ? "#7cf" : "#111", chosen ? 2.5 : 1);
    if (v.scale > 6 || chosen) v.label(x, y, p.id, "#ccc");
  }
}

function paintOcc(v) {
  const o = app.occ, c = v.ctx;
  const [ex, ey] = v.toScreen(o.ego.x, o.ego.y);
  c.save();
  c.translate(ex, ey);
  c.rotate(-o.ego.yaw);
  c.imageSmoothingEnabled = false;
  const g = o.grid;
  c.drawImage(o.image, g.x_min * v.scale, -g.y_max * v.scale, (g.x_max - g.x_min) * v.scale, (g.y_max - g.y_min) * v.scale);
  c.restore();
}

function paintGridRange(v) {
  const st = app.state, g = app.scene && app.scene.grid;
  if (!st || !g) return;
  const e = st.ego, cs = Math.cos(e.yaw), sn = Math.sin(e.yaw);
  const pts = [[g.x_min, g.y_min], [g.x_max, g.y_min], [g.x_max, g.y_max], [g.x_min, g.y_max]]
    .map(([u, w]) => [e.x + cs * u - sn * w, e.y + sn * u + cs * w]);
  v.trace(pts, true);
  v.ctx.setLineDash([6, 4]); v.ctx.strokeStyle = "rgba(120,200,255,0.8)"; v.ctx.lineWidth = 1.2; v.ctx.stroke();
  v.ctx.setLineDash([]);
}

function agentSpec(id) {
  const s = app.scene && app.scene.scene;
  if (!s) return null;
  return id === "ego" ? s.ego : s.agents.find((a) => a.id === id);
}

function paintPaths(v) {
  const s = app.scene && app.scene.scene;
  if (!s) return;
  const sel = app.selection;
  for (const a of [...s.agents, s.ego]) {
    const chosen = sel && (sel.type === "agent" || sel.type === "ego") && sel.id === a.id;
    const off = app.drag && app.drag.kind === "agent" && app.drag.id === a.id ? [app.drag.dx, app.drag.dy] : [0, 0];
    if (a.path.length > 1) {
      v.trace(a.path.map(([x, y]) => [x + off[0], y + off[1]]));
      v.ctx.strokeStyle = chosen ? "rgba(140,210,255,0.95)" : (a.id === "ego" ? "rgba(255,120,60,0.5)" : "rgba(255,255,255,0.28)");
      v.ctx.lineWidth = chosen ? 2 : 1;
      v.ctx.stroke();
    }
    if (a.motion === "waypoints") {
      a.waypoints.forEach((w, i) => {
        let [x, y] = w.xy;
        x += off[0]; y += off[1];
        if (app.drag && app.drag.kind === "waypoint" && app.drag.id === a.id && app.drag.index === i) {
          x += app.drag.dx; y += app.drag.dy;
        }
        if (chosen) {
          const hit = sel.waypoint === i;
          v.dot(x, y, hit ? 6 : 4.5, hit ? "#ffd24a" : "#8cf", "#123");
          if (v.scale > 3) v.label(x, y, `${w.t}s`, "#bde", 14);
        } else if (v.scale > 2) {
          v.dot(x, y, 2, "rgba(255,255,255,0.5)");
        }
      });
    }
  }
}

function paintAgents(v) {
  const s = app.scene && app.scene.scene, st = app.state;
  if (!s || !st) return;
  const sel = app.selection;
  const flagged = new Set();
  for (const i of app.scene.issues) if (i.t !== null && Math.abs(i.t - app.t) < 0.051) i.ids.forEach((id) => flagged.add(id));
  const specs = new Map(s.agents.map((a) => [a.id, a]));
  for (const a of st.agents) {
    if (!a.present) continue;
    const spec = specs.get(a.id);
    if (!spec) continue;
    let x = a.x, y = a.y;
    if (app.drag && app.drag.kind === "agent" && app.drag.id === a.id) { x += app.drag.dx; y += app.drag.dy; }
    const chosen = sel && sel.type === "agent" && sel.id === a.id;
    const stroke = chosen ? "#7cf" : (flagged.has(a.id) ? "#ff3b3b" : "#111");
    v.box(x, y, a.yaw, spec.size[0], spec.size[1], rgb(classColor(spec.class), 0.92), stroke,
      chosen || flagged.has(a.id) ? 2.5 : 1);
    if (v.scale > 4 || chosen) v.label(x, y, a.id, chosen ? "#bdf" : "#fff", -Math.max(8, spec.size[1] * v.scale / 2 + 4));
  }
  // the ego: its pose is the rear axle; the box centre is ahead of it
  const e = st.ego, eg = s.ego;
  let ex = e.x, ey = e.y;
  if (app.drag && app.drag.kind === "agent" && app.drag.id === "ego") { ex += app.drag.dx; ey += app.drag.dy; }
  const off = eg.size[0] / 2 - eg.rear_overhang;
  const chosen = sel && sel.type === "ego";
  v.box(ex + off * Math.cos(e.yaw), ey + off * Math.sin(e.yaw), e.yaw, eg.size[0], eg.size[1],
    rgb(app.session.palette.ego, 0.95), chosen ? "#7cf" : (flagged.has("ego") ? "#ff3b3b" : "#111"), chosen ? 2.5 : 1.5);
  v.label(ex, ey, "ego", "#ffb08a", -12);
}

function paintIssues(v) {
  if (!app.scene) return;
  for (const i of app.scene.issues) {
    if (!i.points || !i.points.length) continue;
    const now = i.t === null || Math.abs(i.t - app.t) < 0.051;
    for (const [x, y] of i.points) {
      v.ctx.setLineDash(now ? [] : [4, 3]);
      v.dot(x, y, Math.max(9, 2.2 * v.scale), null, i.severity === "error" ? "#ff3b3b" : "#e8b923");
      v.ctx.setLineDash([]);
    }
    if (i.t !== null) {
      const [x, y] = i.points[0];
      v.label(x, y, `${i.severity === "error" ? "✖" : "!"} t=${i.t.toFixed(2)} s`, i.severity === "error" ? "#ff8080" : "#ffd060",
        Math.max(22, 2.2 * v.scale + 12));
    }
  }
}

function paintMode(v) {
  const md = app.mode;
  if (!md.points || !md.points.length) return;
  v.trace(md.points, md.kind === "polygon");
  v.ctx.strokeStyle = "#ffd24a"; v.ctx.lineWidth = 1.5; v.ctx.setLineDash([5, 3]); v.ctx.stroke(); v.ctx.setLineDash([]);
  md.points.forEach(([x, y]) => v.dot(x, y, 4, "#ffd24a", "#332"));
}

// --------------------------------------------------------------------------------------------- picking

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
  if (!exists) app.selection = null;
  else if (sel.waypoint !== undefined && sel.waypoint !== null) {
    const a = agentSpec(sel.id);
    if (!a || a.motion !== "waypoints" || sel.waypoint >= a.waypoints.length) sel.waypoint = null;
  }
}

export function select(selection) {
  app.selection = selection;
  renderInspector(app);
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

async function finishMode() {
  const md = app.mode;
  if (md.kind === "place" && md.points.length) {
    const info = app.scene.scene.classes[md.cls];
    const times = placedTimes(md.points, app.t, DEFAULT_SPEED[info ? info.kind : "vehicle"] || 1.4);
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

const round = (v) => Math.round(v * 1000) / 1000;

// --------------------------------------------------------------------------------------------- mouse

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
      const info = app.scene.scene.classes[a.class];
      const speed = DEFAULT_SPEED[info ? info.kind : "vehicle"] || 1.4;
      const t = Math.round((last.t + Math.max(0.1, Math.hypot(wx - last.xy[0], wy - last.xy[1]) / speed)) * 100) / 100;
      edit([{ op: "add_waypoint", id: md.id, t, xy: [round(wx), round(wy)] }], "add waypoint");
    }
    return;
  }
  const hit = e.button === 0 ? pick(wx, wy) : null;
  if (hit) {
    select(hit);
    const kind = hit.waypoint !== undefined && hit.waypoint !== null ? "waypoint"
      : (hit.type === "agent" || hit.type === "ego") ? "agent" : hit.type;
    app.drag = { kind, id: hit.id, index: hit.waypoint ?? hit.index, start: [wx, wy], px: [px, py], dx: 0, dy: 0, moved: false };
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
    const [wx, wy] = app.view.toWorld(px, py);
    d.dx = wx - d.start[0]; d.dy = wy - d.start[1];
  }
  draw();
}

async function onUp() {
  const d = app.drag;
  if (!d) return;
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
      const ring = cw.polygons[0][0].slice(0, -1);
      await edit([{ op: "set_crosswalk", id: d.id, polygon: ring.map(([x, y]) => [round(x + dx), round(y + dy)]) }], "move crosswalk");
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
  const a = sel && agentSpec(sel.id);
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

export async function deleteSelection() {
  const sel = app.selection;
  if (!sel) return;
  if (sel.waypoint !== undefined && sel.waypoint !== null) await edit([{ op: "delete_waypoint", id: sel.id, index: sel.waypoint }], "delete waypoint");
  else if (sel.type === "agent") await edit([{ op: "delete_agent", id: sel.id }], `delete ${sel.id}`);
  else if (sel.type === "prop") await edit([{ op: "delete_prop", id: sel.id }], `delete ${sel.id}`);
  else if (sel.type === "building") await edit([{ op: "delete_building", id: sel.id }], `delete ${sel.id}`);
  else if (sel.type === "area") await edit([{ op: "delete_area", index: sel.index }], "delete area");
  else if (sel.type === "crosswalk") await edit([{ op: "delete_crosswalk", id: sel.id }], `delete ${sel.id}`);
  else return;
  select(null);
}

export async function undo() {
  if (app.busy) return;
  const resp = await call(() => api.post("/api/undo", { t: app.t }));
  await applyScene(resp);
  setStatus("undone");
}

export async function redo() {
  if (app.busy) return;
  const resp = await call(() => api.post("/api/redo", { t: app.t }));
  await applyScene(resp);
  setStatus("redone");
}

// --------------------------------------------------------------------------------------------- playing

let lastFrame = null;
export function togglePlay() {
  app.playing = !app.playing;
  $("btn-play").textContent = app.playing ? "❚❚" : "▶";
  lastFrame = null;
  if (app.playing) requestAnimationFrame(tick); else refreshPreview(app);
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

export function centerOn(x, y, minScale = 0) {
  app.view.cx = x; app.view.cy = y;
  if (app.view.scale < minScale) app.view.scale = minScale;
  draw();
}

// ------------------------------------------------------------------------------------------------ start

async function start() {
  const canvas = $("map");
  app.view = new View(canvas);
  new ResizeObserver(() => { app.view.resize(); draw(); }).observe(canvas);
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
  $("time-slider").addEventListener("input", (e) => setTime(parseFloat(e.target.value), true));
  $("btn-play").onclick = togglePlay;
  $("btn-undo").onclick = undo;
  $("btn-redo").onclick = redo;
  $("btn-fit").onclick = fitView;
  $("btn-ego").onclick = () => { if (app.state) centerOn(app.state.ego.x, app.state.ego.y, 4); };
  $("chk-occ").onchange = async (e) => { app.showOcc = e.target.checked; if (app.showOcc) await loadOcc(); draw(); };
  app.session = await call(() => api.get("/api/session"));
  setupPanels(app);
  await applyScene(await call(() => api.get("/api/scene")));
  app.ready = true;
  setStatus("ready");
}

// World <-> canvas coordinates for scripted use (tests): canvas CSS pixels from its top-left corner.
app.worldToCanvas = (x, y) => app.view.toScreen(x, y);
app.canvasToWorld = (px, py) => app.view.toWorld(px, py);
app.setTime = setTime;
app.centerOn = centerOn;
app.setScale = (s) => { app.view.scale = s; draw(); };

start();
