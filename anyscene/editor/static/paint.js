// Painting the BEV canvas: the map, the grid range, paths, agents, issue markers, the drawing mode and the
// handles of the selection, with the shapes an ongoing drag would give them.
import { app, on } from "./state.js";
import { rgb } from "./view.js";
import { boxHandles, midpoints, ringOf } from "./handles.js";

let drawQueued = false;
on("draw", () => {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => { drawQueued = false; paint(); });
});

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

export const HANDLE_DRAGS = ["resize", "rotate", "corner", "insert"];
const same = (a, b) => a && b && a.type === b.type && a.id === b.id;

// The oriented box of an agent, the ego or a prop as drawn now (an ongoing resize or rotate drag applied):
// {x, y, yaw, length, width, pivot, resize, rotate}: `pivot` is the point a rotation turns about; `resize`
// and `rotate` say which handles it has.
export function boxOf(sel, live = true) {
  const s = app.scene && app.scene.scene, st = app.state, m = app.map;
  if (!sel || !s || !st || !m) return null;
  let box = null;
  if (sel.type === "agent") {
    const a = st.agents.find((o) => o.id === sel.id), spec = s.agents.find((o) => o.id === sel.id);
    if (!a || !a.present || !spec) return null;
    box = { x: a.x, y: a.y, yaw: a.yaw, length: spec.size[0], width: spec.size[1], pivot: [a.x, a.y], resize: true,
      rotate: spec.motion === "waypoints" };
  } else if (sel.type === "ego") {
    const e = st.ego, off = s.ego.size[0] / 2 - s.ego.rear_overhang;
    box = { x: e.x + off * Math.cos(e.yaw), y: e.y + off * Math.sin(e.yaw), yaw: e.yaw, length: s.ego.size[0],
      width: s.ego.size[1], pivot: [e.x, e.y], resize: false, rotate: s.ego.motion === "waypoints" };
  } else if (sel.type === "prop") {
    const p = m.props.find((o) => o.id === sel.id);
    if (!p) return null;
    box = { x: p.xy[0], y: p.xy[1], yaw: p.yaw, length: Math.max(p.size[0], 0.3), width: Math.max(p.size[1], 0.3),
      pivot: [p.xy[0], p.xy[1]], resize: true, rotate: true, size: p.size };
  } else return null;
  const d = app.drag;
  if (live && d && same(d.target, sel)) {
    if (d.kind === "resize" && d.size) { box.length = d.size[0]; box.width = d.size[1]; }
    if (d.kind === "rotate" && d.angle) {
      const c = Math.cos(d.angle), sn = Math.sin(d.angle), [px, py] = box.pivot;
      const dx = box.x - px, dy = box.y - py;
      box.x = px + c * dx - sn * dy; box.y = py + sn * dx + c * dy; box.yaw += d.angle;
    }
  }
  return box;
}

// The outline of the selected polygon as drawn now (an ongoing corner drag applied).
export function liveRing() {
  const d = app.drag;
  if (d && (d.kind === "corner" || d.kind === "insert") && d.ring) return d.ring;
  return ringOf(app.selection, app.map);
}

function paint() {
  const v = app.view;
  if (!v) return;
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
  paintHandles(v);
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
    const chosen = sel && sel.type === "prop" && sel.id === p.id;
    const b = chosen ? boxOf(sel) : null;
    let [x, y] = p.xy;
    if (app.drag && app.drag.kind === "prop" && app.drag.id === p.id) { x += app.drag.dx; y += app.drag.dy; }
    if (b && app.drag && app.drag.kind === "prop" && app.drag.id === p.id) { b.x = x; b.y = y; }
    if (b) v.box(b.x, b.y, b.yaw, b.length, b.width, rgb(classColor(p.class)), "#7cf", 2.5);
    else v.box(x, y, p.yaw, Math.max(p.size[0], 0.3), Math.max(p.size[1], 0.3), rgb(classColor(p.class)), "#111", 1);
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
    const chosen = sel && sel.type === "agent" && sel.id === a.id;
    const b = chosen ? boxOf(sel) : { x: a.x, y: a.y, yaw: a.yaw, length: spec.size[0], width: spec.size[1] };
    if (app.drag && app.drag.kind === "agent" && app.drag.id === a.id) { b.x += app.drag.dx; b.y += app.drag.dy; }
    const stroke = chosen ? "#7cf" : (flagged.has(a.id) ? "#ff3b3b" : "#111");
    v.box(b.x, b.y, b.yaw, b.length, b.width, rgb(classColor(spec.class), 0.92), stroke, chosen || flagged.has(a.id) ? 2.5 : 1);
    if (v.scale > 4 || chosen) v.label(b.x, b.y, a.id, chosen ? "#bdf" : "#fff", -Math.max(8, b.length * v.scale / 2 + 4));
  }
  // the ego: its pose is the rear axle; the box centre is ahead of it
  const e = st.ego;
  const chosen = sel && sel.type === "ego";
  const b = boxOf({ type: "ego", id: "ego" }, chosen);
  let ex = e.x, ey = e.y;
  if (app.drag && app.drag.kind === "agent" && app.drag.id === "ego") { ex += app.drag.dx; ey += app.drag.dy; b.x += app.drag.dx; b.y += app.drag.dy; }
  v.box(b.x, b.y, b.yaw, b.length, b.width, rgb(app.session.palette.ego, 0.95),
    chosen ? "#7cf" : (flagged.has("ego") ? "#ff3b3b" : "#111"), chosen ? 2.5 : 1.5);
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

// Resize corners (squares), the rotate knob (a disc on a stalk ahead of the front), polygon corners (squares;
// the selected one yellow) and edge midpoints (hollow discs: drag or click one to insert a corner).
function paintHandles(v) {
  const sel = app.selection;
  if (!sel || app.mode.kind !== "select") return;
  if (app.drag && app.drag.moved && !HANDLE_DRAGS.includes(app.drag.kind)) return;  // the object is being moved
  const b = boxOf(sel);
  if (b) {
    const h = boxHandles(b, v.scale);
    if (b.resize) for (const c of h.corners) v.square(c.xy[0], c.xy[1], 4, "#fff", "#135");
    if (b.rotate) {
      v.trace([h.front, h.knob]); v.ctx.strokeStyle = "#7cf"; v.ctx.lineWidth = 1.5; v.ctx.stroke();
      v.dot(h.knob[0], h.knob[1], 5.5, "#7cf", "#135");
    }
  }
  const ring = liveRing();
  if (ring) {
    if (app.drag && app.drag.ring) {
      v.trace(ring, true); v.ctx.strokeStyle = "#ffd24a"; v.ctx.lineWidth = 1.5; v.ctx.setLineDash([5, 3]); v.ctx.stroke(); v.ctx.setLineDash([]);
    }
    if (!app.drag || !app.drag.ring) for (const [x, y] of midpoints(ring)) v.dot(x, y, 3.5, "rgba(0,0,0,0.35)", "#cfe");
    ring.forEach(([x, y], i) => v.square(x, y, 4, sel.corner === i ? "#ffd24a" : "#fff", "#135"));
  }
}
