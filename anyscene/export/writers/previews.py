"""The scene's preview video `previews/<scene>.mp4`: the cameras tiled beside a bird's-eye view."""
from __future__ import annotations

from ...pipeline.timeline import seconds
from ..preview_video import PreviewVideo
from .base import FormatWriter


class PreviewWriter(FormatWriter):
    format = "previews"
    video = None

    def begin(self) -> None:
        o, p = self.out, self.out.cfg.preview
        cam0 = o.rig.cameras[0]
        self.video = PreviewVideo(o.files.path(f"previews/{o.name}.mp4"), o.world, [c.channel for c in o.rig.cameras],
                                  (cam0.width, cam0.height), p.tile_width, p.bev_range, p.fps or o.cfg.camera_rate,
                                  p.quality)

    def camera(self, instant, records) -> None:
        self.video.add(seconds(instant.shots[0].us), {s.channel: im for s, im in zip(instant.shots, instant.images)})

    def close(self) -> None:
        if self.video is not None:
            self.video.close()
            self.video = None
