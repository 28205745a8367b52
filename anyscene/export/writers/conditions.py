"""Condition maps of the keyframe images: `conditions/<CHANNEL>/<sample_data>.npz` (semantic, depth, instance)."""
from __future__ import annotations

import numpy as np

from ..fileio import save_npz
from .base import FormatWriter


class ConditionsWriter(FormatWriter):
    format = "conditions"

    def camera(self, instant, records) -> None:
        for shot, (sd, _pose) in zip(instant.shots, records):
            if shot.keyframe < 0:
                continue
            f = shot.frame
            sem, depth, inst = f.semantic, f.depth.astype(np.float16), f.instance.astype(np.uint16)
            self.out.files.submit(f"conditions/{shot.channel}/{sd['token']}.npz",
                                  lambda p, a=sem, b=depth, c=inst: save_npz(p, semantic=a, depth=b, instance=c))
