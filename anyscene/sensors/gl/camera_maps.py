"""Camera maps by OpenGL rasterisation instead of ray casting: the same CameraFrame (class, depth, instance,
normal, hit point per pixel) from a headless OpenGL context (moderngl on EGL: Mesa's llvmpipe on a CPU, the
NVIDIA driver on a GPU, the same code).

Each pixel keeps the triangle whose surface the ray through its centre meets first, as the ray caster does:
the fragment shader intersects that ray with the fragment's triangle plane (float32) and writes the hit
distance as the fragment's depth, so the depth test compares exact ray distances (linear, 24 bits over
FAR m: 0.3 mm). The triangle's table entry (by gl_PrimitiveID) gives class and instance; the normal is the
perspective-correct interpolation of the corner normals (the ray caster's barycentric interpolation on
curved triangles; the face normal, to float rounding, on flat ones); the hit point is eye + direction ×
distance, all written by the shader, so the CPU only unpacks them.

Agreement with ray casting (tests/sensors/test_gl_camera.py, every example layout): triangle ids differ only
on edges shared by triangles (coverage rules differ at the last bit there); class and instance on those pixels
agree wherever the triangles sharing an edge carry the same labels; depth within float32 rounding.
"""
from __future__ import annotations

import threading

import numpy as np

from ..meshes import GROUND_LOOKUP, TriangleMesh

FAR = 5000.0  # m, the farthest hit a camera keeps (the ground plane ends 1 km beyond the map)
NEAR = 0.05  # m
TABLE_WIDTH = 4096  # texels per row of the per-triangle table texture

_VERTEX = """
#version 330
uniform mat4 proj;       // camera frame (OpenCV) -> clip, y flipped so image row v is framebuffer row v
uniform mat3 world2cam;
uniform vec3 eye;
in vec3 in_pos;
in vec3 in_nrm;
out vec3 v_nrm;
void main() {
    v_nrm = in_nrm;
    gl_Position = proj * vec4(world2cam * (in_pos - eye), 1.0);
}
"""

_FRAGMENT = """
#version 330
uniform sampler2D planes;  // per triangle: texel 2i = (face normal, label), texel 2i + 1 = (first corner, 0)
uniform mat3 pix2dir;      // world ray direction (unit camera-frame depth) of pixel coordinates (x, y, 1)
uniform vec3 eye;
uniform uint base;         // id of this draw's first triangle
uniform float far;
in vec3 v_nrm;
layout(location = 0) out uvec2 out_id;   // triangle id + 1, label (class + 256 · instance)
layout(location = 1) out float out_t;    // ray distance (= depth: directions have unit camera depth)
layout(location = 2) out vec3 out_nrm;   // unit normal
layout(location = 3) out vec3 out_pos;   // hit point
ivec2 texel(uint i) { return ivec2(int(i % 4096u), int(i / 4096u)); }
void main() {
    uint tri = base + uint(gl_PrimitiveID);
    vec4 nl = texelFetch(planes, texel(2u * tri), 0);
    vec3 n = nl.xyz;
    vec3 v0 = texelFetch(planes, texel(2u * tri + 1u), 0).xyz;
    vec3 dir = pix2dir * vec3(gl_FragCoord.xy, 1.0);
    float t = dot(n, v0 - eye) / dot(n, dir);
    gl_FragDepth = clamp(t / far, 0.0, 1.0);
    out_id = uvec2(tri + 1u, uint(nl.w));
    out_t = t;
    out_nrm = normalize(v_nrm);
    out_pos = eye + dir * t;
}
"""


def create_context():
    """A headless OpenGL 3.3+ context on EGL (RuntimeError with what to install when there is none).
    ANYSCENE_NO_EGL=1 in the environment acts as if there were none (to use or test the fallback path)."""
    import os

    if os.environ.get("ANYSCENE_NO_EGL", "") not in ("", "0"):
        raise RuntimeError("EGL disabled by ANYSCENE_NO_EGL")
    try:
        import moderngl
    except ImportError as e:  # pragma: no cover - moderngl is a dependency
        raise RuntimeError(f"the GL camera path needs moderngl: {e}") from None
    try:
        return moderngl.create_context(standalone=True, backend="egl", require=330)
    except Exception as e:
        raise RuntimeError(f"no headless OpenGL (EGL) context: {e}; install libegl1 and libgl1-mesa-dri") from None


_LOCAL = threading.local()


def shared_context():
    """This thread's headless context, created on first use (GL contexts belong to one thread); the GL camera
    maps and the GL renderer of one thread share it."""
    ctx = getattr(_LOCAL, "ctx", None)
    if ctx is None:
        ctx = _LOCAL.ctx = create_context()
    return ctx


class _MeshBuffers:
    """One mesh's triangles as non-indexed vertices (3 per triangle) with corner normals, on the GPU."""

    def __init__(self, ctx, prog, mesh: TriangleMesh):
        tri = mesh.triangles.astype(np.int64)
        pos = mesh.vertices[tri].reshape(-1, 3)
        nrm = (mesh.vertex_normal if mesh.vertex_normal is not None
               else np.repeat(mesh.normal[:, None, :], 3, axis=1)).reshape(-1, 3)
        data = np.ascontiguousarray(np.concatenate([pos, nrm], axis=1), dtype=np.float32)
        self.vbo = ctx.buffer(data.tobytes())
        self.vao = ctx.vertex_array(prog, [(self.vbo, "3f 3f", "in_pos", "in_nrm")])
        self.count = mesh.num_triangles

    def release(self) -> None:
        self.vao.release()
        self.vbo.release()


def _plane_table(ctx, meshes: list[TriangleMesh]):
    """The per-triangle (normal, first corner) texture of the meshes' triangles, in order."""
    parts = []
    for m in meshes:
        if m.num_triangles:
            v0 = m.vertices[m.triangles[:, 0].astype(np.int64)]
            rows = np.zeros((m.num_triangles, 2, 4), np.float32)
            rows[:, 0, :3], rows[:, 1, :3] = m.normal, v0
            # The label as an exact float (< 2^24): Occ3D id in the low byte, instance above.
            rows[:, 0, 3] = m.occ3d.astype(np.float32) + np.float32(256) * m.instance.astype(np.float32)
            parts.append(rows.reshape(-1, 4))
    flat = np.concatenate(parts) if parts else np.zeros((1, 4), np.float32)
    h = -(-flat.shape[0] // TABLE_WIDTH)
    tex = np.zeros((h * TABLE_WIDTH, 4), np.float32)
    tex[:flat.shape[0]] = flat
    t = ctx.texture((TABLE_WIDTH, h), 4, tex.tobytes(), dtype="f4")
    t.filter = (0x2600, 0x2600)  # GL_NEAREST (texelFetch ignores it; the texture stays complete)
    return t


class GLCameraMaps:
    """Camera maps of a static mesh plus per-instant agent meshes by rasterisation; see the module docstring.
    `ground` is the StaticMap whose ground raster classes GROUND_LOOKUP hits (None: no lookup)."""

    def __init__(self, static: TriangleMesh, ground=None, ctx=None):
        self.ctx = ctx if ctx is not None else shared_context()
        self.static, self.ground = static, ground
        self.prog = self.ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        self.prog["planes"].value = 0
        self.prog["far"].value = FAR
        self._static = _MeshBuffers(self.ctx, self.prog, static)
        self._targets: dict[tuple[int, int], tuple] = {}
        self._dynamic: tuple[int, TriangleMesh, object, object, dict] | None = None

    # ------------------------------------------------------------------------------------------- set-up
    def _framebuffer(self, width: int, height: int):
        key = (width, height)
        if key not in self._targets:
            ids = self.ctx.texture(key, 2, dtype="u4")
            dist = self.ctx.texture(key, 1, dtype="f4")
            nrm = self.ctx.texture(key, 3, dtype="f4")
            pos = self.ctx.texture(key, 3, dtype="f4")
            depth = self.ctx.depth_texture(key)
            self._targets[key] = (self.ctx.framebuffer([ids, dist, nrm, pos], depth), ids, dist, nrm, pos)
        return self._targets[key]

    def _agents(self, dynamic: TriangleMesh | None):
        """GPU buffers and the plane table of static + `dynamic` (cached for the last mesh)."""
        if self._dynamic is not None and self._dynamic[1] is dynamic:
            return self._dynamic
        if self._dynamic is not None:
            _, _, buf, table, _ = self._dynamic
            if buf is not None:
                buf.release()
            table.release()
        meshes = [self.static] + ([dynamic] if dynamic is not None and dynamic.num_triangles else [])
        buf = _MeshBuffers(self.ctx, self.prog, meshes[1]) if len(meshes) > 1 else None
        table = _plane_table(self.ctx, meshes)
        self._dynamic = (id(dynamic), dynamic, buf, table, None)
        return self._dynamic

    # ------------------------------------------------------------------------------------------- render
    def render(self, camera, ego, t: float, dynamic: TriangleMesh | None = None):
        """The CalibratedCameraFrame of `camera` at ego pose `ego`, time t, seeing the static mesh and the
        `dynamic` mesh (the agents at t)."""
        import moderngl

        from ...classes import FREE
        from ..camera import CalibratedCameraFrame, camera_to_world
        from ..raycast import ground_class

        w, h = camera.width, camera.height
        fbo, ids_tex, dist_tex, nrm_tex, pos_tex = self._framebuffer(w, h)
        _, _, buf, table, _ = self._agents(dynamic)
        rot, eye = camera_to_world(camera, ego)
        k = np.asarray(camera.intrinsic, dtype=np.float64)
        fx, fy, cx, cy = k[0, 0], k[1, 1], k[0, 2], k[1, 2]
        proj = np.zeros((4, 4))
        proj[0, 0], proj[0, 2] = 2 * fx / w, 2 * cx / w - 1
        proj[1, 1], proj[1, 2] = 2 * fy / h, 2 * cy / h - 1
        proj[2, 2], proj[2, 3] = (FAR + NEAR) / (FAR - NEAR), -2 * FAR * NEAR / (FAR - NEAR)
        proj[3, 2] = 1.0
        # Pixel (x, y) = (u + 0.5, v + 0.5) -> world direction with unit camera depth.
        pix2dir = rot @ np.linalg.inv(k)
        p = self.prog
        p["proj"].write(proj.T.astype(np.float32).tobytes())
        p["world2cam"].write(rot.astype(np.float32).tobytes())  # column-major of rot.T
        p["eye"].value = tuple(float(v) for v in eye)
        p["pix2dir"].write(pix2dir.T.astype(np.float32).tobytes())
        ctx = self.ctx
        fbo.use()
        ctx.viewport = (0, 0, w, h)
        ctx.enable_only(moderngl.DEPTH_TEST)  # no blending, no face culling: both sides of a triangle are seen
        ctx.depth_func = "<"
        fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        table.use(0)
        p["base"].value = 0
        self._static.vao.render(vertices=self._static.count * 3)
        if buf is not None:
            p["base"].value = self.static.num_triangles
            buf.vao.render(vertices=buf.count * 3)
        # Each map straight into its own new array (frames outlive this call).
        ids = np.empty((h * w, 2), np.uint32)
        depth = np.empty((h, w), np.float32)
        normal = np.empty((h, w, 3), np.float32)
        points = np.empty((h, w, 3), np.float32)
        for tex, arr in ((ids_tex, ids), (dist_tex, depth), (nrm_tex, normal), (pos_tex, points)):
            tex.read_into(arr)
        miss = (ids[:, 0] == 0).reshape(h, w)
        lab = ids[:, 1]
        occ3d = (lab & np.uint32(255)).astype(np.uint8)
        instance = (lab >> np.uint32(8)).astype(np.uint16)
        occ3d[miss.reshape(-1)] = FREE
        if miss.any():
            depth[miss] = 0.0
            points[miss] = np.nan
        points = points.reshape(-1, 3)
        if self.ground is not None:
            g = np.flatnonzero(occ3d == GROUND_LOOKUP)
            if g.size:
                occ3d[g] = ground_class(self.ground, points[g, 0], points[g, 1])
        return CalibratedCameraFrame(
            channel=camera.channel, t=float(t), ego=ego, semantic=occ3d.reshape(h, w), depth=depth,
            instance=instance.reshape(h, w), normal=normal, points=points.reshape(h, w, 3), camera=camera)

    def release(self) -> None:
        for fbo, *textures in self._targets.values():
            fbo.release()
            for tex in textures:
                tex.release()
        self._static.release()
        self.prog.release()


class GLWorldCameras:
    """The GL camera path of a WorldScene (anyscene.sensors.raycast): its static mesh uploaded once, its agent
    mesh per instant; `render(camera, ego, t)` like anyscene.sensors.camera.render_camera."""

    def __init__(self, scene, ctx=None):
        self.scene = scene
        self.maps = GLCameraMaps(scene.static.mesh, scene.static.static_map, ctx)

    def render(self, camera, ego, t: float):
        snap = self.scene.snapshot(t)
        return self.maps.render(camera, ego, t, snap.dynamic)
