"""The GL renderer (registered as `gl`): the raster renderer's light in GLSL on the headless OpenGL context of
the GL camera path. The same environment (anyscene.render.environment: sun, sky, haze, fog, wet ground,
adapted exposure), the same night lights (anyscene.render.night) and the same camera effects
(anyscene.render.camera_fx), with sun shadows from a shadow map instead of shadow rays, and simpler procedural
materials than the numpy raster renderer (class and per-instance colours, value noise, a window grid on
buildings, a glazing band on vehicles; no painted markings). It trades look for speed: one rasterisation per
camera instead of a per-pixel numpy shading pass.

Deterministic on a given machine and driver (the GPU's float arithmetic may differ from llvmpipe's).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from ..classes import OCC3D_NAMES
from .raster_renderer import RasterConfig

MAX_LIGHTS = 64  # nearest night lights a camera's shader sees
SHADOW_SIZE = 4096  # texels of the sun's shadow map
SHADOW_HALF = 120.0  # m, half the side of the square around the ego the shadow map covers
KIND = {"plain": 0, "asphalt": 1, "concrete": 2, "paving": 3, "grass": 4, "foliage": 5, "facade": 6,
        "vehicle": 7, "cycle": 8, "person": 9, "cone": 10, "barrier": 11}
PALETTE_ROWS = ("paint", "clothing", "facade")


@dataclass
class GLRenderConfig(RasterConfig):
    """Settings of the GL renderer: those of the raster renderer (style, shadows, lights, exposure, effects)."""


_VERTEX = """
#version 330
uniform mat4 proj;
uniform mat3 world2cam;
uniform vec3 eye;
in vec3 in_pos;
in vec3 in_nrm;
in uvec2 in_label;
out vec3 v_pos;
out vec3 v_nrm;
flat out uvec2 v_label;
void main() {
    v_pos = in_pos; v_nrm = in_nrm; v_label = in_label;
    gl_Position = proj * vec4(world2cam * (in_pos - eye), 1.0);
}
"""

_SHADOW_VERTEX = """
#version 330
uniform mat4 sun_vp;
uniform vec3 center;
in vec3 in_pos;
void main() { gl_Position = sun_vp * vec4(in_pos - center, 1.0); }
"""
_SHADOW_FRAGMENT = "#version 330\nvoid main() {}\n"

_COMMON = """
uniform vec3 sun_dir; uniform vec3 sun; uniform vec3 sky_amb; uniform vec3 ground_amb; uniform vec3 haze;
uniform vec3 zenith; uniform vec3 horizon; uniform float haze_density; uniform float exposure;
uniform float sky_keep;
vec3 tone(vec3 rad) {
    vec3 x = rad * exposure;
    vec3 y = clamp(x * (1.0 + x / 16.0) / (1.0 + x), 0.0, 1.0);
    return mix(12.92 * y, 1.055 * pow(y, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, y));
}
uniform float vig; uniform float read_noise; uniform float shot_noise; uniform float gain_sqrt;
uniform uint frame_key; uniform vec4 intr;  // fx, fy, cx, cy
uint fhash(uint x) { x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; x ^= x >> 16; return x; }
// The camera's vignetting (cos^4, blended by `vig`) and sensor noise (read + shot, scaled by the exposure
// gain) on the 8-bit value, as anyscene.render.camera_fx does on the CPU.
vec3 finish(vec3 srgb) {
    vec2 q = (gl_FragCoord.xy - intr.zw) / intr.xy;
    float c2 = 1.0 / (1.0 + dot(q, q));
    vec3 v = clamp(srgb, 0.0, 1.0) * 255.0 * (1.0 - vig * (1.0 - c2 * c2));
    if (read_noise > 0.0 || shot_noise > 0.0) {
        uint k = fhash(uint(gl_FragCoord.x) * 0x9E3779B9u ^ fhash(uint(gl_FragCoord.y) ^ frame_key));
        vec3 n;
        for (int c = 0; c < 3; c++) {  // the sum of two uniforms (16 bits each of one hash): unit variance
            k = fhash(k + uint(c));
            n[c] = (float(k & 0xFFFFu) + float(k >> 16)) / 65536.0 * 2.4494897 - 2.4494897;
        }
        v += sqrt(read_noise * read_noise + shot_noise * v) * gain_sqrt * n;
    }
    return clamp(v, 0.0, 255.0) / 255.0;
}
vec3 sky(vec3 d) {
    float t = sqrt(clamp(d.z, 0.0, 1.0));
    vec3 c = mix(horizon, zenith, t) * (1.0 + 1.5 * clamp(d.z, -0.4, 0.0));
    float ang = sqrt(max(2.0 * (1.0 - dot(d, sun_dir)), 0.0));
    c += sun * (0.08 * exp(-18.0 * ang) + 0.03 * exp(-3.0 * ang) + 30.0 * step(ang, 0.0157));
    return haze + (c - haze) * sky_keep;
}
"""

_SKY_FRAGMENT = """
#version 330
uniform mat3 pix2dir;
""" + _COMMON + """
out vec4 frag;
void main() { frag = vec4(finish(tone(sky(normalize(pix2dir * vec3(gl_FragCoord.xy, 1.0))))), 1.0); }
"""
_SKY_VERTEX = """
#version 330
in vec2 in_xy;
void main() { gl_Position = vec4(in_xy, 1.0, 1.0); }
"""

_FRAGMENT = """
#version 330
uniform vec3 eye;
uniform usampler2D ground;  // Occ3D class of the ground raster
uniform vec4 ground_box;    // x0, y0, 1/res, unused
uniform sampler2D materials; // row 0: colour + jitter, row 1: spec, shininess, kind, scale
uniform sampler2D palettes;  // rows: paint, clothing, facade (16 colours each)
uniform sampler2DShadow shadow_map;
uniform mat4 sun_vp; uniform vec3 center; uniform float shadows_on;
uniform vec4 lpos[64]; uniform vec4 ldir[64]; uniform vec4 lcol[64]; uniform int n_lights;
uniform float night; uniform float wetness; uniform uint seed;
""" + _COMMON + """
in vec3 v_pos; in vec3 v_nrm; flat in uvec2 v_label;
out vec4 frag;
uint hash(uint x) { x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; x ^= x >> 16; return x; }
float h01(uint x) { return float(hash(x ^ seed) >> 8) / 16777216.0; }
float cellnoise(vec2 p) {
    vec2 i = floor(p); vec2 f = fract(p); f = f * f * (3.0 - 2.0 * f);
    uint a = uint(int(i.x)) * 73856093u, b = uint(int(i.y)) * 19349663u;
    float n00 = h01(a ^ b), n10 = h01((a + 73856093u) ^ b), n01 = h01(a ^ (b + 19349663u));
    float n11 = h01((a + 73856093u) ^ (b + 19349663u));
    return mix(mix(n00, n10, f.x), mix(n01, n11, f.x), f.y) * 2.0 - 1.0;
}
void main() {
    uint cls = v_label.x, inst = v_label.y;
    if (cls == 255u) {
        ivec2 c = clamp(ivec2((v_pos.xy - ground_box.xy) * ground_box.z), ivec2(0), textureSize(ground, 0) - 1);
        cls = texelFetch(ground, c, 0).r;
    }
    vec3 n = normalize(v_nrm);
    vec4 m0 = texelFetch(materials, ivec2(int(cls), 0), 0);
    vec4 m1 = texelFetch(materials, ivec2(int(cls), 1), 0);
    int kind = int(m1.z + 0.5);
    bool wall = abs(n.z) < 0.7;
    vec2 uv = wall ? vec2(dot(v_pos.xy, normalize(vec2(-n.y, n.x))), v_pos.z) : v_pos.xy;
    float dist = length(v_pos - eye);
    float g = cellnoise(uv * (dist < 30.0 ? 2.0 : 0.7));
    vec3 albedo = m0.rgb * clamp(1.0 + m0.a * g, 0.05, 3.0);
    float spec = m1.x, shin = m1.y;
    vec3 emit = vec3(0.0);
    if (kind == 7 || kind == 8 || kind == 9) {  // vehicles, riders, people: one colour per instance
        int row = kind == 7 ? 0 : 1;
        albedo = texelFetch(palettes, ivec2(int(hash(inst * 31u + seed) % 16u), row), 0).rgb;
        if (kind == 7 && wall && v_pos.z > 0.6 * 1.5 && v_pos.z < 0.93 * 1.5 + 1.5 * float(cls == 3u || cls == 10u)) {
            albedo = vec3(0.008, 0.01, 0.015); spec = 1.0; shin = 800.0;
        }
    }
    if (kind == 6 && wall) {  // a window grid on walls; lit at night by a hash per window
        float fl = floor(v_pos.z / 3.3 - 0.3), bay = floor(uv.x / 3.0);
        vec2 f = vec2(fract(uv.x / 3.0), fract(v_pos.z / 3.3 - 0.3));
        uint b = uint(int(floor(v_pos.x / 40.0))) * 92837111u ^ uint(int(floor(v_pos.y / 40.0))) * 689287499u;
        albedo = texelFetch(palettes, ivec2(int(hash(b) % 16u), 2), 0).rgb * clamp(1.0 + 0.3 * g, 0.5, 1.5);
        if (fl >= 0.0 && abs(f.x - 0.5) < 0.28 && f.y > 0.28 && f.y < 0.82) {
            albedo = vec3(0.016, 0.025, 0.038); spec = 0.6; shin = 400.0;
            if (h01(b ^ uint(int(fl)) * 7919u ^ uint(int(bay)) * 104729u) < 0.45)
                emit = night * 0.35 * vec3(1.0, 0.55, 0.2);
        }
    }
    if (wetness > 0.0 && (cls >= 11u && cls <= 13u)) {  // wet road, other flat, sidewalk
        albedo *= 1.0 - 0.5 * wetness; spec += 0.5 * wetness; shin = max(shin, 60.0);
    }
    float ndl = max(dot(n, sun_dir), 0.0);
    float lit = 1.0;
    if (shadows_on > 0.5 && ndl > 0.0) {
        vec4 s = sun_vp * vec4(v_pos + 0.05 * n - center, 1.0);
        vec3 sc = s.xyz * 0.5 + 0.5;
        if (all(greaterThan(sc, vec3(0.0))) && all(lessThan(sc, vec3(1.0))))
            lit = texture(shadow_map, vec3(sc.xy, sc.z - 0.0005));  // linear filtering: 2x2 PCF in one fetch
    }
    vec3 light = mix(ground_amb, sky_amb, 0.5 + 0.5 * n.z) + sun * ndl * lit;
    vec3 rad = albedo * light;
    vec3 v = normalize(eye - v_pos);
    if (shin > 8.0) {
        vec3 hv = normalize(v + sun_dir);
        rad += sun * spec * ndl * lit * pow(max(dot(n, hv), 1e-4), shin) * (shin + 8.0) / 25.13;
    }
    for (int i = 0; i < n_lights; i++) {
        vec3 l = lpos[i].xyz - v_pos; float d2 = dot(l, l) + 0.05; l *= inversesqrt(d2);
        float r = lpos[i].w;
        float cone = clamp((dot(-l, ldir[i].xyz) - ldir[i].w) / max(lcol[i].w - ldir[i].w, 1e-3), 0.0, 1.0);
        float w = max(dot(n, l), 0.0) * cone * cone * clamp(1.0 - d2 / (r * r), 0.0, 1.0) / d2;
        rad += albedo * lcol[i].rgb * w;
        if (shin > 8.0)
            rad += lcol[i].rgb * w * spec * pow(max(dot(n, normalize(l + v)), 1e-4), shin) * (shin + 8.0) / 25.13;
    }
    rad += emit;
    rad = haze + (rad - haze) * exp(-haze_density * dist);
    frag = vec4(finish(tone(rad)), 1.0);
}
"""


def _set(prog, name: str, value) -> None:
    """Set a uniform the compiler kept (unused uniforms are optimised away)."""
    if name in prog:
        if isinstance(value, bytes):
            prog[name].write(value)
        else:
            prog[name].value = value


def _lin(rgb) -> np.ndarray:
    from .lighting import srgb_to_linear

    return srgb_to_linear(rgb)


class GLRenderer:
    """RGB of camera instants in GLSL; see the module docstring. Runs in the thread that iterates
    render_stream (its GL context is that thread's)."""

    def __init__(self, world, cameras, config: GLRenderConfig, *, seed: int, scene=None, workers: int = 2):
        from ..sensors.gl import shared_context
        from ..sensors.raycast import WorldScene
        from .camera_fx import CameraEffects
        from .environment import layout_style
        from .lighting import light_env
        from .night import street_lamps
        from .style import load_style

        self.world, self.cameras, self.config, self.seed = world, list(cameras), config, int(seed)
        self.scene = scene if scene is not None else WorldScene(world)
        base = load_style(config.style)
        self.style, self.atmosphere = layout_style(base, world.layout.environment, adapt=config.auto_exposure)
        self.gain = self.style.exposure / max(base.exposure, 1e-6)
        self.env = light_env(self.style)
        self.effects = CameraEffects(config.vignetting, config.noise, config.shot_noise, config.motion_blur)
        self.lamps = street_lamps(world.layout) if config.lights and self.env.night > 0 else None
        self.ctx = ctx = shared_context()
        self.prog = ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        self.sky_prog = ctx.program(vertex_shader=_SKY_VERTEX, fragment_shader=_SKY_FRAGMENT)
        self.shadow_prog = ctx.program(vertex_shader=_SHADOW_VERTEX, fragment_shader=_SHADOW_FRAGMENT)
        quad = np.array([[-1, -1], [3, -1], [-1, 3]], np.float32)
        self._sky_vbo = ctx.buffer(quad.tobytes())
        self._sky_vao = ctx.vertex_array(self.sky_prog, [(self._sky_vbo, "2f", "in_xy")])
        self._static = self._upload(self.scene.static.mesh)
        self._textures()
        self._targets: dict = {}
        self._shadow = None
        self._dyn_key = None
        self._dyn = None

    # ------------------------------------------------------------------------------------------ set-up
    def _upload(self, mesh):
        if mesh is None or not mesh.num_triangles:
            return None
        tri = mesh.triangles.astype(np.int64)
        pos = mesh.vertices[tri].reshape(-1, 3)
        nrm = (mesh.vertex_normal if mesh.vertex_normal is not None
               else np.repeat(mesh.normal[:, None, :], 3, axis=1)).reshape(-1, 3)
        data = np.concatenate([pos, nrm], axis=1).astype(np.float32)
        lab = np.repeat(np.stack([mesh.occ3d.astype(np.uint32), mesh.instance.astype(np.uint32)], 1), 3, axis=0)
        vbo = self.ctx.buffer(np.ascontiguousarray(data).tobytes())
        lbo = self.ctx.buffer(np.ascontiguousarray(lab).tobytes())
        vao = self.ctx.vertex_array(self.prog, [(vbo, "3f 3f", "in_pos", "in_nrm"), (lbo, "2u", "in_label")])
        svao = self.ctx.vertex_array(self.shadow_prog, [(vbo, "3f 12x", "in_pos")])
        return vbo, lbo, vao, svao, 3 * mesh.num_triangles

    def _textures(self) -> None:
        ctx, st = self.ctx, self.style
        mats = np.zeros((2, 256, 4), np.float32)
        from .surface import shininess

        for i, name in enumerate(OCC3D_NAMES):
            m = st.materials.get(name)
            if m is None:
                continue
            mats[0, i, :3], mats[0, i, 3] = _lin(m.color), m.jitter
            mats[1, i] = (m.specular, shininess(m.roughness), KIND[m.texture], m.scale)
        self._materials = ctx.texture((256, 2), 4, mats.tobytes(), dtype="f4")
        pal = np.zeros((len(PALETTE_ROWS), 16, 4), np.float32)
        for r, name in enumerate(PALETTE_ROWS):
            cols = st.palettes.get(name, ((128, 128, 128),))
            for k in range(16):
                pal[r, k, :3] = _lin(cols[k % len(cols)])
        self._palettes = ctx.texture((16, len(PALETTE_ROWS)), 4, pal.tobytes(), dtype="f4")
        g = np.ascontiguousarray(self.scene.static.static_map.ground.T.astype(np.uint8))
        self._ground = ctx.texture((g.shape[1], g.shape[0]), 1, g.tobytes(), dtype="u1")
        for t in (self._materials, self._palettes, self._ground):
            t.filter = (0x2600, 0x2600)

    def _framebuffer(self, w: int, h: int):
        if (w, h) not in self._targets:
            color = self.ctx.texture((w, h), 3, dtype="f1")
            depth = self.ctx.depth_texture((w, h))
            self._targets[(w, h)] = (self.ctx.framebuffer([color], depth), color)
        return self._targets[(w, h)]

    def _dynamic(self, t: float):
        snap = self.scene.snapshot(t)
        if self._dyn_key is not snap:
            if self._dyn is not None:
                for obj in self._dyn[:4]:
                    obj.release()
            self._dyn = self._upload(snap.dynamic)
            self._dyn_key = snap
            self._shadow_key = None
        return self._dyn

    # ------------------------------------------------------------------------------------------ passes
    def _camera_uniforms(self, prog, frame, camera) -> None:
        import zlib

        fx = self.effects
        k = camera.intrinsic
        _set(prog, "intr", (float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2])))
        _set(prog, "vig", float(fx.vignetting))
        _set(prog, "read_noise", float(fx.noise))
        _set(prog, "shot_noise", float(fx.shot_noise))
        _set(prog, "gain_sqrt", float(np.sqrt(max(self.gain, 1e-3))))
        key = (self.seed * 0x9E3779B1 ^ zlib.crc32(frame.channel.encode()) ^ int(round(frame.t * 1e6))) & 0xFFFFFFFF
        _set(prog, "frame_key", key)

    def _uniforms(self, prog) -> None:
        env, st = self.env, self.style
        vals = {"sun_dir": env.sun_dir, "sun": env.sun, "sky_amb": env.sky_ambient, "ground_amb": env.ground_ambient,
                "haze": env.haze, "zenith": env.zenith, "horizon": env.horizon}
        for k, v in vals.items():
            _set(prog, k, tuple(float(c) for c in v))
        _set(prog, "haze_density", float(st.haze_density))
        _set(prog, "exposure", float(st.exposure))
        vis = self.atmosphere.visibility
        _set(prog, "sky_keep", float(np.exp(-3.912 / vis * 1000.0)) if np.isfinite(vis) else 1.0)

    def _sun_matrix(self, center: np.ndarray) -> np.ndarray:
        """World (relative to `center`) -> shadow-map clip: orthographic along the sun's rays."""
        f = -np.asarray(self.env.sun_dir, np.float64)
        up = np.array([0.0, 0.0, 1.0]) if abs(f[2]) < 0.99 else np.array([0.0, 1.0, 0.0])
        x = np.cross(up, f)
        x /= np.linalg.norm(x)
        y = np.cross(f, x)
        view = np.stack([x, y, f])
        ortho = np.diag([1 / SHADOW_HALF, 1 / SHADOW_HALF, 1 / 600.0])
        m = np.eye(4)
        m[:3, :3] = ortho @ view
        return m

    def _shadow_pass(self, t: float, center: np.ndarray):
        if self._shadow is None:
            tex = self.ctx.depth_texture((SHADOW_SIZE, SHADOW_SIZE))
            tex.compare_func = "<="
            tex.filter = (0x2601, 0x2601)  # GL_LINEAR: hardware PCF on the comparison
            self._shadow = (self.ctx.framebuffer(depth_attachment=tex), tex)
        fbo, tex = self._shadow
        m = self._sun_matrix(center)
        _set(self.shadow_prog, "sun_vp", m.T.astype(np.float32).tobytes())
        _set(self.shadow_prog, "center", tuple(float(c) for c in center))
        fbo.use()
        self.ctx.viewport = (0, 0, SHADOW_SIZE, SHADOW_SIZE)
        fbo.clear(depth=1.0)
        for buf in (self._static, self._dyn):
            if buf is not None:
                buf[3].render(vertices=buf[4])
        return m

    def render(self, frame, camera) -> np.ndarray:
        """The (H, W, 3) uint8 image of one CameraFrame of `camera` (the frame supplies time, pose and the
        depth the lamp glows are occluded by)."""
        import moderngl

        from ..sensors.camera import camera_to_world
        from .camera_fx import CameraEffects, apply_effects

        ctx, t = self.ctx, float(frame.t)
        w, h = camera.width, camera.height
        dyn = self._dynamic(t)
        rot, eye = camera_to_world(camera, frame.ego)
        shadows = self.config.shadows and self.atmosphere.sun_shadows and float(self.env.sun.max()) > 0
        center = np.round(np.asarray(frame.ego.translation, np.float64) / 8.0) * 8.0
        ctx.enable_only(moderngl.DEPTH_TEST)
        sun_vp = np.eye(4)
        if shadows:  # one shadow map per instant and map centre, shared by the cameras
            key = (t, tuple(center))
            if getattr(self, "_shadow_key", None) != key:
                self._sun_vp = self._shadow_pass(t, center)
                self._shadow_key = key
            sun_vp = self._sun_vp
        fbo, color = self._framebuffer(w, h)
        fbo.use()
        ctx.viewport = (0, 0, w, h)
        fbo.clear(0.0, 0.0, 0.0, 1.0, depth=1.0)
        k = np.asarray(camera.intrinsic, np.float64)
        pix2dir = rot @ np.linalg.inv(k)
        from ..sensors.gl.camera_maps import FAR, NEAR

        proj = np.zeros((4, 4))
        proj[0, 0], proj[0, 2] = 2 * k[0, 0] / w, 2 * k[0, 2] / w - 1
        proj[1, 1], proj[1, 2] = 2 * k[1, 1] / h, 2 * k[1, 2] / h - 1
        proj[2, 2], proj[2, 3] = (FAR + NEAR) / (FAR - NEAR), -2 * FAR * NEAR / (FAR - NEAR)
        proj[3, 2] = 1.0
        p = self.prog
        self._uniforms(p)
        self._camera_uniforms(p, frame, camera)
        _set(p, "proj", proj.T.astype(np.float32).tobytes())
        _set(p, "world2cam", rot.astype(np.float32).tobytes())
        _set(p, "eye", tuple(float(v) for v in eye))
        _set(p, "sun_vp", sun_vp.T.astype(np.float32).tobytes())
        _set(p, "center", tuple(float(c) for c in center))
        _set(p, "shadows_on", 1.0 if shadows else 0.0)
        _set(p, "night", float(self.env.night))
        _set(p, "wetness", float(self.atmosphere.wetness))
        _set(p, "seed", int(self.seed) & 0xFFFFFFFF)
        sm = self.scene.static.static_map
        _set(p, "ground_box", (float(sm.x0), float(sm.y0), float(1.0 / sm.res), 0.0))
        from .night import scene_lights

        lights = scene_lights(self.world, t, self.lamps, self.env.night, self.config.lights)[0]
        self._set_lights(p, lights, eye)
        self._ground.use(0)
        self._materials.use(1)
        self._palettes.use(2)
        for name, unit in (("ground", 0), ("materials", 1), ("palettes", 2), ("shadow_map", 3)):
            _set(p, name, unit)
        if self._shadow is not None:
            self._shadow[1].use(3)
        ctx.depth_func = "<"
        for buf in (dyn, self._static):  # near agents first: fewer hidden fragments shaded
            if buf is not None:
                buf[2].render(vertices=buf[4])
        # The sky last, at the far plane, only where nothing was drawn.
        self._uniforms(self.sky_prog)
        self._camera_uniforms(self.sky_prog, frame, camera)
        _set(self.sky_prog, "pix2dir", pix2dir.T.astype(np.float32).tobytes())
        ctx.depth_func = "<="
        self._sky_vao.render(vertices=3)
        rgb = np.empty((h, w, 3), np.uint8)
        color.read_into(rgb)
        # Vignetting and noise are done in the shader; glow, rain and motion blur, where any, on the CPU.
        atm = self.atmosphere
        if not ((lights is not None and len(lights)) or atm.rain > 0 or atm.contrast < 1.0
                or self.effects.motion_blur > 0):
            return rgb
        before = None
        if self.effects.motion_blur > 0:
            before = self.world.ego_pose(max(t - self.effects.motion_blur, 0.0))
        rest = CameraEffects(0.0, 0.0, 0.0, self.effects.motion_blur)
        return apply_effects(rgb, frame, camera, rest, atm, self.seed, self.gain, lights, before)

    @staticmethod
    def _set_lights(p, lights, eye: np.ndarray) -> None:
        n = 0
        pos = np.zeros((MAX_LIGHTS, 4), np.float32)
        dirs = np.zeros((MAX_LIGHTS, 4), np.float32)
        col = np.zeros((MAX_LIGHTS, 4), np.float32)
        if lights is not None and len(lights):
            d = np.linalg.norm(lights.position - eye.astype(np.float32), axis=1) - lights.reach
            order = np.argsort(d, kind="stable")[:MAX_LIGHTS]
            n = len(order)
            pos[:n, :3], pos[:n, 3] = lights.position[order], lights.reach[order]
            dirs[:n, :3], dirs[:n, 3] = lights.direction[order], lights.cos_outer[order]
            col[:n, :3], col[:n, 3] = lights.color[order], lights.cos_inner[order]
        _set(p, "lpos", pos.tobytes())
        _set(p, "ldir", dirs.tobytes())
        _set(p, "lcol", col.tobytes())
        _set(p, "n_lights", n)

    # ------------------------------------------------------------------------------------------ stream
    def render_stream(self, instants: Iterable[tuple[int, int, list]]) -> Iterator[tuple[int, int, list[np.ndarray]]]:
        for j, us, frames in instants:
            yield j, us, [self.render(f, c) for f, c in zip(frames, self.cameras)]
