"""When each sensor fires in a scene, in integer microseconds from the scene start: the one timeline of a scene.

Three ways to build one:

- `regular_timeline` (the default, `camera_timing: synchronous`): keyframes ("samples") at multiples of
  1 / keyframe_rate; both sensor rates are whole multiples of the keyframe rate, so at every keyframe the LiDAR
  sweeps and all cameras fire together, and the sample timestamp is the LIDAR_TOP keyframe timestamp.
- the same with `camera_timing: staggered`: as on the nuScenes car, each camera fires when the spinning LiDAR
  passes the centre of its view, a fixed offset after each nominal frame time
  (`anyscene.sensors.timing.camera_trigger_offset`), so the images of one keyframe carry different times.
- `explicit_timeline`: the times recorded in a layout's `timeline` (an imported real scene): every keyframe,
  sweep and camera image at its recorded time.

Times are rounded to the microsecond (1/12 s is not a whole number of them) and the world is simulated at
exactly `us / 1e6` seconds, so the tables' integer timestamps and the states the world is evaluated at agree
to the bit. A timeline ends at its last keyframe (each camera at its last keyframe image), so every other
frame belongs to a following keyframe: a sweep's `sample_token` is the next keyframe's sample.

Camera images are grouped into *camera instants*: instant j holds image j of every camera (each at its own
time), which is how the renderers see them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from ..errors import ConfigError

# Scenes start in 2024 at an hour drawn from the scene name: stable, and distinct for most scene pairs.
EPOCH_BASE_US = int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()) * 1_000_000
EPOCH_HOURS = 24 * 365
CAMERA_TIMINGS = ("synchronous", "staggered")


@dataclass(frozen=True)
class Timeline:
    """Firing times of one scene, µs from the scene start (int64, ascending).

    lidar (L,) sweep times and lidar_keyframe (L,) bool; keyframes (K,) the sample times (each is in `lidar`);
    channels (C,) the camera channels in rig order; camera (C, F) int64 the time of image j of each camera
    (row c: channel c); camera_keyframe (F,) int the keyframe index each camera instant's images belong to
    as keyframe images, -1 for none (the same for every camera); epoch_us the absolute start (µs since 1970);
    radar_channels (R,) the radar channels in rig order, radar (R,) arrays of each radar's scan times and
    radar_keyframe (R,) arrays of the keyframe index of each scan (-1 for none: each keyframe's radar scan
    is the one nearest it).
    """

    lidar: np.ndarray
    lidar_keyframe: np.ndarray
    keyframes: np.ndarray
    channels: tuple[str, ...]
    camera: np.ndarray
    camera_keyframe: np.ndarray
    epoch_us: int
    radar_channels: tuple[str, ...] = ()
    radar: tuple[np.ndarray, ...] = ()
    radar_keyframe: tuple[np.ndarray, ...] = ()

    def __post_init__(self):
        if not np.array_equal(self.lidar[self.lidar_keyframe], self.keyframes):
            raise ValueError("timeline: the keyframes must be the LiDAR keyframe sweeps")
        if self.camera.shape != (len(self.channels), self.camera_keyframe.shape[0]):
            raise ValueError("timeline: one row of camera times per channel, one column per camera instant")

    @property
    def n_camera_instants(self) -> int:
        return int(self.camera.shape[1])

    def camera_times(self, channel: str) -> np.ndarray:
        """(F,) image times of one camera, µs."""
        return self.camera[self.channels.index(channel)]

    @property
    def events(self) -> list[tuple[int, list[tuple[int, int]], int, list[tuple[int, int]]]]:
        """Every firing instant in time order: (µs, [(camera row c, instant j) firing then], LiDAR sweep index
        or -1, [(radar r, scan i) firing then]). At equal times cameras come first, then the LiDAR, then radars."""
        fired: dict[int, tuple[list, list, list]] = {}
        for c in range(self.camera.shape[0]):
            for j, us in enumerate(self.camera[c].tolist()):
                fired.setdefault(us, ([], [], []))[0].append((c, j))
        for i, us in enumerate(self.lidar.tolist()):
            fired.setdefault(us, ([], [], []))[1].append(i)
        for r, times in enumerate(self.radar):
            for i, us in enumerate(times.tolist()):
                fired.setdefault(us, ([], [], []))[2].append((r, i))
        return [(us, sorted(cams), lid[0] if lid else -1, sorted(rad))
                for us, (cams, lid, rad) in sorted(fired.items())]

    def keyframe_index(self, us: int) -> int:
        """Index of the first keyframe at or after time `us` (the sample a non-keyframe frame belongs to)."""
        return int(np.searchsorted(self.keyframes, us, side="left"))

    def camera_sample(self, j: int) -> int:
        """The keyframe (sample) index camera instant j belongs to: its own keyframe, else the next one."""
        return chain_sample(self.camera_keyframe, j, len(self.keyframes))

    def radar_sample(self, r: int, i: int) -> int:
        """The keyframe (sample) index scan i of radar r belongs to: its own keyframe, else the next one."""
        return chain_sample(self.radar_keyframe[r], i, len(self.keyframes))


def chain_sample(keyframe_of: np.ndarray, i: int, n_keyframes: int) -> int:
    """The sample of frame i of a sensor chain whose keyframe index per frame is `keyframe_of` (-1: none): its
    own keyframe, else the next keyframe frame's."""
    if keyframe_of[i] >= 0:
        return int(keyframe_of[i])
    later = np.flatnonzero(keyframe_of[i:] >= 0)
    return int(keyframe_of[i + later[0]]) if later.size else n_keyframes - 1


def radar_chains(radars, keyframes: np.ndarray, rate: float = 13.0) -> tuple[tuple[np.ndarray, ...],
                                                                             tuple[np.ndarray, ...]]:
    """(scan times, keyframe index per scan) of each radar channel: `rate` Hz with a fixed per-channel phase
    (the radars run unsynchronised, as on the nuScenes car), cut after each channel's scan of the last
    keyframe; a keyframe's scan is the one nearest it."""
    times, keys = [], []
    end = int(keyframes[-1]) if keyframes.size else 0
    for radar in radars:
        phase = (sum(map(ord, radar.channel)) % 97) / 97.0 / rate
        t = np.round((phase + np.arange(int((end / 1e6 + 1 / rate) * rate) + 2) / rate) * 1e6).astype(np.int64)
        nearest = np.abs(t[None, :] - keyframes[:, None]).argmin(axis=1) if keyframes.size else np.zeros(0, int)
        t = t[: int(nearest[-1]) + 1] if keyframes.size else t[:0]
        key = np.full(t.size, -1, dtype=np.int64)
        key[nearest] = np.arange(keyframes.size)
        times.append(t)
        keys.append(key)
    return tuple(times), tuple(keys)


def seconds(us: int) -> float:
    """Simulation time (s) of a µs timestamp relative to the scene start."""
    return float(us) / 1e6


def _steps(rate: float, keyframe_rate: float, what: str) -> int:
    step = rate / keyframe_rate
    if not np.isfinite(step) or step < 1 or abs(step - round(step)) > 1e-9:
        raise ConfigError(f"{what} {rate:g} Hz: must be a whole multiple of the keyframe rate "
                          f"{keyframe_rate:g} Hz")
    return int(round(step))


def regular_timeline(duration: float, camera_rate: float, lidar_rate: float, keyframe_rate: float,
                     scene_name: str, channels: tuple[str, ...] = ("CAM_FRONT",),
                     offsets_us: dict[str, int] | None = None) -> Timeline:
    """The firing times of a scene of `duration` seconds; see the module docstring. `offsets_us` (channel ->
    µs after the nominal time) staggers the cameras; without it they fire together."""
    n_key = int(np.floor(duration * keyframe_rate + 1e-9)) + 1

    def series(rate: float, what: str) -> tuple[np.ndarray, np.ndarray]:
        step = _steps(rate, keyframe_rate, what)
        k = np.arange((n_key - 1) * step + 1)
        return np.round(k * (1e6 / rate)).astype(np.int64), k % step == 0

    lidar, lidar_key = series(lidar_rate, "lidar_rate")
    nominal, cam_key = series(camera_rate, "camera_rate")
    offsets = offsets_us or {}
    camera = np.stack([nominal + int(offsets.get(ch, 0)) for ch in channels]).astype(np.int64)
    camera_keyframe = np.where(cam_key, np.cumsum(cam_key) - 1, -1).astype(np.int64)
    return Timeline(lidar, lidar_key, lidar[lidar_key], tuple(channels), camera, camera_keyframe,
                    scene_epoch(scene_name))


def explicit_timeline(recorded, duration: float, channels: tuple[str, ...], scene_name: str) -> Timeline:
    """The timeline recorded in a layout (`Layout.timeline`: keyframes, lidar and per-camera times in seconds,
    optional epoch_us), cut to `duration`. Every rig camera must be listed (ConfigError otherwise). The
    keyframe image of a camera is its image nearest the keyframe time; images after a channel's image of the
    last keyframe are dropped, and between two keyframes every channel keeps as many images as the one with
    the fewest there (its last ones), so that image j of every channel forms camera instant j."""
    us = lambda values: np.round(np.asarray(values, dtype=np.float64) * 1e6).astype(np.int64)  # noqa: E731
    end = int(round(duration * 1e6))
    keyframes = us(recorded.keyframes)
    keyframes = keyframes[keyframes <= end]
    lidar = us(recorded.lidar)
    lidar = lidar[lidar <= (keyframes[-1] if keyframes.size else -1)]
    lidar_key = np.isin(lidar, keyframes)
    if lidar_key.sum() != keyframes.size:
        raise ConfigError("timeline: every keyframe time must be one of the LiDAR sweep times")
    by_channel = {c.channel: us(c.times) for c in recorded.cameras}
    missing = [ch for ch in channels if ch not in by_channel]
    if missing:
        raise ConfigError(f"timeline.cameras: no times for the rig camera(s) {', '.join(missing)}; the layout's "
                          f"timeline lists {', '.join(by_channel) or 'none'} (use the rig it was imported with)")
    # Each channel's images split into segments ending at its keyframe images (its image nearest each keyframe);
    # segment k of every channel keeps the same number of images, its last ones (a camera that fired once more
    # in a segment, or dropped a frame, loses the earliest extra), so that image j of every channel forms
    # instant j and the keyframe images share an instant.
    segments = []  # per channel: list of K arrays
    for ch in channels:
        t = by_channel[ch]
        if not keyframes.size:
            segments.append([])
            continue
        nearest = np.abs(t[None, :] - keyframes[:, None]).argmin(axis=1)
        if np.any(np.diff(nearest) <= 0):
            raise ConfigError(f"timeline.cameras {ch}: two keyframes share the same nearest image; give each "
                              "camera one image per keyframe")
        bounds = np.concatenate([[-1], nearest])
        segments.append([t[bounds[k] + 1: bounds[k + 1] + 1] for k in range(keyframes.size)])
    rows = [[] for _ in channels]
    key_marks: list[int] = []
    for k in range(keyframes.size):
        m = min(len(seg[k]) for seg in segments)
        for c, seg in enumerate(segments):
            rows[c].extend(seg[k][len(seg[k]) - m:].tolist())
        key_marks.extend([-1] * (m - 1) + [k])
    camera = np.array(rows, dtype=np.int64).reshape(len(channels), len(key_marks))
    camera_keyframe = np.array(key_marks, dtype=np.int64)
    epoch = int(recorded.epoch_us) if recorded.epoch_us is not None else scene_epoch(scene_name)
    return Timeline(lidar, lidar_key, keyframes, tuple(channels), camera.astype(np.int64), camera_keyframe, epoch)


def scene_timeline(layout, duration: float, rates: tuple[float, float, float], camera_timing: str, rig,
                   scene_name: str) -> Timeline:
    """The timeline `generate` uses for one scene: the layout's recorded `timeline` when it has one, else
    the regular one at `rates` (camera, lidar, keyframe Hz) with the cameras synchronous or staggered."""
    channels = tuple(c.channel for c in rig.cameras)
    recorded = getattr(layout, "timeline", None)
    if recorded is not None:
        tl = explicit_timeline(recorded, duration, channels, scene_name)
    else:
        if camera_timing not in CAMERA_TIMINGS:
            raise ConfigError(f"camera_timing {camera_timing!r}: choose one of {', '.join(CAMERA_TIMINGS)}")
        offsets = None
        if camera_timing == "staggered":
            from ..sensors.timing import camera_trigger_offset

            offsets = {c.channel: int(round(camera_trigger_offset(c, rig.lidar) * 1e6)) for c in rig.cameras}
        tl = regular_timeline(duration, *rates, scene_name, channels, offsets)
    radars = tuple(getattr(rig, "radars", ()))
    if not radars:
        return tl
    import dataclasses

    times, keys = radar_chains(radars, tl.keyframes)
    return dataclasses.replace(tl, radar_channels=tuple(r.channel for r in radars), radar=times, radar_keyframe=keys)


def scene_epoch(scene_name: str) -> int:
    """Absolute start time (µs since 1970) of a scene: 2024-01-01 plus a whole number of hours from its name."""
    hours = int(hashlib.md5(scene_name.encode("utf-8")).hexdigest()[:8], 16) % EPOCH_HOURS
    return EPOCH_BASE_US + hours * 3_600_000_000
