"""LiDAR in fog and rain: a function applied to a finished sweep. The medium attenuates every return, so weak
and distant ones fall below the detection threshold (the range shortens), and light scattered back by droplets
near the sensor gives spurious near returns.

Model (per return of the clear-air sweep at range z with reflectivity ρ = intensity / 255):
- Received power follows the LiDAR equation for a Lambertian target, P ∝ ρ·exp(-2αz) / z² (Rasshofer, Spies &
  Spies, "Influences of weather phenomena on automotive laser radar systems", Adv. Radio Sci. 9, 2011).
  In clear air the sweep is unchanged, so the detection margin of a return is m = max(ρ·R0² / (ρ0·z²), 1),
  with R0 = the LiDAR's max_range reached by a ρ0 = REF_REFLECTIVITY target; in the medium it keeps the
  return when m·exp(-2αz) ≥ u, u a log-normal threshold jitter (σ = THRESHOLD_JITTER), and scales its
  intensity by exp(-2αz).
- Fog extinction from the visibility V (Koschmieder): α = 3.912 / V; at 905 nm it equals the visible value in
  fog with V < 500 m (Kim, McArthur & Korevaar, "Comparison of laser beam propagation at 785 nm and 1550 nm in
  fog and haze for optical wireless communications", Proc. SPIE 4214, 2001: exponent q = 0 there).
- Rain extinction from the rain rate R (mm/h): A = 1.076·R^0.67 dB/km (Carbonneau and Wisely, as adopted for
  free-space optical links in ITU-R P.1814), α = A / (4343 dB·m/km).
- Spurious returns: a beam meets a backscattering droplet volume with probability 1 - exp(-α·BACKSCATTER_DEPTH);
  its echo lies min_range + Gamma(2, ECHO_SCALE) m along the beam (mean 3 m past the minimum range; fog clutter
  concentrates within a few metres of the sensor: Hahner et al., "Fog Simulation on Real LiDAR Point Clouds
  for 3D Object Detection in Adverse Weather", ICCV 2021) and replaces the beam's return when nearer
  (single-return, strongest-echo sensors report one). Echoes are labelled noise: lidarseg 0, Occ3D free,
  instance 0, intensity 1..8.
Only beams that returned in clear air are modelled (beams into the open sky give no echo here).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..classes import FREE

KOSCHMIEDER = 3.912  # extinction × visibility for a 2 % contrast threshold
FOG_VISIBILITY = 120.0  # m, visibility of the `fog` weather (the camera renderer uses the same)
RAIN_RATE = 10.0  # mm/h, rain rate of the `rain` weather (moderate to heavy)
REF_REFLECTIVITY = 0.1  # ρ0: reflectivity of the target the LiDAR still sees at its max_range in clear air
THRESHOLD_JITTER = 0.15  # σ of log(threshold): detection is a smooth, not a hard, cut
BACKSCATTER_DEPTH = 2.0  # m, depth of droplet volume a beam sees echoes from (sets the clutter rate)
ECHO_SCALE = 1.5  # m, scale of the Gamma(2, ·) range of droplet echoes past the minimum range


@dataclass(frozen=True)
class LidarMedium:
    """The medium between the LiDAR and its targets: `extinction` α (1/m, 0: clear air) and the `weather` name."""

    weather: str
    extinction: float


def fog_extinction(visibility: float) -> float:
    """α (1/m) of fog with visibility `visibility` m (Koschmieder)."""
    return KOSCHMIEDER / float(visibility)


def rain_extinction(rate: float) -> float:
    """α (1/m) of rain of `rate` mm/h (Carbonneau: 1.076·R^0.67 dB/km)."""
    return 1.076 * float(rate) ** 0.67 / (10.0 * np.log10(np.e) * 1000.0)


def medium_of(weather: str, visibility: float | None = None, rain_rate: float | None = None) -> LidarMedium:
    """The medium of a layout weather (clear, overcast, fog, rain); `visibility` m and `rain_rate` mm/h
    override FOG_VISIBILITY and RAIN_RATE."""
    if weather == "fog":
        return LidarMedium(weather, fog_extinction(visibility or FOG_VISIBILITY))
    if weather == "rain":
        return LidarMedium(weather, rain_extinction(rain_rate or RAIN_RATE))
    if weather in ("clear", "overcast"):
        return LidarMedium(weather, 0.0)
    raise ValueError(f"unknown weather {weather!r}")


def apply_lidar_weather(sweep, medium: LidarMedium, seed: int, max_range: float | None = None,
                        min_range: float | None = None):
    """The sweep (a LidarSweep or LidarScan; the same type comes back) as the LiDAR sees it through `medium`:
    attenuated returns dropped or dimmed, droplet echoes replacing some returns (see the module docstring).
    Clear air returns `sweep` itself. Deterministic per `seed` and the sweep's time. `max_range`, `min_range`
    (m) default to the sweep's LiDAR model (100 m, 1 m without one)."""
    alpha = float(medium.extinction)
    n = sweep.points.shape[0]
    if alpha <= 0 or n == 0:
        return sweep
    lidar = getattr(sweep, "lidar", None)
    r0 = float(max_range if max_range is not None else getattr(lidar, "max_range", 100.0))
    rmin = float(min_range if min_range is not None else getattr(lidar, "min_range", 1.0))
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(round(sweep.t * 1e6)) & 0xFFFFFFFFFFFF, 0x11DA])
    xyz = sweep.points[:, :3].astype(np.float64)
    z = np.linalg.norm(xyz, axis=1)
    rho = np.maximum(sweep.points[:, 3].astype(np.float64) / 255.0, 1e-3)
    trans = np.exp(-2.0 * alpha * z)
    margin = np.maximum(rho * r0 * r0 / (REF_REFLECTIVITY * np.maximum(z, 1e-3) ** 2), 1.0)
    u = np.exp(THRESHOLD_JITTER * rng.standard_normal(n))
    keep = margin * trans >= u
    # Droplet echoes: which beams see one, and where.
    p_echo = 1.0 - np.exp(-alpha * BACKSCATTER_DEPTH)
    echo_r = rmin + rng.gamma(2.0, ECHO_SCALE, n)
    echo = (rng.random(n) < p_echo) & (echo_r < z)
    points = sweep.points.copy()
    points[:, 3] = np.round(points[:, 3] * trans)
    lidarseg, occ3d, instance = sweep.lidarseg.copy(), sweep.occ3d.copy(), sweep.instance.copy()
    e = np.flatnonzero(echo)
    points[e, :3] = (xyz[e] * (echo_r[e] / np.maximum(z[e], 1e-6))[:, None]).astype(np.float32)
    points[e, 3] = rng.integers(1, 9, e.size)
    lidarseg[e], occ3d[e], instance[e] = 0, FREE, 0
    out = np.flatnonzero(keep | echo)
    return dataclasses.replace(sweep, points=points[out], lidarseg=lidarseg[out], occ3d=occ3d[out],
                               instance=instance[out])
