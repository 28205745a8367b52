// The page's state and the one way modules tell each other what changed. Every other script imports this
// module and it imports none of them, so the import graph of the page has no cycles: a module that must
// make another act (the canvas repaint, the panels refresh) emits an event here instead of importing it.
//
// Events: "draw" (repaint the canvas), "scene" (a new scene response was applied: toolbar, issues, panels),
// "issues" (a background validation finished), "selection" (the selection changed), "time" (the current
// time changed), "fit" (fit the view to a newly loaded map).

export const app = {
  session: null, scene: null, map: null, state: null, occ: null,
  t: 0, playing: false, showOcc: false,
  // {type: agent|ego|prop|building|area|crosswalk, id, index, waypoint, corner}
  selection: null,
  mode: { kind: "select" },
  drag: null, view: null, busy: false, ready: false, lastError: null, mapVersion: null,
  timings: {},
};

const listeners = new Map();

export function on(event, fn) {
  if (!listeners.has(event)) listeners.set(event, []);
  listeners.get(event).push(fn);
}

export function emit(event, ...args) {
  for (const fn of listeners.get(event) || []) fn(...args);
}

export function draw() { emit("draw"); }

export const $ = (id) => document.getElementById(id);

export const round = (v) => Math.round(v * 1000) / 1000;  // mm, as the layout files are written

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

// The scene entry of an agent id ("ego": the ego).
export function agentSpec(id) {
  const s = app.scene && app.scene.scene;
  if (!s) return null;
  return id === "ego" ? s.ego : s.agents.find((a) => a.id === id);
}
