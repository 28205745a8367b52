"""The detector's model file: a magic line, a JSON header (classes, grid, sweeps, width, format version,
provenance, payload size and SHA-256), then the torch state dict. Anything else is refused."""
from __future__ import annotations

import hashlib
import io
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import torch

from .. import __version__
from ..atomic import atomic_file
from ..errors import ConfigError
from .grid import BevGrid
from .model import BevDetector

MAGIC = b"ANYSCENE-BEV-DETECTOR\n"
FORMAT_VERSION = 1
MAX_HEADER = 1 << 20


class ModelFileError(ConfigError):
    """A model file that is not an AnyScene detector, is truncated or corrupted, or of another version."""


@dataclass
class DetectorSpec:
    """What a model file's header says: enough to rebuild the network and read its inputs."""

    classes: tuple[str, ...]
    grid: BevGrid
    sweeps: int        # LiDAR sweeps per input (keyframe + sweeps - 1 earlier ones)
    width: int         # network width (BevDetector)
    info: dict         # provenance: steps, seed, sources, final loss, anyscene version

    def build(self) -> BevDetector:
        return BevDetector(self.grid, len(self.classes), self.width)


def save_model(path: str | Path, spec: DetectorSpec, model: BevDetector) -> None:
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buf)
    payload = buf.getvalue()
    header = json.dumps({"format": "anyscene-bev-detector", "format_version": FORMAT_VERSION,
                         "anyscene_version": __version__, "classes": list(spec.classes),
                         "grid": spec.grid.to_dict(), "sweeps": spec.sweeps, "width": spec.width,
                         "info": spec.info, "payload_bytes": len(payload),
                         "payload_sha256": hashlib.sha256(payload).hexdigest()}, sort_keys=True).encode()
    with atomic_file(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(MAGIC + struct.pack("<I", len(header)) + header + payload)


def load_model(path: str | Path, device: str = "cpu") -> tuple[DetectorSpec, BevDetector]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelFileError(f"{path}: cannot read the model file: {e.strerror or e}") from None
    if data and len(data) < len(MAGIC) and MAGIC.startswith(data):
        raise ModelFileError(f"{path}: truncated model file (not even its magic line)")
    if not data.startswith(MAGIC):
        raise ModelFileError(f"{path}: not an AnyScene detector model file (train one with "
                             "`anyscene detector train`)")
    off = len(MAGIC)
    if len(data) < off + 4:
        raise ModelFileError(f"{path}: truncated model file (no header)")
    (n,) = struct.unpack("<I", data[off:off + 4])
    if n > MAX_HEADER or len(data) < off + 4 + n:
        raise ModelFileError(f"{path}: truncated or corrupted model file (header)")
    try:
        head = json.loads(data[off + 4:off + 4 + n])
        payload = data[off + 4 + n:]
        if head.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(f"{path}: model format version {head.get('format_version')} is not "
                                 f"supported (this anyscene reads {FORMAT_VERSION})")
        if len(payload) != head["payload_bytes"] or hashlib.sha256(payload).hexdigest() != head["payload_sha256"]:
            raise ModelFileError(f"{path}: truncated or corrupted model file ({len(payload)} of "
                                 f"{head['payload_bytes']} weight bytes, or a checksum mismatch)")
        spec = DetectorSpec(tuple(head["classes"]), BevGrid(**head["grid"]).validate(), int(head["sweeps"]),
                            int(head["width"]), dict(head.get("info", {})))
    except (ValueError, KeyError, TypeError) as e:
        raise ModelFileError(f"{path}: corrupted model file header: {e}") from None
    model = spec.build()
    model.load_state_dict(torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True))
    return spec, model.to(device).eval()
