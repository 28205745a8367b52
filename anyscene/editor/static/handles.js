// Geometry of the editing handles, in world metres: the resize corners and the rotate knob of an oriented box
// (agents, props), the corners and edge midpoints of a polygon (buildings, areas, polygon crosswalks), and the
// shapes a drag of each makes. Pure functions of their arguments; the canvas draws and drags them.
import { View } from "./view.js";

export const HIT_PX = 7;       // a press this close to a handle grabs it
export const KNOB_PX = 26;     // the rotate knob's distance ahead of the box's front
export const MIN_SIZE = 0.1;   // m: a resize never makes a box thinner than this

// The box's corners, each with the signs (su, sv) of its length and width axes, and the rotate knob.
export function boxHandles(box, scale) {
  const { x, y, yaw, length, width } = box;
  const corners = View.boxCorners(x, y, yaw, length, width)
    .map((p, i) => ({ xy: p, su: i === 0 || i === 3 ? 1 : -1, sv: i < 2 ? 1 : -1 }));
  const reach = length / 2 + KNOB_PX / scale;
  const front = [x + Math.cos(yaw) * length / 2, y + Math.sin(yaw) * length / 2];
  return { corners, front, knob: [x + Math.cos(yaw) * reach, y + Math.sin(yaw) * reach] };
}

// [length, width] after dragging corner (su, sv) by (dx, dy): the box grows or shrinks about its centre, by
// twice the drag's component along each axis (the opposite corner moves the other way).
export function resized(box, su, sv, dx, dy) {
  const c = Math.cos(box.yaw), s = Math.sin(box.yaw);
  const du = c * dx + s * dy, dv = -s * dx + c * dy;
  return [Math.max(MIN_SIZE, box.length + 2 * su * du), Math.max(MIN_SIZE, box.width + 2 * sv * dv)];
}

export function wrapAngle(a) {
  return ((a + Math.PI) % (2 * Math.PI) + 2 * Math.PI) % (2 * Math.PI) - Math.PI;
}

// The angle (rad, counter-clockwise) that turns `from` into `to` about `pivot`.
export function turned(pivot, from, to) {
  return wrapAngle(Math.atan2(to[1] - pivot[1], to[0] - pivot[0]) - Math.atan2(from[1] - pivot[1], from[0] - pivot[0]));
}

// The authored outline of a selected building, area or polygon crosswalk ([[x, y], ...], not closed), or null.
export function ringOf(sel, map) {
  if (!sel || !map) return null;
  if (sel.type === "building") { const b = map.buildings.find((o) => o.id === sel.id); return b ? b.footprint : null; }
  if (sel.type === "area") { const a = map.areas[sel.index]; return a ? a.polygon : null; }
  if (sel.type === "crosswalk") { const c = map.crosswalks.find((o) => o.id === sel.id); return c && c.polygon ? c.polygon : null; }
  return null;
}

// The edit operation that gives the selected shape the outline `ring`.
export function ringOp(sel, ring) {
  if (sel.type === "building") return { op: "set_building", id: sel.id, footprint: ring };
  if (sel.type === "area") return { op: "set_area", index: sel.index, polygon: ring };
  return { op: "set_crosswalk", id: sel.id, polygon: ring };
}

export function midpoints(ring) {
  return ring.map((p, i) => {
    const q = ring[(i + 1) % ring.length];
    return [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
  });
}

export const movedCorner = (ring, i, xy) => ring.map((p, k) => (k === i ? xy : p));
export const insertedCorner = (ring, i, xy) => [...ring.slice(0, i + 1), xy, ...ring.slice(i + 1)];  // after corner i
export const deletedCorner = (ring, i) => ring.filter((_, k) => k !== i);
