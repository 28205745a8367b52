"""The scene stream: a compiled world, a rig, a timeline and a renderer, instant by instant, as typed records
(camera instants with their images, LiDAR sweeps, keyframes with boxes and occupancy). No file I/O: the export's
format writers, the editor, the importers and the benchmarks all consume the same stream.

`timeline` (when each sensor fires), `sensors` (the per-world sensor simulation and renderer), `boxes` (exact
keyframe boxes), `records` (the record types), `stream` (`scene_stream`), `config` (`StreamConfig`).
"""
