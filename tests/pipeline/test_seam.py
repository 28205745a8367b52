"""The renderer seam holds: outside the scene stream (anyscene/pipeline/) nothing builds a renderer, a ray
scene or camera maps itself. Editor previews, diffusion conditions (synthetic and real), training data and the
render tools go through the SensorSuite (or OccupancyCameras for a grid alone). Read from the source's syntax
tree (ast), so a new bypass fails here however it is imported.

Exempt: the modules that *define* these (anyscene/sensors/, the renderer implementations and their registry in
anyscene/render/) and the benchmarks (tools/bench_*.py), which time the parts one by one by design."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILDERS = {"WorldScene", "StaticGeometry", "VoxelScene", "ShadowScene", "RasterRenderer", "GLRenderer",
            "DiffusionStream", "build_renderer", "render_camera", "render_rgb", "GLWorldCameras", "GLCameraMaps"}
DEFINERS = {"anyscene/render/base.py", "anyscene/render/raster_renderer.py", "anyscene/render/gl_renderer.py",
            "anyscene/render/diffusion_stream.py"}


def _checked_files() -> list[Path]:
    files = [p for p in (ROOT / "anyscene").rglob("*.py")
             if not str(p.relative_to(ROOT)).startswith(("anyscene/pipeline/", "anyscene/sensors/"))
             and str(p.relative_to(ROOT)) not in DEFINERS]
    return files + sorted((ROOT / "tools").glob("render_*.py"))


def bypasses(source: str) -> list[tuple[int, str]]:
    """(line, name) of every call of a builder in `source`: Name(...), x.Name(...) or Name.attr(...)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        names = []
        if isinstance(f, ast.Name):
            names = [f.id]
        elif isinstance(f, ast.Attribute):
            names = [f.attr] + ([f.value.id] if isinstance(f.value, ast.Name) else [])
            if isinstance(f.value, ast.Attribute):
                names.append(f.value.attr)
        out += [(node.lineno, n) for n in names if n in BUILDERS]
    return out


def test_the_checker_sees_every_form_of_bypass():
    src = ("from anyscene.sensors.raycast import WorldScene as W, StaticGeometry\n"
           "import anyscene.render.raster_renderer as rr\n"
           "a = WorldScene(world)\nb = StaticGeometry.build(world)\nc = rr.RasterRenderer(w, c, cfg, seed=0)\n"
           "d = sensors.camera.render_camera(s, c, e, 0.0)\n")
    assert [n for _, n in bypasses(src)] == ["WorldScene", "StaticGeometry", "RasterRenderer", "render_camera"]
    assert bypasses("suite = SensorSuite(world, rig, config)\nsuite.image(cam, 1.0)\n") == []


def test_nothing_outside_the_pipeline_builds_a_renderer_or_a_ray_scene():
    found = []
    for path in _checked_files():
        found += [f"{path.relative_to(ROOT)}:{line}: {name}" for line, name in bypasses(path.read_text())]
    assert not found, "build these through anyscene.pipeline.sensors.SensorSuite:\n" + "\n".join(found)
