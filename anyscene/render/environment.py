"""The layout's environment (time of day, weather) as the raster renderer's light: a RasterStyle placed at that
time and weather, and the `Atmosphere` the style alone does not express (fog visibility, wet ground, rain,
whether the sun casts hard shadows, contrast). A pure function of the environment and the base style.

Weather looks (WEATHER): clear keeps the style; overcast closes the cloud deck and turns direct sunlight into
soft sky light (no hard shadows); fog adds a visibility distance (Koschmieder: extinction 3.912 / V, the
distance at which contrast falls to 2 %) and greys the light; rain is overcast with a wet, darker, reflective
road, streaks and lower contrast.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import ConfigError
from ..sensors.lidar_weather import FOG_VISIBILITY
from .lighting import light_env, luminance

KOSCHMIEDER = 3.912  # -ln(0.02): extinction × visibility for a 2 % contrast threshold


@dataclass(frozen=True)
class Atmosphere:
    """What the weather does besides the style's light. `weather` one of WEATHER; `visibility` m (inf: none
    beyond the style's haze); `wetness` 0..1 (darker, reflective ground, puddles); `rain` 0..1 streak density;
    `sun_shadows` whether the sun casts hard shadows; `contrast` 0..1 (1: unchanged); `glare` 0..1 how much
    lights bloom (mist scatters them)."""

    weather: str
    visibility: float
    wetness: float
    rain: float
    sun_shadows: bool
    contrast: float
    glare: float


@dataclass(frozen=True)
class WeatherLook:
    """How one weather changes the style: `cloud_cover` 0..1, `sun` factor on direct sunlight (the rest becomes
    sky light through `ambient`), `grey` 0..1 how far sky colours move to neutral grey, and the Atmosphere's
    fields."""

    cloud_cover: float | None
    sun: float
    ambient: float
    grey: float
    visibility: float
    wetness: float
    rain: float
    sun_shadows: bool
    contrast: float
    glare: float


INF = float("inf")
WEATHER: dict[str, WeatherLook] = {
    "clear": WeatherLook(None, 1.0, 1.0, 0.0, INF, 0.0, 0.0, True, 1.0, 0.25),
    "overcast": WeatherLook(1.0, 0.12, 1.9, 0.6, 4000.0, 0.0, 0.0, False, 0.95, 0.3),
    "fog": WeatherLook(1.0, 0.08, 1.7, 0.8, FOG_VISIBILITY, 0.3, 0.0, False, 1.0, 1.0),
    "rain": WeatherLook(1.0, 0.08, 1.5, 0.7, 600.0, 1.0, 1.0, False, 0.75, 0.6),
}

# Exposure adaptation: a camera's auto-exposure brightens dim scenes, but only partly (night stays night).
ADAPT_REF = 2.5  # linear illuminance of the ground the style's exposure is tuned for (clear day)
ADAPT_POWER = 0.5  # 0: fixed exposure .. 1: every scene exposed to the same mean
ADAPT_MAX = 1.4  # at most this much brighter than the style's exposure


def _grey(rgb, amount: float):
    """An sRGB colour moved by `amount` 0..1 towards the grey of its luma."""
    lum = float(sum(c * w for c, w in zip(rgb, (0.2126, 0.7152, 0.0722))))
    return tuple(int(round(c + amount * (lum - c))) for c in rgb)


def environment_style(style, time_of_day: float, weather: str, visibility: float | None = None,
                      adapt: bool = True):
    """(RasterStyle, Atmosphere) of `style` at local solar `time_of_day` h in `weather` (one of WEATHER);
    `visibility` m overrides the weather's (fog). With `adapt`, the style's exposure follows the scene's light
    (see ADAPT_*)."""
    if weather not in WEATHER:
        raise ConfigError(f"environment.weather {weather!r}: choose one of {', '.join(WEATHER)}")
    if not 0.0 <= float(time_of_day) <= 24.0:
        raise ConfigError(f"environment.time_of_day {time_of_day}: must be 0..24 h")
    look = WEATHER[weather]
    vis = look.visibility if visibility is None else float(visibility)
    if not vis > 0:
        raise ConfigError(f"visibility {visibility}: must be > 0 m")
    haze = style.haze_density if vis == INF else max(style.haze_density, KOSCHMIEDER / vis)
    g = look.grey
    changes = dict(
        time_of_day=float(time_of_day), sun_intensity=style.sun_intensity * look.sun,
        ambient=style.ambient * look.ambient, haze_density=haze,
        sky_zenith=_grey(style.sky_zenith, g), sky_horizon=_grey(style.sky_horizon, g),
        dusk_zenith=_grey(style.dusk_zenith, g), dusk_horizon=_grey(style.dusk_horizon, g),
        haze_color=_grey(style.haze_color, min(1.0, g + 0.2)))
    if look.cloud_cover is not None:
        changes["cloud_cover"] = look.cloud_cover
    out = dataclasses.replace(style, **changes)
    if adapt:
        env = light_env(out)
        illum = luminance(env.sky_ambient) + luminance(env.sun) * max(float(env.sun_dir[2]), 0.0)
        gain = min(ADAPT_MAX, max(1.0, (ADAPT_REF / max(illum, 1e-6)) ** ADAPT_POWER))
        out = dataclasses.replace(out, exposure=style.exposure * gain)
    atm = Atmosphere(weather, vis, look.wetness, look.rain, look.sun_shadows, look.contrast, look.glare)
    return out, atm


def layout_style(style, environment, adapt: bool = True):
    """environment_style for a layout's Environment (anyscene.layout.schema.Environment)."""
    return environment_style(style, environment.time_of_day, environment.weather, adapt=adapt)
