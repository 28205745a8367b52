"""The GL renderer (registered as `gl`): the raster renderer's look in GLSL on the headless OpenGL context of
the GL camera path. The fragment shader (anyscene.render.gl_shaders) is a port of the raster renderer's
per-pixel shading and reads the same tables (anyscene.render.gl_tables): the same procedural materials and
noise, painted lane lines, stop lines, zebra crossings and kerbs, building colours and windows, vehicle glass,
wheels and lamps, shape parts, wet ground and puddles, the environment (sun, sky and clouds, haze, fog,
adapted exposure), the night lights and the camera effects. Sun shadows come from a shadow map instead of
shadow rays. One rasterisation per camera replaces the numpy shading pass. A reconstructed background
(`map.background`) shows the colours its recording's cameras saw (interpolated across each triangle), through
the same haze and camera effects; the raster renderer draws it in its stylised materials.

Deterministic on a given machine and driver (the GPU's float arithmetic may differ from llvmpipe's).
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from . import gl_shaders as glsl
from .raster_renderer import RasterConfig

MAX_LIGHTS = 64  # nearest night lights a camera's shader sees
SHADOW_SIZE = 4096  # texels of the sun's shadow map
SHADOW_HALF = 120.0  # m, half the side of the square around the ego the shadow map covers
NEAREST = (0x2600, 0x2600)  # GL_NEAREST: tables are read texel by texel


GLRenderConfig = RasterConfig  # the GL renderer takes the raster renderer's settings (`raster.*`)


def _set(prog, name: str, value) -> None:
    """Set a uniform the compiler kept (unused uniforms are optimised away)."""
    if name in prog:
        if isinstance(value, bytes):
            prog[name].write(value)
        else:
            prog[name].value = value


def _vec(v) -> tuple:
    return tuple(float(c) for c in v)


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
        from .shading import _combined_seed
        from .style import load_style

        self.world, self.cameras, self.config, self.seed = world, list(cameras), config, int(seed)
        self.scene = scene if scene is not None else WorldScene(world)
        base = load_style(config.style)
        self.style, self.atmosphere = layout_style(base, world.layout.environment, adapt=config.auto_exposure)
        self.cseed = _combined_seed(self.style.seed, self.seed)
        self.gain = self.style.exposure / max(base.exposure, 1e-6)
        self.fog = max(float(self.style.haze_density) - float(base.haze_density), 0.0)  # beyond clear-day haze
        self.env = light_env(self.style)
        self.effects = CameraEffects(config.vignetting, config.noise, config.shot_noise, config.motion_blur)
        self.lamps = street_lamps(world.layout) if config.lights and self.env.night > 0 else None
        self.ctx = ctx = shared_context()
        self.prog = ctx.program(vertex_shader=glsl.VERTEX, fragment_shader=glsl.FRAGMENT)
        self.sky_prog = ctx.program(vertex_shader=glsl.SKY_VERTEX, fragment_shader=glsl.SKY_FRAGMENT)
        self.shadow_prog = ctx.program(vertex_shader=glsl.SHADOW_VERTEX, fragment_shader=glsl.SHADOW_FRAGMENT)
        self.depth_prog = ctx.program(vertex_shader=glsl.VERTEX, fragment_shader=glsl.DEPTH_FRAGMENT)
        quad = np.array([[-1, -1], [3, -1], [-1, 3]], np.float32)
        self._sky_vbo = ctx.buffer(quad.tobytes())
        self._sky_vao = ctx.vertex_array(self.sky_prog, [(self._sky_vbo, "2f", "in_xy")])
        self._static = self._upload(self.scene.static.mesh)
        self._textures()
        self._targets: dict = {}
        self._shadow = None
        self._shadow_key = None
        self._dyn_key = None
        self._dyn = None
        self._agents_t = None
        self._agents = None

    # ------------------------------------------------------------------------------------------ set-up
    def _upload(self, mesh):
        if mesh is None or not mesh.num_triangles:
            return None
        tri = mesh.triangles.astype(np.int64)
        pos = mesh.vertices[tri].reshape(-1, 3)
        nrm = (mesh.vertex_normal if mesh.vertex_normal is not None
               else np.repeat(mesh.normal[:, None, :], 3, axis=1)).reshape(-1, 3)
        data = np.concatenate([pos, nrm], axis=1).astype(np.float32)
        mat = (mesh.material.astype(np.uint32) if getattr(mesh, "material", None) is not None
               else np.zeros(mesh.num_triangles, np.uint32))
        label = mesh.occ3d.astype(np.uint32) | (mat << np.uint32(8))  # class + 256 · shape material
        colour, cbo = getattr(mesh, "colour", None), None
        if colour is not None:  # + 65536 where recorded: the shader shows the recorded colour
            label |= (colour[:, 0, 3] > 127).astype(np.uint32) << np.uint32(16)
        lab = np.repeat(np.stack([label, mesh.instance.astype(np.uint32)], 1), 3, axis=0)
        vbo = self.ctx.buffer(np.ascontiguousarray(data).tobytes())
        lbo = self.ctx.buffer(np.ascontiguousarray(lab).tobytes())
        attrs = [(vbo, "3f 3f", "in_pos", "in_nrm"), (lbo, "2u", "in_label")]
        if colour is not None:
            cbo = self.ctx.buffer(np.ascontiguousarray(colour.reshape(-1, 4)).tobytes())
            attrs.append((cbo, "4f1", "in_colour"))
        vao = self.ctx.vertex_array(self.prog, attrs)
        svao = self.ctx.vertex_array(self.shadow_prog, [(vbo, "3f 12x", "in_pos")])
        dvao = self.ctx.vertex_array(self.depth_prog, [(vbo, "3f 12x", "in_pos")])
        return vbo, lbo, vao, svao, 3 * mesh.num_triangles, dvao, cbo

    def _texture(self, arr: np.ndarray, dtype: str = "f4"):
        """A 2-D texture of `arr` (rows, cols[, components]), texel (col, row), nearest filtering."""
        arr = np.ascontiguousarray(arr)
        comps = arr.shape[2] if arr.ndim == 3 else 1
        tex = self.ctx.texture((arr.shape[1], arr.shape[0]), comps, arr.tobytes(), dtype=dtype)
        tex.filter = NEAREST
        return tex

    def _textures(self) -> None:
        from . import gl_tables as tables
        from .markings import BuildingIndex, MarkingRaster
        from .noise import noise_bank

        ctx, st = self.ctx, self.style
        self._pal = tables.palettes(st)
        self._tex: dict[str, object] = {
            "materials": self._texture(tables.materials(st, self._pal).reshape(6, 256, 4)),
            "palettes": self._texture(self._pal.rows),
            "vparts": self._texture(tables.vehicle_parts(st, self.env.night)),
            "sparts": self._texture(tables.shape_parts()),
        }
        g = np.ascontiguousarray(self.scene.static.static_map.ground.T.astype(np.uint8))
        self._tex["ground"] = self._texture(g, "u1")
        bank = noise_bank(self.cseed)
        for name, table in (("fbm", bank.fbm), ("grain", bank.grain)):
            levels = tables.noise_levels(table)
            tex = ctx.texture((256, 256), 1, levels[0].tobytes(), dtype="f4")
            tex.build_mipmaps(0, len(levels) - 1)
            for lev, arr in enumerate(levels[1:], start=1):
                tex.write(np.ascontiguousarray(arr).tobytes(), level=lev)
            tex.filter = (0x2700, 0x2600)  # only texelFetch reads it
            self._tex[name] = tex
        b = BuildingIndex.build(self.world)
        self._buildings = b
        self._tex["building_ids"] = self._texture(b.ids.T.astype(np.uint16), "u2")
        self._tex["building_h"] = self._texture(b.heights[None, :])
        atlas = tables.marking_atlas(MarkingRaster.build(self.world))
        self._atlas = atlas
        self._tex["mark_index"] = self._texture(atlas.index, "i4")
        n = atlas.tile + 1
        arr = ctx.texture_array((n, n, len(atlas.tiles)), 4, np.ascontiguousarray(atlas.tiles).tobytes(), dtype="f1")
        arr.filter = NEAREST
        self._tex["mark_tiles"] = arr
        self._units = {name: unit for unit, name in enumerate(
            ("ground", "materials", "palettes", "vparts", "sparts", "fbm", "grain", "building_ids", "building_h",
             "mark_index", "mark_tiles", "agents", "shadow_map"))}

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
                for obj in (*self._dyn[:4], *self._dyn[5:]):
                    if obj is not None:
                        obj.release()
            self._dyn = self._upload(snap.dynamic)
            self._dyn_key = snap
            self._shadow_key = None
        return self._dyn

    def _agent_texture(self, t: float, states, lamps):
        """The agents' boxes and lamp states at t as a texture (built once per instant)."""
        from .gl_tables import agent_table

        if self._agents_t != t:
            if self._agents is not None:
                self._agents.release()
            table = agent_table(states, lamps)
            self._agents = self._texture(table)
            self._agents_n = table.shape[1]
            self._agents_t = t
        return self._agents

    # ------------------------------------------------------------------------------------------ passes
    def _camera_uniforms(self, prog, frame, camera) -> None:
        import zlib

        fx = self.effects
        k = camera.intrinsic
        _set(prog, "intr", (float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2])))
        _set(prog, "fx", float(k[0, 0]))
        _set(prog, "vig", float(fx.vignetting))
        _set(prog, "read_noise", float(fx.noise))
        _set(prog, "shot_noise", float(fx.shot_noise))
        _set(prog, "gain_sqrt", float(np.sqrt(max(self.gain, 1e-3))))
        key = (self.seed * 0x9E3779B1 ^ zlib.crc32(frame.channel.encode()) ^ int(round(frame.t * 1e6))) & 0xFFFFFFFF
        _set(prog, "frame_key", key)

    def _uniforms(self, prog) -> None:
        env, st = self.env, self.style
        vals = {"sun_dir": env.sun_dir, "sun": env.sun, "sky_amb": env.sky_ambient, "ground_amb": env.ground_ambient,
                "haze": env.haze, "zenith": env.zenith, "horizon": env.horizon, "cloud": env.cloud}
        for k, v in vals.items():
            _set(prog, k, _vec(v))
        _set(prog, "haze_density", float(st.haze_density))
        _set(prog, "exposure", float(st.exposure))
        _set(prog, "night", float(env.night))
        _set(prog, "seed", int(self.cseed) & 0xFFFFFFFF)
        vis = self.atmosphere.visibility
        _set(prog, "sky_keep", float(np.exp(-3.912 / vis * 1000.0)) if np.isfinite(vis) else 1.0)
        for name in ("fbm", "grain"):
            _set(prog, name, self._units[name])

    def _surface_uniforms(self, p) -> None:
        from .lighting import srgb_to_linear as lin

        st, pal = self.style, self._pal
        lengths = np.zeros(16, np.int32)
        lengths[:len(pal.length)] = pal.length
        _set(p, "pal_len", lengths.tobytes())
        for name, key in (("hair_row", "hair"), ("skin_row", "skin"), ("paint_row", "paint"),
                          ("pskin_row", "parts_skin"), ("pcloth_row", "parts_cloth")):
            _set(p, name, int(pal.row.get(key, -1)))
        for name, rgb in (("marking_white", st.marking_white), ("marking_yellow", st.marking_yellow),
                          ("curb_color", st.curb_color), ("window_glass", st.window_glass),
                          ("window_lit", st.window_lit)):
            _set(p, name, _vec(lin(rgb)))
        _set(p, "marking_wear", float(st.marking_wear))
        _set(p, "marking_distance", float(st.marking_distance))
        _set(p, "lit_fraction", float(st.window_lit_fraction))
        b, a = self._buildings, self._atlas
        _set(p, "building_box", (float(b.x0), float(b.y0), float(1.0 / b.res), 0.0))
        _set(p, "mark_box", (a.tx0, a.ty0, a.tile, a.tile.bit_length() - 1))
        _set(p, "mark_res", float(a.res))
        _set(p, "wetness", float(self.atmosphere.wetness))
        _set(p, "fog_density", self.fog)
        sm = self.scene.static.static_map
        _set(p, "ground_box", (float(sm.x0), float(sm.y0), float(1.0 / sm.res), 0.0))
        for name, unit in self._units.items():
            _set(p, name, unit)

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
        _set(self.shadow_prog, "center", _vec(center))
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
        from ..sensors.gl.camera_maps import FAR, NEAR
        from .camera_fx import CameraEffects, apply_effects
        from .night import scene_lights

        ctx, t = self.ctx, float(frame.t)
        w, h = camera.width, camera.height
        dyn = self._dynamic(t)
        lights, lamps, states = scene_lights(self.world, t, self.lamps, self.env.night, self.config.lights)
        agents = self._agent_texture(t, states, lamps)
        rot, eye = camera_to_world(camera, frame.ego)
        shadows = self.config.shadows and self.atmosphere.sun_shadows and float(self.env.sun.max()) > 0
        center = np.round(np.asarray(frame.ego.translation, np.float64) / 8.0) * 8.0
        ctx.enable_only(moderngl.DEPTH_TEST)
        sun_vp = np.eye(4)
        if shadows:  # one shadow map per instant and map centre, shared by the cameras
            key = (t, tuple(center))
            if self._shadow_key != key:
                self._sun_vp = self._shadow_pass(t, center)
                self._shadow_key = key
            sun_vp = self._sun_vp
        fbo, color = self._framebuffer(w, h)
        fbo.use()
        ctx.viewport = (0, 0, w, h)
        fbo.clear(0.0, 0.0, 0.0, 1.0, depth=1.0)
        k = np.asarray(camera.intrinsic, np.float64)
        pix2dir = rot @ np.linalg.inv(k)
        proj = np.zeros((4, 4))
        proj[0, 0], proj[0, 2] = 2 * k[0, 0] / w, 2 * k[0, 2] / w - 1
        proj[1, 1], proj[1, 2] = 2 * k[1, 1] / h, 2 * k[1, 2] / h - 1
        proj[2, 2], proj[2, 3] = (FAR + NEAR) / (FAR - NEAR), -2 * FAR * NEAR / (FAR - NEAR)
        proj[3, 2] = 1.0
        p = self.prog
        self._uniforms(p)
        self._surface_uniforms(p)
        self._camera_uniforms(p, frame, camera)
        _set(p, "proj", proj.T.astype(np.float32).tobytes())
        _set(p, "world2cam", rot.astype(np.float32).tobytes())
        _set(p, "eye", _vec(eye))
        _set(p, "sun_vp", sun_vp.T.astype(np.float32).tobytes())
        _set(p, "center", _vec(center))
        _set(p, "shadows_on", 1.0 if shadows else 0.0)
        _set(p, "n_agents", int(self._agents_n))
        self._set_lights(p, lights, eye)
        for name, tex in self._tex.items():
            tex.use(self._units[name])
        agents.use(self._units["agents"])
        if self._shadow is not None:
            self._shadow[1].use(self._units["shadow_map"])
        # A depth prepass, then each pixel's visible surface is shaded once (the shader writes no depth, so
        # the depth test runs before it).
        dp = self.depth_prog
        _set(dp, "proj", proj.T.astype(np.float32).tobytes())
        _set(dp, "world2cam", rot.astype(np.float32).tobytes())
        _set(dp, "eye", _vec(eye))
        ctx.depth_func = "<"
        fbo.color_mask = (False, False, False, False)
        for buf in (dyn, self._static):  # near agents first: fewer hidden fragments
            if buf is not None:
                buf[5].render(vertices=buf[4])
        fbo.color_mask = (True, True, True, True)
        fbo.depth_mask = False
        ctx.depth_func = "=="
        for buf in (dyn, self._static):
            if buf is not None:
                buf[2].render(vertices=buf[4])
        fbo.depth_mask = True
        # The sky last, at the far plane, only where nothing was drawn.
        sp, st = self.sky_prog, self.style
        self._uniforms(sp)
        self._camera_uniforms(sp, frame, camera)
        _set(sp, "pix2dir", pix2dir.T.astype(np.float32).tobytes())
        _set(sp, "cloud_cover", float(st.cloud_cover))
        _set(sp, "cloud_scale", float(st.cloud_scale))
        _set(sp, "sun_disc", float(np.radians(st.sun_disc)))
        _set(sp, "pixel_angle", float(1.0 / k[0, 0]))
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
