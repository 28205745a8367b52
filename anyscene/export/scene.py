"""One world -> one scene folder: the scene stream's records handed to one writer per wanted format.

`write_scene(world, writer, config)` builds the scene's timeline and its stream
(anyscene.pipeline.stream: cameras, LiDAR and keyframes simulated and rendered instant by instant), turns each
record into its nuScenes records once (`SceneRecords`) and passes both to the format writers
(anyscene.export.writers): nuScenes tables and files, lidarseg, Occ3D, condition maps, infos, previews.
Only the current instant's frames are held; file writes overlap with the next simulation step.
"""
from __future__ import annotations

from typing import Callable

from threadpoolctl import threadpool_limits

from ..errors import ConfigError
from ..names import safe_name
from ..pipeline.records import CameraInstant, KeyframeRecord, LidarRecord, RadarRecord
from ..pipeline.sensors import SensorSuite
from ..pipeline.stream import scene_stream
from ..pipeline.timeline import Timeline, regular_timeline, scene_timeline
from .config import GenerateConfig
from .nuscenes_records import SceneRecords
from .scene_folder import SceneWriter
from .writers import WRITERS, SceneOutput


def scene_name(name: str) -> str:
    """A scene name safe in file names (letters, digits, . _ -)."""
    clean = safe_name(name)
    if not clean:
        raise ConfigError(f"scene name {name!r} has no usable characters")
    return clean


def timeline_of(world, rig, config: GenerateConfig, name: str) -> Timeline:
    """The timeline of a scene: the layout's recorded one, else the config's rates and camera timing."""
    rates = (config.camera_rate, config.lidar_rate, config.keyframe_rate)
    return scene_timeline(world.layout, world.duration, rates, config.camera_timing, rig, name)


def write_scene(world, writer: SceneWriter, config: GenerateConfig, *, name: str | None = None, suite=None,
                on_frames: Callable[[int], None] | None = None) -> dict:
    """Generate one scene into `writer`'s folder (a nuScenes dataroot of this scene alone) and return its
    merge fragment (also written to fragments/scene.json).

    `world` is a compiled World (its layout's duration and seed already overridden as wanted); `name` the
    scene name (default: the layout's name, made file-safe); `suite` a prepared SensorSuite for this world
    (built from `config` when omitted); `on_frames(n)` is called with the number of sensor frames (camera
    images + LiDAR sweeps) finished at each step. Separate scenes can be written in separate processes and
    joined with `merge_datasets`.
    """
    name = scene_name(name or world.layout.name)
    if suite is None:
        suite = SensorSuite(world, config.check_sensors(), config.stream_config())
    rig = suite.rig
    timeline = timeline_of(world, rig, config, name)
    records = SceneRecords(world, rig, timeline, name, config)
    out = SceneOutput(name, world, rig, config, records, writer)
    writers = [cls(out) for fmt, cls in WRITERS.items() if config.wants(fmt)]
    n_cams = len(rig.cameras)
    try:
        with single_threaded_blas():
            fragment = _run(world, rig, timeline, suite, records, writers, name, config, n_cams, on_frames)
    finally:
        for w in writers:
            w.close()
    writer.flush()
    writer.write_tables(fragment, tables=config.wants("nuscenes"))
    return fragment


def single_threaded_blas():
    """A context in which numpy's BLAS uses one thread. The stream's matrix products are small and run beside
    its own rendering and writing threads; a multi-threaded OpenBLAS there only spins (and, on an
    oversubscribed machine, has been seen to stall in its thread hand-off)."""
    return threadpool_limits(limits=1, user_api="blas")


def _run(world, rig, timeline, suite, records: SceneRecords, writers: list, name: str, config: GenerateConfig,
         n_cams: int, on_frames) -> dict:
    """The stream loop of `write_scene`: every record to every writer; returns the merge fragment."""
    for w in writers:
        w.begin()
    for rec in scene_stream(world, rig, timeline, suite, suite.config):
        if isinstance(rec, CameraInstant):
            nus = [records.camera(s) for s in rec.shots]
            for w in writers:
                w.camera(rec, nus)
            if on_frames:
                on_frames(n_cams)
        elif isinstance(rec, LidarRecord):
            nus = records.lidar(rec)
            for w in writers:
                w.lidar(rec, nus)
            if on_frames:
                on_frames(1)
        elif isinstance(rec, RadarRecord):
            nus = records.radar(rec)
            for w in writers:
                w.radar(rec, nus)
        elif isinstance(rec, KeyframeRecord):
            kf = records.keyframe(rec)
            for w in writers:
                w.keyframe(rec, kf)
    records.chain_annotations()
    fragment = {"name": name, "token": records.scene_token, "layout": world.layout.name,
                "version": config.version, "formats": list(config.formats),
                "samples": [kf.sample["token"] for kf in records.keyframes],
                "global_offset": [float(v) for v in records.mf.offset], "occ3d": {}, "infos": []}
    for w in writers:
        w.finish(fragment)
    return fragment


def write_scene_folder(world, folder, config: GenerateConfig, rig, *, name: str,
                       on_frames: Callable[[int], None] | None = None) -> dict:
    """`write_scene` into a new scene folder `folder` with the SensorRig `rig`: the file writer is created
    here and closed at the end (its pending writes abandoned on an error). Returns the merge fragment."""
    writer = SceneWriter(folder, config.version, config.workers)
    try:
        fragment = write_scene(world, writer, config, name=name, suite=SensorSuite(world, rig, config.stream_config()),
                               on_frames=on_frames)
    except BaseException:
        writer.close(cancel=True)
        raise
    writer.close()
    return fragment


def frame_count(layout, config: GenerateConfig, n_cameras: int = 6) -> int:
    """Sensor frames (camera images + LiDAR sweeps) a layout's scene produces: at the config's rates, or as its
    recorded timeline says (an estimate there: the shortest camera chain bounds the instants)."""
    recorded = getattr(layout, "timeline", None)
    if recorded is not None:
        end = layout.duration + 1e-6
        images = min((sum(t <= end for t in c.times) for c in recorded.cameras), default=0)
        return n_cameras * images + sum(t <= end for t in recorded.lidar)
    tl = regular_timeline(layout.duration, config.camera_rate, config.lidar_rate, config.keyframe_rate, "count")
    return n_cameras * tl.n_camera_instants + len(tl.lidar)
