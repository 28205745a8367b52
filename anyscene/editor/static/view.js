// The BEV canvas: world metres (x east, y north) to pixels, pan and zoom, drawing and hit testing.

export class View {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.cx = 0; this.cy = 0;   // world point at the canvas centre (m)
    this.scale = 4;             // px per m
    this.dpr = window.devicePixelRatio || 1;
    this.resize();
  }

  resize() {
    const r = this.canvas.getBoundingClientRect();
    this.w = Math.max(1, r.width); this.h = Math.max(1, r.height);
    this.canvas.width = Math.round(this.w * this.dpr);
    this.canvas.height = Math.round(this.h * this.dpr);
  }

  // canvas CSS pixels <-> world metres
  toScreen(x, y) { return [(x - this.cx) * this.scale + this.w / 2, (this.cy - y) * this.scale + this.h / 2]; }
  toWorld(px, py) { return [(px - this.w / 2) / this.scale + this.cx, this.cy - (py - this.h / 2) / this.scale]; }

  zoomAt(px, py, factor) {
    const [wx, wy] = this.toWorld(px, py);
    this.scale = Math.min(400, Math.max(0.05, this.scale * factor));
    const [nx, ny] = this.toWorld(px, py);
    this.cx += wx - nx; this.cy += wy - ny;
  }

  fit(x0, y0, x1, y1) {
    this.cx = (x0 + x1) / 2; this.cy = (y0 + y1) / 2;
    this.scale = Math.max(0.05, 0.95 * Math.min(this.w / Math.max(1, x1 - x0), this.h / Math.max(1, y1 - y0)));
  }

  begin() {
    const c = this.ctx;
    c.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    c.clearRect(0, 0, this.w, this.h);
    return c;
  }

  // A path of world points [[x, y], ...]
  trace(points, close = false) {
    const c = this.ctx;
    c.beginPath();
    points.forEach(([x, y], i) => {
      const [px, py] = this.toScreen(x, y);
      if (i === 0) c.moveTo(px, py); else c.lineTo(px, py);
    });
    if (close) c.closePath();
  }

  // Polygons with holes: [[ring, hole, ...], ...]
  fillPolygons(polys, fill) {
    const c = this.ctx;
    c.beginPath();
    for (const rings of polys) {
      for (const ring of rings) {
        ring.forEach(([x, y], i) => {
          const [px, py] = this.toScreen(x, y);
          if (i === 0) c.moveTo(px, py); else c.lineTo(px, py);
        });
        c.closePath();
      }
    }
    c.fillStyle = fill;
    c.fill("evenodd");
  }

  // Corners of an oriented box centred at (x, y): length along yaw, width across.
  static boxCorners(x, y, yaw, length, width) {
    const c = Math.cos(yaw), s = Math.sin(yaw), hl = length / 2, hw = width / 2;
    return [[hl, hw], [-hl, hw], [-hl, -hw], [hl, -hw]].map(([u, v]) => [x + c * u - s * v, y + s * u + c * v]);
  }

  box(x, y, yaw, length, width, fill, stroke, lineWidth = 1) {
    const c = this.ctx;
    this.trace(View.boxCorners(x, y, yaw, length, width), true);
    if (fill) { c.fillStyle = fill; c.fill(); }
    if (stroke) { c.strokeStyle = stroke; c.lineWidth = lineWidth; c.stroke(); }
    // heading tick
    const [px, py] = this.toScreen(x, y);
    const [qx, qy] = this.toScreen(x + Math.cos(yaw) * length / 2, y + Math.sin(yaw) * length / 2);
    c.beginPath(); c.moveTo(px, py); c.lineTo(qx, qy);
    c.strokeStyle = stroke || "#000"; c.lineWidth = 1; c.stroke();
  }

  label(x, y, text, color = "#fff", dy = -8) {
    const c = this.ctx;
    const [px, py] = this.toScreen(x, y);
    c.font = "11px system-ui, sans-serif";
    c.textAlign = "center";
    c.lineWidth = 3; c.strokeStyle = "rgba(0,0,0,0.75)";
    c.strokeText(text, px, py + dy);
    c.fillStyle = color;
    c.fillText(text, px, py + dy);
  }

  // A square of half side `r` px centred at the world point (x, y): a handle.
  square(x, y, r, fill, stroke) {
    const c = this.ctx;
    const [px, py] = this.toScreen(x, y);
    c.beginPath(); c.rect(px - r, py - r, 2 * r, 2 * r);
    if (fill) { c.fillStyle = fill; c.fill(); }
    if (stroke) { c.strokeStyle = stroke; c.lineWidth = 1.5; c.stroke(); }
  }

  dot(x, y, r, fill, stroke) {
    const c = this.ctx;
    const [px, py] = this.toScreen(x, y);
    c.beginPath(); c.arc(px, py, r, 0, Math.PI * 2);
    if (fill) { c.fillStyle = fill; c.fill(); }
    if (stroke) { c.strokeStyle = stroke; c.lineWidth = 1.5; c.stroke(); }
  }
}

export function rgb(c, alpha = 1) {
  return alpha >= 1 ? `rgb(${c[0]},${c[1]},${c[2]})` : `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;
}

export function pointInPolygon(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function inBox(x, y, bx, by, yaw, length, width, margin = 0) {
  const c = Math.cos(yaw), s = Math.sin(yaw), dx = x - bx, dy = y - by;
  const u = c * dx + s * dy, v = -s * dx + c * dy;
  return Math.abs(u) <= length / 2 + margin && Math.abs(v) <= width / 2 + margin;
}
