"""The layout's environment reaches the raster images: night is dark with headlights where they project, fog
takes contrast away with depth, rain differs from clear, the sampler's weather/time weights change the images,
camera effects are deterministic; the renderer registry and the per-run override behave."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from anyscene.classes import OCC3D_ID
from anyscene.errors import ConfigError
from anyscene.render.camera_fx import CameraEffects, apply_effects, lamp_glow
from anyscene.render.environment import environment_style
from anyscene.render.lighting import light_env, srgb_to_linear
from anyscene.render.night import braking, vehicle_lights
from anyscene.render.shading import render_rgb
from anyscene.render.style import load_style

from test_raster import Pose, cast, make_camera

ROOT = Path(__file__).resolve().parents[2]
Y = np.array([0.2126, 0.7152, 0.0722], np.float32)


def luminance(img: np.ndarray) -> np.ndarray:
    """Relative luminance (linear light) of sRGB uint8 pixels (..., 3)."""
    return srgb_to_linear(img) @ Y


def rig_images(layout, time_of_day: float, weather: str, t: float = 2.0, size=(160, 90), channels=None):
    from anyscene.render.raster_renderer import RasterConfig, RasterRenderer
    from anyscene.sensors.camera import render_camera
    from anyscene.sensors.raycast import WorldScene
    from anyscene.sensors.rig import load_rig
    from anyscene.world import World

    env = dataclasses.replace(layout.environment, time_of_day=time_of_day, weather=weather)
    world = World.compile(dataclasses.replace(layout, environment=env))
    rig = load_rig("nuscenes", size)
    scene = WorldScene(world)
    renderer = RasterRenderer(world, rig.cameras, RasterConfig(), seed=layout.seed, scene=scene)
    cams = [c for c in rig.cameras if channels is None or c.channel in channels]
    return [renderer.render(render_camera(scene, c, world.ego_pose(t), t), c) for c in cams]


@pytest.fixture(scope="module")
def urban():
    from anyscene.layout.yamlio import load_layout

    return load_layout(ROOT / "layouts" / "urban_street.yaml")[0]


def test_night_is_much_darker_than_noon(urban):
    noon = np.mean([luminance(i).mean() for i in rig_images(urban, 12.0, "clear")])
    night = np.mean([luminance(i).mean() for i in rig_images(urban, 21.5, "clear")])
    assert night < 0.4 * noon, (night, noon)
    assert night > 0.02 * noon  # lamps, windows and headlights: not black


def _car_states(x: float, yaw: float, speed: float = 8.0):
    """AgentStates-like: one car at (x, 0) with heading yaw, driving at `speed`."""
    size = np.array([[4.5, 1.9, 1.5]])
    return SimpleNamespace(instance=np.array([1]), occ3d=np.array([OCC3D_ID["car"]], np.uint8),
                           center=np.array([[x, 0.0, 0.75]]), size=size, yaw=np.array([yaw]),
                           velocity=np.array([[speed * np.cos(yaw), speed * np.sin(yaw)]]), present=np.array([True]))


def test_headlights_of_an_approaching_car_are_bright_where_they_project():
    from anyscene.sensors.camera import project

    cam = make_camera(320, 180)
    ego = Pose()
    states = _car_states(20.0, np.pi)  # 20 m ahead, facing the camera
    frame = cast(cam, ego, [(states.center[0], states.size[0], np.pi, OCC3D_ID["car"], 1)])
    style, atm = environment_style(load_style(), 22.0, "clear")
    env = light_env(style)
    assert env.night == 1.0
    lights = vehicle_lights(states).scaled(env.night)
    dark = render_rgb(frame, cam, style, None, 0, agents=states, atmosphere=atm)
    lit = render_rgb(frame, cam, style, None, 0, agents=states, atmosphere=atm, lights=lights)
    img = lit.astype(np.float32)
    lamp_glow(img, frame, cam, lights, 1.0)
    heads = lights.position[lights.direction[:, 0] < 0]  # the front lamps point back along -x, at the camera
    ego_cam = SimpleNamespace(rotation=np.eye(3), translation=np.zeros(3),
                              to_world=lambda p: np.asarray(p) + 0.0)
    uv, z = project(cam, ego_cam, heads)
    assert np.all(z > 0)
    for u, v in uv:
        assert luminance(np.clip(img[int(v), int(u)], 0, 255).astype(np.uint8)) > 0.8  # near white
    # The beams light the road between the car and the camera (not the road beside the car's lane).
    road = (frame.semantic == OCC3D_ID["driveable_surface"])
    px = frame.points
    beam = road & (px[..., 0] > 8) & (px[..., 0] < 17) & (np.abs(px[..., 1]) < 1.0)
    aside = road & (px[..., 0] > 8) & (px[..., 0] < 17) & (np.abs(px[..., 1]) > 5.0)
    gain_beam = luminance(lit)[beam].mean() / luminance(dark)[beam].mean()
    gain_aside = luminance(lit)[aside].mean() / luminance(dark)[aside].mean()
    assert gain_beam > 3.0 and gain_beam > 2.0 * gain_aside, (gain_beam, gain_aside)


def _walls(distances):
    """Pairs of boxes (bright, dark) at each distance, sized with it so each covers the same angle, placed
    at different bearings so none hides another."""
    boxes = []
    for k, d in enumerate(distances):
        bearing = np.radians(-24 + 16 * k)
        for j, cls in enumerate((OCC3D_ID["others"], OCC3D_ID["vegetation"])):
            a = bearing + np.radians(3.5) * j
            s = 0.06 * d
            center = (d * np.cos(a), d * np.sin(a), 0.05 * d + 1.0)
            boxes.append((center, (s, s, 0.1 * d + 2.0), a, cls, 10 * k + j + 1))
    return boxes


def _contrast(img, frame, k):
    lum = luminance(img)
    bright = lum[frame.instance == 10 * k + 1].mean()
    dark = lum[frame.instance == 10 * k + 2].mean()
    return (bright - dark) / (bright + dark)


def test_fog_contrast_falls_with_depth():
    distances = (8.0, 25.0, 50.0, 90.0)
    cam = make_camera(320, 180, fov_deg=80)
    frame = cast(cam, Pose(), _walls(distances))
    flat = load_style(overrides={"materials.others.texture": "plain", "materials.others.color": [235, 235, 235],
                                 "materials.vegetation.texture": "plain", "materials.vegetation.color": [25, 25, 25],
                                 "materials.others.jitter": 0.0, "materials.vegetation.jitter": 0.0})
    contrast = {}
    for weather in ("clear", "fog"):
        style, atm = environment_style(flat, 11.0, weather)
        img = render_rgb(frame, cam, style, None, 0, atmosphere=atm)
        contrast[weather] = [_contrast(img, frame, k) for k in range(len(distances))]
    fog, clear = np.array(contrast["fog"]), np.array(contrast["clear"])
    assert np.all(np.diff(fog) < 0), fog  # falls with every step in depth
    assert fog[-1] < 0.25 * fog[0], fog
    assert clear[-1] > 0.5 * clear[0], clear  # clear air keeps most of it (only the style's thin haze)
    assert np.all(fog < clear + 1e-6)
    assert fog[-1] / fog[0] < 0.3 * clear[-1] / clear[0], (fog, clear)


def test_rain_differs_from_clear_wet_road_and_lower_contrast(urban):
    clear = rig_images(urban, 15.0, "clear", channels=("CAM_FRONT",))[0]
    rain = rig_images(urban, 15.0, "rain", channels=("CAM_FRONT",))[0]
    assert np.abs(clear.astype(int) - rain.astype(int)).mean() > 8
    luma = lambda img: img.astype(float) @ [0.2126, 0.7152, 0.0722]  # noqa: E731
    assert luma(rain).std() < 0.85 * luma(clear).std()  # lower contrast


def test_wet_road_is_darker_and_reflective():
    from anyscene.render.environment import Atmosphere

    cam = make_camera(160, 90)
    frame = cast(cam, Pose())
    style = load_style(overrides={"cloud_cover": 1.0})
    dry = Atmosphere("clear", float("inf"), 0.0, 0.0, True, 1.0, 0.0)
    wet = dataclasses.replace(dry, wetness=1.0)
    a = luminance(render_rgb(frame, cam, style, None, 0, atmosphere=dry))
    b = luminance(render_rgb(frame, cam, style, None, 0, atmosphere=wet))
    road = frame.semantic == OCC3D_ID["driveable_surface"]
    near = road & (frame.depth < 8)  # steep view: darker; grazing far away the film mirrors the sky
    assert b[near].mean() < 0.85 * a[near].mean()
    assert not np.array_equal(a, b)


def test_sampler_weather_and_time_weights_change_the_images():
    from anyscene.procgen.config import SamplerConfig
    from anyscene.procgen.sampler import draw_layout

    def layout(weather: str, tod: str):
        cfg = SamplerConfig(duration=2.0, seed=5)
        cfg.environment.weather = {w: float(w == weather) for w in ("clear", "overcast", "fog", "rain")}
        cfg.environment.time_of_day = {t: float(t == tod) for t in ("dawn", "day", "dusk", "night")}
        return draw_layout(cfg, 0, template="straight")[0]

    day, night = layout("clear", "day"), layout("rain", "night")
    assert (day.environment.weather, night.environment.weather) == ("clear", "rain")
    a = rig_images(day, day.environment.time_of_day, day.environment.weather, t=1.0, channels=("CAM_FRONT",))[0]
    b = rig_images(night, night.environment.time_of_day, night.environment.weather, t=1.0, channels=("CAM_FRONT",))[0]
    assert luminance(b).mean() < 0.5 * luminance(a).mean()


def test_brake_lights_from_deceleration():
    before, now = _car_states(0.0, 0.0, 10.0), _car_states(2.4, 0.0, 9.0)
    assert braking(now, before, 0.25).tolist() == [True]  # -4 m/s²
    assert braking(now, now, 0.25).tolist() == [False]
    lights = vehicle_lights(now, brake=np.array([True]))
    tail = lights.color[lights.direction[:, 0] < 0]
    assert tail.max() > vehicle_lights(now).color[lights.direction[:, 0] < 0].max() * 3


def test_camera_effects_deterministic_vignetted_and_noisy():
    cam = make_camera(160, 90)
    frame = cast(cam, Pose())
    flat = np.full((90, 160, 3), 128, np.uint8)
    fx = CameraEffects(vignetting=0.5, noise=2.0, shot_noise=0.05)
    a = apply_effects(flat, frame, cam, fx, None, seed=3)
    assert np.array_equal(a, apply_effects(flat, frame, cam, fx, None, seed=3))
    assert not np.array_equal(a, apply_effects(flat, frame, cam, fx, None, seed=4))
    assert a[:10, :10].mean() < a[40:50, 75:85].mean() - 10  # corners darker
    quiet = apply_effects(flat, frame, cam, CameraEffects(0.0, 0.0, 0.0), None, seed=3)
    assert np.array_equal(quiet, flat)
    noisy = apply_effects(flat, frame, cam, CameraEffects(0.0, 2.0, 0.05), None, seed=3, gain=4.0)
    assert 3.0 < noisy.astype(float).std() < 8.0  # sqrt(4 + 0.05·128)·2 ≈ 6.4


def test_motion_blur_smears_along_the_camera_motion():
    cam = make_camera(160, 90)
    stripes = np.zeros((90, 160, 3), np.uint8)
    stripes[:, ::8] = 255
    frame = cast(cam, Pose())
    fx = CameraEffects(0.0, 0.0, 0.0, motion_blur=0.02)
    still = apply_effects(stripes, frame, cam, fx, None, 0, ego_before=Pose())
    moved = apply_effects(stripes, frame, cam, fx, None, 0, ego_before=Pose(yaw=0.02))
    assert np.array_equal(still[frame.semantic != 17], stripes[frame.semantic != 17])
    ground = frame.semantic != 17
    assert moved[ground].std() < 0.8 * stripes[ground].std()


def test_renderer_registry():
    from anyscene.render.base import RENDERERS, RendererEntry, build_renderer, register, renderer_entry
    from anyscene.render.diffusion_stream import DiffusionRenderConfig
    from anyscene.render.raster_renderer import RasterConfig

    assert set(RENDERERS) == {"raster", "gl", "diffusion"}
    assert RENDERERS["raster"].config is RasterConfig and RENDERERS["diffusion"].config is DiffusionRenderConfig
    with pytest.raises(ConfigError, match="choose one of raster, gl, diffusion"):
        renderer_entry("pathtracer")
    with pytest.raises(ValueError, match="already registered"):
        register(RendererEntry("raster", RasterConfig, "x:y"))
    with pytest.raises(TypeError, match="RasterConfig"):
        build_renderer("raster", None, [], DiffusionRenderConfig(), seed=0)


def test_per_run_environment_override(tmp_path):
    from anyscene.export.config import apply_environment, load_config
    from anyscene.layout.yamlio import load_layout

    layout = load_layout(ROOT / "layouts" / "urban_street.yaml")[0]
    cfg = load_config(overrides=["environment.time_of_day=21", "environment.weather=rain"])
    out = apply_environment(layout, cfg)
    assert (out.environment.time_of_day, out.environment.weather) == (21.0, "rain")
    assert out.agents == layout.agents and out.map == layout.map
    assert apply_environment(layout, load_config()) is layout
    with pytest.raises(ConfigError, match="environment.weather"):
        load_config(overrides=["environment.weather=snow"])
    with pytest.raises(ConfigError, match="environment.time_of_day"):
        load_config(overrides=["environment.time_of_day=25"])
    with pytest.raises(ConfigError, match="raster.vignetting"):
        load_config(overrides=["raster.vignetting=2"])


def test_diffusion_prompt_from_the_environment():
    from anyscene.layout.schema import Environment
    from anyscene.render.diffusion.models.scene_prompt import DEFAULT_TAGS, environment_prompt

    assert environment_prompt(Environment(time_of_day=21.5, weather="rain")) == "night, rain, wet"
    assert environment_prompt(Environment(time_of_day=12.0, weather="clear")) == "day, clear"
    assert environment_prompt(Environment(time_of_day=18.0, weather="overcast")) == "dusk, cloudy"
    assert environment_prompt(Environment(time_of_day=6.0, weather="fog", tags=("snow",))) == "dawn, fog, snow"
    assert environment_prompt(Environment(time_of_day=3.0, weather="fog"), ("fog",)) == "fog"
    assert set(environment_prompt(Environment(time_of_day=3.0, weather="rain")).split(", ")) <= set(DEFAULT_TAGS)
