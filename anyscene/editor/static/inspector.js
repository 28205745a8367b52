// The selection panel: fields of the selected agent, waypoint, lane, prop, building, area or crosswalk.
import { app, $, agentSpec } from "./state.js";
import { deleteCorner, deleteSelection, edit, select, setMode, setTime } from "./actions.js";
import { ringOf } from "./handles.js";

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) e[k] = v; else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function field(label, value, onChange, attrs = {}) {
  const input = el("input", { type: "number", step: "any", ...attrs });
  input.value = value === null || value === undefined ? "" : String(value);
  input.onchange = () => onChange(input.value === "" ? null : parseFloat(input.value));
  return el("label", {}, label + " ", input);
}

function choice(label, value, options, onChange) {
  const s = el("select");
  for (const o of options) s.append(el("option", { value: o }, o));
  s.value = value;
  s.onchange = () => onChange(s.value);
  return el("label", {}, label + " ", s);
}

function button(text, onclick, id) { return el("button", { onclick, id }, text); }

export function renderInspector(a) {
  const body = $("inspector-body");
  body.replaceChildren();
  body.className = "form";
  const sel = a.selection;
  if (!sel || !a.scene || !a.scene.scene) {
    body.className = "hint";
    body.append("Click an agent, a waypoint, a prop, a building, an area or a crosswalk.");
    return;
  }
  if (sel.type === "agent" || sel.type === "ego") agentPanel(body, agentSpec(sel.id), sel);
  else if (sel.type === "prop") propPanel(body, a.map.props.find((p) => p.id === sel.id));
  else if (sel.type === "building") buildingPanel(body, a.map.buildings.find((b) => b.id === sel.id));
  else if (sel.type === "area") areaPanel(body, a.map.areas[sel.index], sel.index);
  else if (sel.type === "crosswalk") crosswalkPanel(body, a.map.crosswalks.find((c) => c.id === sel.id));
  cornerPanel(body, sel);
}

// The corners of a selected building, area or polygon crosswalk: how the handles work, the chosen corner.
function cornerPanel(body, sel) {
  const ring = ringOf(sel, app.map);
  if (!ring) return;
  body.append(el("div", { class: "hint" }, `${ring.length} corners: drag a corner to move it; drag or click an edge's middle to insert one`));
  if (sel.corner === null || sel.corner === undefined || !ring[sel.corner]) return;
  const [x, y] = ring[sel.corner];
  const row = el("div", { class: "row" }, el("span", { id: "sel-corner" }, `corner ${sel.corner}: (${x}, ${y})`));
  if (ring.length > 3) row.append(button("Delete corner", () => deleteCorner(), "btn-delete-corner"));
  body.append(row);
}

function agentPanel(body, ag, sel) {
  if (!ag) return;
  const id = ag.id;
  const classes = Object.keys(app.scene.scene.classes);
  body.append(el("div", {}, el("b", { id: "sel-id" }, id), ` ${ag.class || "ego"} · ${ag.motion}`));
  if (id !== "ego") {
    body.append(choice("class", ag.class, classes, (v) => edit([{ op: "set_agent", id, class: v }], "class")));
    body.append(field("appear (s)", ag.appear, (v) => edit([{ op: "set_agent", id, appear: v }], "appear")));
    body.append(field("disappear (s)", ag.disappear, (v) => edit([{ op: "set_agent", id, disappear: v }], "disappear")));
    const [l, w, h] = ag.size;
    body.append(field("length (m)", l, (v) => edit([{ op: "set_agent", id, size: v === null ? null : [v, w, h] }], "size")));
    body.append(field("width (m)", w, (v) => edit([{ op: "set_agent", id, size: v === null ? null : [l, v, h] }], "size")));
  }
  if (ag.motion === "waypoints") {
    const table = el("table", { class: "wps" });
    table.append(el("tr", {}, el("td", {}, "#"), el("td", {}, "t s"), el("td", {}, "x"), el("td", {}, "y"), el("td", {}, "speed")));
    ag.waypoints.forEach((w, i) => {
      const num = (key, value, make) => {
        const input = el("input", { type: "number", step: "any" });
        input.value = value === null || value === undefined ? "" : String(value);
        input.onchange = () => {
          if (input.value === "" && key !== "speed") return;  // a cleared field is being retyped
          edit([{ op: "set_waypoint", id, index: i, ...make(input.value === "" ? null : parseFloat(input.value)) }], `waypoint ${key}`);
        };
        return el("td", {}, input);
      };
      const row = el("tr", { class: sel.waypoint === i ? "sel" : "" },
        el("td", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); select({ ...sel, waypoint: i }); setTime(w.t); } }, String(i))),
        num("t", w.t, (v) => ({ t: v ?? 0 })), num("x", w.xy[0], (v) => ({ xy: [v ?? 0, w.xy[1]] })),
        num("y", w.xy[1], (v) => ({ xy: [w.xy[0], v ?? 0] })), num("speed", w.speed, (v) => ({ speed: v })));
      table.append(row);
    });
    body.append(table);
    const row = el("div", { class: "row" });
    row.append(button("Add waypoint", () => setMode({ kind: "waypoint", id }), "btn-add-waypoint"));
    if (sel.waypoint !== null && sel.waypoint !== undefined) {
      row.append(button("Delete waypoint", () => edit([{ op: "delete_waypoint", id, index: sel.waypoint }], "delete waypoint")));
    }
    body.append(row);
    if (app.map.lanes.length) body.append(button("Follow a lane instead", () => toLane(id, ag)));
  } else {
    lanePanel(body, ag);
  }
  if (id !== "ego") {
    const row = el("div", { class: "row" });
    row.append(button("Duplicate", async () => {
      const r = await edit([{ op: "duplicate_agent", id }], `duplicate ${id}`);
      if (r && r.created.length) select({ type: "agent", id: r.created[0] });
    }, "btn-duplicate"));
    row.append(button("Delete", () => deleteSelection(), "btn-delete"));
    body.append(row);
  }
}

function nearestLane(x, y) {
  let best = null, bd = Infinity;
  for (const ln of app.map.lanes) {
    let s = 0;
    for (let i = 0; i + 1 < ln.points.length; i++) {
      const [ax, ay] = ln.points[i], [bx, by] = ln.points[i + 1];
      const dx = bx - ax, dy = by - ay, L = Math.hypot(dx, dy) || 1;
      const u = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (L * L)));
      const d = Math.hypot(ax + u * dx - x, ay + u * dy - y);
      if (d < bd) { bd = d; best = { road: ln.road, lane: ln.lane, s: Math.round((s + u * L) * 100) / 100 }; }
      s += L;
    }
  }
  return best;
}

function toLane(id, ag) {
  const [x, y] = ag.waypoints[0].xy;
  const near = nearestLane(x, y);
  if (!near) return;
  const info = app.scene.scene.classes[ag.class];
  const speed = info && info.kind === "pedestrian" ? 1.4 : 8;
  edit([{ op: "set_lane", id, lane: { ...near, speed } }], "follow lane");
}

function lanePanel(body, ag) {
  const id = ag.id, ln = ag.lane;
  const lanes = app.map.lanes.filter((l) => l.road === ln.road).map((l) => String(l.lane));
  const set = (changes) => edit([{ op: "set_lane", id, lane: { ...ln, ...changes } }], "lane");
  body.append(choice("road", ln.road, app.map.roads.map((r) => r.id), (v) => {
    const first = app.map.lanes.find((l) => l.road === v);
    set({ road: v, lane: first ? first.lane : 1 });
  }));
  body.append(choice("lane", String(ln.lane), lanes, (v) => set({ lane: parseInt(v, 10) })));
  body.append(field("s (m)", ln.s, (v) => set({ s: v ?? 0 })));
  body.append(field("speed (m/s)", ln.speed, (v) => set({ speed: v ?? 0 })));
  body.append(field("acceleration", ln.acceleration, (v) => set({ acceleration: v ?? 0 })));
  body.append(field("stop at s (m)", ln.stop_s, (v) => set({ stop_s: v })));
  body.append(field("deceleration", ln.deceleration, (v) => set({ deceleration: v ?? 3 })));
  body.append(field("start (s)", ln.start, (v) => set({ start: v ?? 0 })));
  const st = app.state && app.state.agents.find((a) => a.id === id);
  body.append(button("Use waypoints instead", () => {
    const pts = ag.path, ts = ag.path_t;
    if (!pts.length) return;
    const k = Math.max(1, Math.floor(pts.length / 6));
    const wps = [];
    for (let i = 0; i < pts.length; i += k) wps.push({ t: ts[i], xy: pts[i] });
    if (wps[wps.length - 1].t !== ts[ts.length - 1]) wps.push({ t: ts[ts.length - 1], xy: pts[pts.length - 1] });
    edit([{ op: "set_waypoints", id, waypoints: wps }], "waypoints");
  }));
  if (st) body.append(el("div", { class: "hint" }, `at t: (${st.x.toFixed(2)}, ${st.y.toFixed(2)}), ${Math.hypot(st.vx, st.vy).toFixed(2)} m/s`));
}

function propPanel(body, p) {
  if (!p) return;
  const id = p.id;
  body.append(el("div", {}, el("b", { id: "sel-id" }, id), ` prop · ${p.class}`));
  body.append(field("x (m)", p.xy[0], (v) => edit([{ op: "set_prop", id, xy: [v ?? 0, p.xy[1]] }], "prop x")));
  body.append(field("y (m)", p.xy[1], (v) => edit([{ op: "set_prop", id, xy: [p.xy[0], v ?? 0] }], "prop y")));
  body.append(field("yaw (rad)", p.yaw, (v) => edit([{ op: "set_prop", id, yaw: v ?? 0 }], "prop yaw")));
  const [l, w, h] = p.size;
  body.append(field("length (m)", l, (v) => edit([{ op: "set_prop", id, size: v === null ? null : [v, w, h] }], "prop size")));
  body.append(field("width (m)", w, (v) => edit([{ op: "set_prop", id, size: v === null ? null : [l, v, h] }], "prop size")));
  body.append(field("height (m)", h, (v) => edit([{ op: "set_prop", id, size: v === null ? null : [l, w, v] }], "prop size")));
  body.append(button("Delete", () => deleteSelection(), "btn-delete"));
}

function scaleAbout(points, f) {
  const cx = points.reduce((s, p) => s + p[0], 0) / points.length, cy = points.reduce((s, p) => s + p[1], 0) / points.length;
  return points.map(([x, y]) => [Math.round((cx + (x - cx) * f) * 1000) / 1000, Math.round((cy + (y - cy) * f) * 1000) / 1000]);
}

function buildingPanel(body, b) {
  if (!b) return;
  const id = b.id;
  body.append(el("div", {}, el("b", { id: "sel-id" }, id), " building"));
  body.append(field("height (m)", b.height, (v) => edit([{ op: "set_building", id, height: v ?? 10 }], "building height")));
  const row = el("div", { class: "row" });
  row.append(button("Larger", () => edit([{ op: "set_building", id, footprint: scaleAbout(b.footprint, 1.1) }], "resize building")));
  row.append(button("Smaller", () => edit([{ op: "set_building", id, footprint: scaleAbout(b.footprint, 1 / 1.1) }], "resize building")));
  row.append(button("Delete", () => deleteSelection(), "btn-delete"));
  body.append(row);
}

function areaPanel(body, a, index) {
  if (!a) return;
  body.append(el("div", {}, el("b", { id: "sel-id" }, `area ${index}`), ` ${a.class}`));
  const classes = ["terrain", "vegetation", "other_flat", "parking", "sidewalk", "driveable_surface", "manmade", "others"];
  body.append(choice("class", a.class, classes, (v) => edit([{ op: "set_area", index, class: v }], "area class")));
  body.append(field("height (m)", a.height, (v) => edit([{ op: "set_area", index, height: v ?? 0 }], "area height")));
  const row = el("div", { class: "row" });
  row.append(button("Larger", () => edit([{ op: "set_area", index, polygon: scaleAbout(a.polygon, 1.1) }], "resize area")));
  row.append(button("Smaller", () => edit([{ op: "set_area", index, polygon: scaleAbout(a.polygon, 1 / 1.1) }], "resize area")));
  row.append(button("Delete", () => deleteSelection(), "btn-delete"));
  body.append(row);
}

function crosswalkPanel(body, c) {
  if (!c) return;
  const id = c.id;
  body.append(el("div", {}, el("b", { id: "sel-id" }, id), ` crosswalk${c.explicit ? " (polygon)" : ` on ${c.road}`}`));
  if (!c.explicit) {
    body.append(field("s (m)", c.s, (v) => edit([{ op: "set_crosswalk", id, s: v ?? 0 }], "crosswalk s")));
    body.append(field("width (m)", c.width, (v) => edit([{ op: "set_crosswalk", id, width: v ?? 4 }], "crosswalk width")));
  }
  body.append(button("Delete", () => deleteSelection(), "btn-delete"));
}
