"""Byte-stable writers: the same data always gives the same bytes (JSON, npz, pkl, JPEG, binary)."""
from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import numpy as np
from PIL import Image

from ..world.labels import save_npz as _save

PICKLE_PROTOCOL = 4


def dump_json(obj, path: Path, indent: int | None = None, sort_keys: bool = True) -> None:
    """JSON, keys sorted (or in insertion order where that order means something); floats in Python's
    shortest round-trip form, so they read back as exactly the values computed."""
    text = json.dumps(obj, sort_keys=sort_keys, indent=indent, separators=(",", ": ") if indent else (",", ":"),
                      allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def load_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Compressed .npz (np.load reads it) whose bytes depend only on the arrays and their order."""
    _save(path, arrays)


def dump_pickle(obj, path: Path) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=PICKLE_PROTOCOL)


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of an (H, W, 3) uint8 image (libjpeg through Pillow, deterministic for fixed settings)."""
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, format="JPEG", quality=int(quality), subsampling=2, optimize=False)
    return buf.getvalue()
