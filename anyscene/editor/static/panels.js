// Toolbar, palette, files, scene settings, validation list, text view, previews and the generate action.
import * as api from "./api.js";
import { app, $, call, draw, on, setStatus } from "./state.js";
import { applyScene, centerOn, edit, select, setMode, setTime } from "./actions.js";

const AREA_CLASSES = ["terrain", "vegetation", "other_flat", "parking", "sidewalk", "driveable_surface", "manmade", "others"];
const PROP_KINDS = new Set(["object"]);

function swatch(color) {
  const s = document.createElement("span");
  s.className = "swatch";
  s.style.background = `rgb(${color[0]},${color[1]},${color[2]})`;
  return s;
}

export function setupPanels(a) {
  // palette: movable classes become agents (click start, then waypoints), objects and static classes props
  const pal = $("palette");
  pal.replaceChildren();
  const occ = a.session.palette.occ3d;
  // the class table arrives with the scene; build the palette once it is there
  const build = () => {
    const s = a.scene && a.scene.scene;
    if (!s || pal.childElementCount) return;
    for (const [name, info] of Object.entries(s.classes)) {
      const b = document.createElement("button");
      b.dataset.cls = name;
      b.id = `pal-${name}`;
      b.append(swatch(occ[info.occ3d] || [200, 200, 200]), name);
      const prop = PROP_KINDS.has(info.kind);
      b.title = prop ? `place a ${name} prop` : `add a ${name}: click its start, then waypoints`;
      b.onclick = () => setMode({ kind: "place", cls: name, prop, points: [], button: b });
      pal.append(b);
    }
    for (const [name, info] of Object.entries(s.static_props)) {
      const b = document.createElement("button");
      b.id = `pal-${name}`;
      b.append(swatch(occ[info.occ3d] || [200, 200, 200]), name);
      b.title = `place a ${name} (static map)`;
      b.onclick = () => setMode({ kind: "place", cls: name, prop: true, points: [], button: b });
      pal.append(b);
    }
  };
  a.buildPalette = build;
  const ac = $("area-class");
  for (const c of AREA_CLASSES) ac.append(new Option(c, c));
  for (const [id, what] of [["btn-area", "area"], ["btn-building", "building"], ["btn-crosswalk", "crosswalk"]]) {
    $(id).onclick = () => setMode({ kind: "polygon", what, points: [], button: $(id) });
  }

  // files
  fillFiles(a.session.files);
  $("btn-open").onclick = async () => {
    const path = $("file-select").value;
    if (!path) return;
    if (a.scene && a.scene.dirty && !confirm("Discard unsaved changes?")) return;
    a.mapVersion = null;
    a.selection = null;
    await applyScene(await call(() => api.post("/api/open", { path })));
    setStatus(`opened ${path}`);
  };
  $("btn-save").onclick = () => save(null);
  $("btn-saveas").onclick = () => {
    const name = prompt("Save as (a .yaml file name in the opened folder):", a.scene.path || `${a.scene.scene ? a.scene.scene.name : "layout"}.yaml`);
    if (name) save(name);
  };
  const tpl = $("tpl-select");
  for (const t of a.session.templates) tpl.append(new Option(t, t));
  $("btn-new").onclick = async () => {
    if (a.scene && a.scene.dirty && !confirm("Discard unsaved changes?")) return;
    setStatus("sampling a layout…");
    a.mapVersion = null;
    a.selection = null;
    await applyScene(await call(() => api.post("/api/new", { template: tpl.value, seed: parseInt($("tpl-seed").value || "0", 10) })));
    setStatus(`new ${tpl.value} layout (not saved yet)`);
  };

  // scene settings
  $("env-tod").onchange = (e) => editScene({ op: "set_environment", time_of_day: parseFloat(e.target.value) }, "time of day");
  $("env-weather").onchange = (e) => editScene({ op: "set_environment", weather: e.target.value }, "weather");
  $("scene-duration").onchange = (e) => editScene({ op: "set_scene", duration: parseFloat(e.target.value) }, "duration");

  // text view
  $("btn-text").onclick = async () => {
    const r = await call(() => api.get("/api/text"));
    showTextView(a, r.text, a.scene.parse_failed ? a.scene.issues : []);
  };
  $("btn-text-close").onclick = () => { $("textview").hidden = true; };
  $("btn-text-apply").onclick = async () => {
    const resp = await call(() => api.post("/api/text", { text: $("text-area").value }));
    if (!resp.parse_failed) $("textview").hidden = true;
    a.mapVersion = resp.map_version === a.mapVersion ? a.mapVersion : a.mapVersion;
    await applyScene(resp);
    setStatus(resp.parse_failed ? "the text does not parse" : "text applied", resp.parse_failed);
  };

  // previews
  const cam = $("cam-select");
  for (const c of a.session.cameras) cam.append(new Option(c, c));
  cam.onchange = () => refreshPreview(a, true);
  $("btn-six").onclick = () => { $("six").hidden = !$("six").hidden; refreshPreview(a, true); };

  // what the panels show follows the scene, its validation and the time
  on("scene", (resp) => {
    updateToolbar(a);
    showIssues(a);
    if (resp.parse_failed || !resp.scene) showTextView(a, resp.text, resp.issues);
    refreshPreview(a);
  });
  on("issues", () => showIssues(a));
  on("time", () => { if (!a.playing) refreshPreview(a); });

  // generate
  $("btn-generate").onclick = async () => {
    const job = await call(() => api.post("/api/generate", { duration: parseFloat($("gen-duration").value), resolution: $("gen-res").value }));
    $("gen-progress").hidden = false;
    $("gen-video").hidden = true;
    pollJob(job.id);
  };
}

function editScene(op, label) {
  return edit([op], label);
}

function fillFiles(files) {
  const fs = $("file-select");
  fs.replaceChildren();
  for (const f of files) fs.append(new Option(f, f));
  if (app.scene && app.scene.path) fs.value = app.scene.path;
}

async function save(path) {
  const body = path ? { path } : {};
  let resp;
  try {
    resp = await api.post("/api/save", body);
  } catch (e) {
    if (e.status === 409 && confirm(`${e.message}\n\nReplace the file?`)) resp = await call(() => api.post("/api/save", { ...body, force: true }));
    else { setStatus(e.message, true); return; }
  }
  const files = await api.get("/api/files");
  await applyScene(resp);
  fillFiles(files.files);
  setStatus(`saved ${resp.saved}`);
}

async function pollJob(id) {
  const job = await call(() => api.get(`/api/generate/${id}`));
  $("gen-progress").value = job.progress;
  $("gen-status").textContent = `${job.id}: ${job.state} ${(job.progress * 100).toFixed(0)} % (${job.seconds} s)` +
    (job.state === "failed" ? ` — ${job.log.split("\n").filter(Boolean).slice(-2).join(" ")}` : "");
  if (job.state === "running") { setTimeout(() => pollJob(id), 700); return; }
  if (job.has_video) {
    const v = $("gen-video");
    v.src = api.imageUrl(`/api/generate/${id}/video`);
    v.hidden = false;
    const link = document.createElement("a");
    link.href = v.src; link.textContent = " preview video"; link.target = "_blank"; link.id = "gen-link";
    $("gen-status").append(link);
  }
}

export function updateToolbar(a) {
  const r = a.scene;
  $("btn-undo").disabled = !r.can_undo;
  $("btn-redo").disabled = !r.can_redo;
  $("btn-undo").title = r.undo_label ? `undo ${r.undo_label} (Ctrl+Z)` : "undo (Ctrl+Z)";
  $("file-label").textContent = `${r.path || r.file + " (new)"}${r.dirty ? " •" : ""}`;
  if (r.scene) {
    $("env-tod").value = r.scene.environment.time_of_day;
    $("env-weather").value = r.scene.environment.weather;
    $("scene-duration").value = r.scene.duration;
  }
  if (a.buildPalette) a.buildPalette();
  if (r.path) $("file-select").value = r.path;
}

export function showIssues(a) {
  const list = $("issues");
  list.replaceChildren();
  const r = a.scene;
  $("issue-count").textContent = r.validating ? "(validating…)" : `(${r.errors} errors, ${r.warnings} warnings)`;
  if (r.validating) return;
  if (!r.issues.length) {
    const li = document.createElement("li");
    li.className = "ok";
    li.textContent = "No problems: anyscene validate accepts this layout.";
    list.append(li);
    return;
  }
  for (const i of r.issues) {
    const li = document.createElement("li");
    li.className = i.severity;
    li.textContent = `${i.line ? `line ${i.line}: ` : ""}${i.message}`;
    li.title = i.text;
    li.onclick = () => {
      if (r.parse_failed) { showTextView(a, r.text, r.issues, i.line); return; }
      const id = i.ids[0];
      if (id) select(id === "ego" ? { type: "ego", id } : (a.scene.scene.agents.some((x) => x.id === id) ? { type: "agent", id } : { type: "prop", id }));
      if (i.t !== null) setTime(i.t);
      if (i.points && i.points.length) centerOn(i.points[0][0], i.points[0][1], 6);
    };
    list.append(li);
  }
}

export function showTextView(a, text, issues = [], line = null) {
  const view = $("textview");
  view.hidden = false;
  const area = $("text-area");
  if (text !== undefined && text !== null) area.value = text;
  const errs = $("text-errors");
  errs.replaceChildren();
  for (const i of issues || []) {
    const d = document.createElement("div");
    d.textContent = `line ${i.line}, column ${i.col}: ${i.message}`;
    d.onclick = () => gotoLine(area, i.line);
    errs.append(d);
  }
  const target = line || (issues && issues.length ? issues[0].line : null);
  if (target) gotoLine(area, target);
}

function gotoLine(area, line) {
  const lines = area.value.split("\n");
  let start = 0;
  for (let k = 0; k < Math.max(0, line - 1) && k < lines.length; k++) start += lines[k].length + 1;
  const end = start + (lines[line - 1] || "").length;
  area.focus();
  area.setSelectionRange(start, end);
  const lineHeight = area.scrollHeight / Math.max(1, lines.length);
  area.scrollTop = Math.max(0, (line - 5) * lineHeight);
}

let previewTimer = null, previewSeq = 0;
export function refreshPreview(a, now = false) {
  if (!a.scene || !a.scene.scene) {
    $("preview").removeAttribute("src");
    $("six").replaceChildren();
    return;
  }
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => loadPreviews(a), now ? 0 : 350);
}

async function loadPreviews(a) {
  const seq = ++previewSeq;
  const t = a.t.toFixed(3);
  const [w, h] = a.session.preview_size;
  const img = $("preview");
  const started = performance.now();
  const url = api.imageUrl("/api/preview", { t, camera: $("cam-select").value, width: w, height: h, v: a.scene.version });
  await new Promise((resolve) => { img.onload = resolve; img.onerror = resolve; img.src = url; });
  a.timings.preview = performance.now() - started;
  if (seq !== previewSeq || $("six").hidden) return;
  const six = $("six");
  six.replaceChildren();
  for (const c of a.session.cameras) {
    const im = document.createElement("img");
    im.title = c;
    im.src = api.imageUrl("/api/preview", { t, camera: c, width: 320, height: 180, v: a.scene.version });
    six.append(im);
    await new Promise((resolve) => { im.onload = resolve; im.onerror = resolve; });
    if (seq !== previewSeq) return;
  }
  draw();
}
