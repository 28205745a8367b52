// anyscene edit: the page's entry module. It builds the canvas view, wires the toolbar, the pointer and the
// panels to the state's events and loads the first scene. Nothing imports it.
import * as api from "./api.js";
import { app, $, call, draw, on, setStatus } from "./state.js";
import { applyScene, centerOn, fitView, loadOcc, redo, setTime, togglePlay, undo } from "./actions.js";
import { View } from "./view.js";
import "./paint.js";
import { attachPointer, selectionHandles } from "./pointer.js";
import { renderInspector } from "./inspector.js";
import { setupPanels } from "./panels.js";

window.anyscene = app;  // for the end-to-end tests and for curious users (read-only use)

on("fit", fitView);
on("scene", () => renderInspector(app));
on("selection", () => renderInspector(app));

async function start() {
  const canvas = $("map");
  app.view = new View(canvas);
  new ResizeObserver(() => { app.view.resize(); draw(); }).observe(canvas);
  attachPointer(canvas);
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
app.handles = selectionHandles;

start();
