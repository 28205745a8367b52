"""One nuScenes scene -> one Layout (ego, agents, props, drivable map, recorded timeline) and its sensor rig.

Time: t = 0 is the first keyframe; every time is `(timestamp_us - first_keyframe_us) / 1e6`, the same float the
export's timeline and the world are evaluated at. Space: the layout's world frame is the dataset's global frame
shifted by whole metres, `global = world + source.origin` (the first ego pose floored; for a dataset AnyScene
wrote, its log's `global_offset`, so the original layout's frame comes back).

- Ego: one waypoint with heading at every ego pose of the scene's sample_data in [0, duration] (LiDAR sweeps,
  camera images, radar), so the world's ego passes through each recorded pose at its timestamp. The layout is
  planar: the recorded pitch, roll and z are not kept.
- Agents: one per instance, a waypoint with heading at each keyframe annotation; present from the first to
  the last annotation. Instances whose boxes never move are a single waypoint (standing), or a map prop when
  their attributes say parked (vehicle.parked, cycle.without_rider) or their class cannot move; a parked
  instance whose annotated box moves keeps its waypoints, so every box stays exact.
- Box z is not kept: the world stands boxes on z = 0 (centre at half height).
- Map: the drivable area traced from the log's map mask (mapmask.py); with `maps/expansion/<location>.json`,
  lanes, lane connectors, crossings, walkways, car parks and stop lines too (expansion.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...classes import AGENT_CLASSES
from ...errors import DatasetError
from ...layout.checks import CAMERA_LEAD
from ...layout.schema import (Agent, CameraTimes, Ego, Environment, Layout, Map, Prop, SensorTimeline, Source,
                              Trajectory, Waypoint)
from .categories import agent_class, is_parked
from .rig import RIG_HEADER, camera_entry, default_cameras, lidar_entry
from .tables import LIDAR, NuScenesTables, field, read_tables

MAP_MARGIN = 60.0  # m of drivable area traced around the ego's path
STILL_XY = 0.005  # m: boxes whose centres spread less than this do not move
STILL_YAW = 0.001  # rad: ... and whose headings spread less than this
GROUND = "other_flat"  # the class of everything the map mask does not mark drivable
EGO_TOLERANCE = (0.002, 0.0005)  # m, rad: a recorded ego pose missed by more becomes a waypoint
MIN_GAP = 0.002  # s: ... unless a waypoint is this close in time
VELOCITY_BASELINE = 0.05  # s: ego velocities are central differences over ± this


@dataclass(frozen=True)
class ImportedScene:
    """An imported scene: its `layout`, its sensor `rig` (a rig file's content, configs/rigs format), the text
    `rig_yaml` of that file, `warnings` about what could not be imported as recorded, and the reconstructed
    `background` (or None) that `layout.map.background` names."""

    layout: Layout
    rig: dict
    rig_yaml: str
    warnings: tuple[str, ...]
    background: object = None  # anyscene.world.background.Background when reconstructed (layout.map.background)


def import_nuscenes(dataroot: str | Path, version: str, scene: str, *, map_margin: float = MAP_MARGIN,
                    background: str | None = None, colour_keyframes: str = "all") -> ImportedScene:
    """Import scene `scene` of the nuScenes dataroot `dataroot` (version folder `version`). With `background`
    (the file name the layout will reference, relative to the layout file), the static world is reconstructed
    from the recorded LiDAR sweeps and coloured from the keyframes `colour_keyframes` ("all" or "even"),
    see background.py.

    Raises DatasetError (naming the file and record) for missing or broken tables, an unknown scene, missing
    records, a scene without any readable LiDAR file when reconstructing; a missing map file only gives a
    warning (the layout then has no drivable area)."""
    return import_scene(read_tables(dataroot, version), scene, map_margin=map_margin, background=background,
                        colour_keyframes=colour_keyframes)


def _us_to_s(us: int) -> float:
    return float(us) / 1e6


def _yaw(q) -> float:
    """Heading (rad) of a [w, x, y, z] quaternion, as pyquaternion's yaw_pitch_roll[0]."""
    w, x, y, z = (float(v) for v in q)
    return float(np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))


def _pitch_roll(q) -> tuple[float, float]:
    """(pitch, roll) rad of a [w, x, y, z] quaternion, as pyquaternion's yaw_pitch_roll[1:] (R = Rz Ry Rx)."""
    w, x, y, z = (float(v) for v in q)
    pitch = float(np.arcsin(np.clip(2 * (w * y - x * z), -1.0, 1.0)))
    return pitch, float(np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y)))


class _Scene:
    """The records of one scene, walked and checked once."""

    def __init__(self, tables: NuScenesTables, name: str):
        self.tables, self.name = tables, name
        self.rec = tables.scene(name)
        where = f"scene '{name}' in {tables.file('scene')}"
        self.log = tables.get("log", field(tables, "scene", self.rec, "log_token"), where)
        self.samples = self._samples(where)
        self.t0 = int(self.samples[0]["timestamp"])
        self.sample_tokens = {s["token"] for s in self.samples}
        self.channels: dict[str, list[dict]] = {}
        self.modality: dict[str, str] = {}
        self.calib: dict[str, dict] = {}
        for sd in tables.records["sample_data"]:
            if sd.get("sample_token") not in self.sample_tokens:
                continue
            ref = f"sample_data '{sd['token']}' in {tables.file('sample_data')}"
            cs = tables.get("calibrated_sensor", field(tables, "sample_data", sd, "calibrated_sensor_token"), ref)
            sensor = tables.get("sensor", field(tables, "calibrated_sensor", cs, "sensor_token"),
                                f"calibrated_sensor '{cs['token']}' in {tables.file('calibrated_sensor')}")
            ch = sensor["channel"]
            self.channels.setdefault(ch, []).append(sd)
            self.modality[ch] = sensor.get("modality", "")
            self.calib.setdefault(ch, cs)
        for ch in self.channels:
            self.channels[ch].sort(key=lambda sd: sd["timestamp"])
        if LIDAR not in self.channels:
            raise DatasetError(f"{tables.file('sample_data')}: scene '{name}' has no {LIDAR} sample_data; the "
                               "importer needs the LiDAR keyframes")

    def _samples(self, where: str) -> list[dict]:
        tok = field(self.tables, "scene", self.rec, "first_sample_token")
        out, seen = [], set()
        while tok:
            if tok in seen:
                raise DatasetError(f"{self.tables.file('sample')}: the sample chain of {where} loops at '{tok}'")
            seen.add(tok)
            s = self.tables.get("sample", tok, where if not out else f"sample '{out[-1]['token']}'.next")
            out.append(s)
            tok = s.get("next", "")
        return out

    def t(self, us: int) -> float:
        return _us_to_s(int(us) - self.t0)

    @property
    def duration(self) -> float:
        return self.t(self.samples[-1]["timestamp"])

    def is_camera(self, ch: str) -> bool:
        return self.modality.get(ch) == "camera" or (ch.startswith("CAM") and not self.modality.get(ch))


def import_scene(tables: NuScenesTables, name: str, *, map_margin: float = MAP_MARGIN,
                 background: str | None = None, colour_keyframes: str = "all") -> ImportedScene:
    """Import scene `name` from loaded tables (see `import_nuscenes`)."""
    if colour_keyframes not in ("all", "even"):
        raise ValueError(f"colour_keyframes must be 'all' or 'even', got {colour_keyframes!r}")
    sc = _Scene(tables, name)
    warnings: list[str] = []
    ego_xy = _ego_poses(sc)
    origin = _origin(sc, ego_xy)
    ego = Ego(trajectory=Trajectory(waypoints=_ego_waypoints(sc, ego_xy, origin)))
    agents, props = _agents(sc, origin, warnings)
    areas = _drivable(sc, ego_xy, origin, map_margin, warnings)
    expansion = _expansion(sc, ego_xy, origin, map_margin)
    layout = Layout(
        name=name, duration=max(sc.duration, 0.5), description=str(sc.rec.get("description", "")),
        environment=Environment(time_of_day=_local_hour(sc.log.get("logfile", "")), tags=("nuscenes",)),
        map=Map(ground=GROUND, areas=areas + expansion.areas, props=props, crosswalks=expansion.crosswalks,
                lanes=expansion.lanes, stop_lines=expansion.stop_lines), ego=ego, agents=agents,
        timeline=_timeline(sc), source=Source(dataset="nuscenes", version=tables.version, scene=name,
                                              dataroot_name=tables.dataroot.resolve().name, origin=origin))
    rig = _rig(sc, warnings)
    bg = None
    if background is not None:
        import dataclasses

        from .background import reconstruct
        from .colour import colour_background

        if sc.duration < 0.4:
            raise DatasetError(f"{tables.file('sample')}: scene '{name}' lasts {sc.duration:.2f} s (fewer than two "
                               "keyframes); too short to reconstruct a background")
        bare, ground_time, surfel_time = reconstruct(sc, layout, origin, warnings=warnings)
        bg = colour_background(sc, bare, origin, ground_time, surfel_time, colour_keyframes, warnings)
        layout = dataclasses.replace(layout, map=dataclasses.replace(layout.map, background=background))
    header = RIG_HEADER.format(scene=name, logfile=sc.log.get("logfile", "?"), vehicle=sc.log.get("vehicle", "?"))
    from .rig import dump_rig

    return ImportedScene(layout, rig, dump_rig(rig, header), tuple(warnings), bg)


def _ego_poses(sc: _Scene) -> list[tuple[float, ...]]:
    """(t, x, y, yaw, z, pitch, roll) of every ego pose of the scene's sample_data within [0, duration], by time."""
    end_us = int(sc.samples[-1]["timestamp"])
    seen: dict[int, tuple] = {}
    for sds in sc.channels.values():
        for sd in sds:
            pose = sc.tables.get("ego_pose", field(sc.tables, "sample_data", sd, "ego_pose_token"),
                                 f"sample_data '{sd['token']}' in {sc.tables.file('sample_data')}")
            us = int(pose["timestamp"])
            if sc.t0 <= us <= end_us and us not in seen:
                x, y, z = (float(v) for v in pose["translation"][:3])
                seen[us] = (sc.t(us), x, y, _yaw(pose["rotation"]), z, *_pitch_roll(pose["rotation"]))
    return [seen[k] for k in sorted(seen)]


def _ego_waypoints(sc: _Scene, poses, origin) -> tuple[Waypoint, ...]:
    """Waypoints that pass through every recorded ego pose within EGO_TOLERANCE.

    Recorded poses of different sensors disagree at the millimetre level even microseconds apart, so a curve
    through all of them would swing at hundreds of m/s between them. The waypoints are the LiDAR poses (with
    velocities from central differences over ±VELOCITY_BASELINE, not from the noisy neighbours), plus every
    other pose the curve misses by more than the tolerance: in heading always, in position when it is at least
    MIN_GAP from a waypoint."""
    from ...layout.motion import WaypointMotion

    t = np.array([p[0] for p in poses])
    xy = np.array([[p[1] - origin[0], p[2] - origin[1]] for p in poses])
    yaw = np.array([p[3] for p in poses])
    att = np.array([p[4:7] for p in poses])
    lidar_us = {int(sd["timestamp"]) for sd in sc.channels[LIDAR]}
    chosen = np.array([int(round(tt * 1e6)) + sc.t0 in lidar_us for tt in t])
    chosen[0] = chosen[-1] = True
    for _ in range(4):
        idx = np.flatnonzero(chosen)
        wps = _waypoints_with_velocity(t[idx], xy[idx], yaw[idx], att[idx])
        st = WaypointMotion(wps).evaluate(t)
        err = np.hypot(*(st.xy - xy).T)
        derr = np.abs((st.yaw - yaw + np.pi) % (2 * np.pi) - np.pi)
        gap = np.min(np.abs(t[:, None] - t[idx][None, :]), axis=1)
        # Headings are interpolated on their own, so a heading miss is fixed at any gap.
        add = (((err > EGO_TOLERANCE[0]) & (gap >= MIN_GAP)) | (derr > EGO_TOLERANCE[1])) & ~chosen
        if not add.any():
            break
        chosen |= add
    return wps


def _waypoints_with_velocity(t: np.ndarray, xy: np.ndarray, yaw: np.ndarray, att: np.ndarray
                             ) -> tuple[Waypoint, ...]:
    """Waypoints at (t, xy, yaw), velocities from central differences, and `att` (K, 3) z, pitch, roll."""
    lo = np.searchsorted(t, t - VELOCITY_BASELINE, side="left")
    hi = np.minimum(np.searchsorted(t, t + VELOCITY_BASELINE, side="right") - 1, len(t) - 1)
    out = []
    for i in range(len(t)):
        a, b = int(lo[i]), int(hi[i])
        v = (xy[b] - xy[a]) / (t[b] - t[a]) if b > a else np.zeros(2)
        z, pitch, roll = (float(v) for v in att[i])
        out.append(Waypoint(t=float(t[i]), xy=(float(xy[i, 0]), float(xy[i, 1])),
                            velocity=(float(v[0]), float(v[1])), yaw=float(yaw[i]), z=z or None,
                            pitch=round(pitch, 7) or None, roll=round(roll, 7) or None))
    return tuple(out)


def _origin(sc: _Scene, ego_xy) -> tuple[float, float]:
    """global = world + origin: a dataset AnyScene wrote gives back its own world frame, others are shifted so
    the first ego pose sits in [0, 1) m."""
    offset = sc.log.get("global_offset")
    if isinstance(offset, list) and len(offset) >= 2:
        return float(offset[0]), float(offset[1])
    return float(np.floor(ego_xy[0][1])), float(np.floor(ego_xy[0][2]))


def _agents(sc: _Scene, origin, warnings: list[str]) -> tuple[tuple[Agent, ...], tuple[Prop, ...]]:
    tables = sc.tables
    by_instance: dict[str, list[tuple[float, dict]]] = {}
    sample_t = {s["token"]: sc.t(s["timestamp"]) for s in sc.samples}
    for ann in tables.records["sample_annotation"]:
        if ann.get("sample_token") in sample_t:
            by_instance.setdefault(ann["instance_token"], []).append((sample_t[ann["sample_token"]], ann))
    agents, props, unknown = [], [], {}
    for inst_tok in sorted(by_instance, key=lambda k: (min(t for t, _ in by_instance[k]), k)):
        anns = sorted(by_instance[inst_tok], key=lambda p: p[0])
        ref = f"sample_annotation '{anns[0][1]['token']}' in {tables.file('sample_annotation')}"
        inst = tables.get("instance", inst_tok, ref)
        cat = tables.get("category", field(tables, "instance", inst, "category_token"),
                         f"instance '{inst_tok}' in {tables.file('instance')}")["name"]
        cls = agent_class(cat)
        if cls is None:
            unknown[cat] = unknown.get(cat, 0) + 1
            continue
        attrs = [{tables.get("attribute", a, f"sample_annotation '{ann['token']}'")["name"]
                  for a in ann.get("attribute_tokens", [])} for _, ann in anns]
        ts = [t for t, _ in anns]
        xy = np.array([[a["translation"][0] - origin[0], a["translation"][1] - origin[1]] for _, a in anns])
        yaw = np.array([_yaw(a["rotation"]) for _, a in anns])
        bottom = np.array([float(a["translation"][2]) - float(a["size"][2]) / 2 for _, a in anns])
        sizes = {tuple(float(v) for v in a["size"]) for _, a in anns}
        w, l, h = anns[0][1]["size"]
        if len(sizes) > 1:
            warnings.append(f"instance '{inst_tok}' ({cat}) changes size between annotations; using the first "
                            f"[w, l, h] = {[w, l, h]}")
        size = (float(l), float(w), float(h))
        ident = f"{cls}_{inst_tok[:8]}"
        still = (np.ptp(xy, axis=0).max() <= STILL_XY and np.ptp(bottom) <= STILL_XY
                 and np.ptp(np.unwrap(yaw)) <= STILL_YAW)
        if still and is_parked(cls, attrs):
            props.append(Prop(id=ident, cls=cls, xy=(float(xy[0, 0]), float(xy[0, 1])), yaw=float(yaw[0]),
                              size=size, z=float(bottom[0])))
            continue
        if still:
            wps = (Waypoint(t=ts[0], xy=(float(xy[0, 0]), float(xy[0, 1])), yaw=float(yaw[0]), z=float(bottom[0])),)
        else:
            wps = tuple(Waypoint(t=t, xy=(float(p[0]), float(p[1])), yaw=float(y), z=float(zb))
                        for t, p, y, zb in zip(ts, xy, yaw, bottom))
        agents.append(Agent(id=ident, cls=cls, size=size, appear=ts[0], disappear=ts[-1],
                            trajectory=Trajectory(waypoints=wps)))
    for cat, n in sorted(unknown.items()):
        warnings.append(f"{tables.file('category')}: category '{cat}' has no AnyScene class; its {n} instance(s) "
                        f"are not imported (known: {', '.join(sorted(c.category for c in AGENT_CLASSES.values()))})")
    return tuple(agents), tuple(props)


def _timeline(sc: _Scene) -> SensorTimeline:
    end = sc.duration
    lidar = tuple(sc.t(sd["timestamp"]) for sd in sc.channels[LIDAR] if 0.0 <= sc.t(sd["timestamp"]) <= end)
    cams = []
    for ch in sorted(c for c in sc.channels if sc.is_camera(c)):
        times = tuple(sc.t(sd["timestamp"]) for sd in sc.channels[ch]
                      if -CAMERA_LEAD <= sc.t(sd["timestamp"]) <= end)
        if times:
            cams.append(CameraTimes(channel=ch, times=times))
    keyframes = tuple(sc.t(s["timestamp"]) for s in sc.samples)
    return SensorTimeline(epoch_us=sc.t0, keyframes=keyframes, lidar=lidar, cameras=tuple(cams))


def _local_hour(logfile: str) -> float:
    """Local time of day (h) of a nuScenes log name such as n015-2018-10-08-15-36-50+0800; noon if unknown."""
    m = re.search(r"\d{4}-\d{2}-\d{2}-(\d{2})-(\d{2})-(\d{2})", logfile)
    if not m:
        return 12.0
    hh, mm, ss = (int(v) for v in m.groups())
    return round(min(hh + mm / 60 + ss / 3600, 24.0), 4)


def _drivable(sc: _Scene, ego_xy, origin, margin: float, warnings: list[str]):
    from .mapmask import trace_drivable

    tables, log_tok = sc.tables, sc.log["token"]
    maps = [m for m in tables.records["map"] if log_tok in m.get("log_tokens", [])]
    if not maps:
        warnings.append(f"{tables.file('map')}: no map record covers log '{log_tok}'; imported without a "
                        "drivable area")
        return ()
    path = tables.dataroot / str(maps[0].get("filename", ""))
    if not path.is_file():
        warnings.append(f"{path}: map mask of map record '{maps[0]['token']}' not found; imported without a "
                        "drivable area")
        return ()
    return trace_drivable(path, _window(ego_xy, margin), origin, GROUND)


def _window(ego_xy, margin: float) -> tuple[float, float, float, float]:
    """Global (xmin, ymin, xmax, ymax) m: the ego path's bounds plus `margin`."""
    xy = np.array([p[1:3] for p in ego_xy])
    lo, hi = xy.min(axis=0) - margin, xy.max(axis=0) + margin
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def _expansion(sc: _Scene, ego_xy, origin, margin: float):
    """The map expansion layers when `maps/expansion/<location>.json` exists, else nothing."""
    from .expansion import ExpansionMap, expansion_file, read_expansion

    location = str(sc.log.get("location", ""))
    if not location or not expansion_file(sc.tables.dataroot, location).is_file():
        return ExpansionMap((), (), (), ())
    return read_expansion(sc.tables.dataroot, location, _window(ego_xy, margin), origin)


def _rig(sc: _Scene, warnings: list[str]) -> dict:
    cameras = []
    for ch in sorted(c for c in sc.channels if sc.is_camera(c)):
        sds = sc.channels[ch]
        calib = sc.calib[ch]
        if len({sd["calibrated_sensor_token"] for sd in sds}) > 1:
            warnings.append(f"{ch} has several calibrations in scene '{sc.name}'; the rig uses the first")
        if not calib.get("camera_intrinsic"):
            raise DatasetError(f"{sc.tables.file('calibrated_sensor')}: calibrated_sensor '{calib['token']}' of "
                               f"camera {ch} has no camera_intrinsic")
        cameras.append(camera_entry(ch, calib, sds[0].get("width") or 1600, sds[0].get("height") or 900))
    if not cameras:
        warnings.append(f"scene '{sc.name}' has no camera sample_data (a LiDAR-only recording): the rig takes the "
                        "cameras of the default nuscenes rig")
        cameras = default_cameras()
    order = ["CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_FRONT_LEFT", "CAM_BACK", "CAM_BACK_LEFT", "CAM_BACK_RIGHT"]
    cameras.sort(key=lambda c: (order.index(c["channel"]) if c["channel"] in order else len(order), c["channel"]))
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"nuscenes-{sc.name}")
    return {"name": name, "cameras": cameras, "lidar": lidar_entry(LIDAR, sc.calib[LIDAR], warnings)}
