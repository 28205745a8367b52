"""Writing one scene's output folder: files in a background thread pool, table records in memory.

A scene folder is a nuScenes dataroot holding one scene::

    <version>/<table>.json        the 13 tables (+ lidarseg.json) of this scene
    samples/<CHANNEL>/...         keyframe images (.jpg) and LiDAR sweeps (.pcd.bin)
    sweeps/<CHANNEL>/...          the other frames
    lidarseg/<version>/<token>_lidarseg.bin
    maps/<token>.png              the drivable-area mask of the scene
    gts/<scene>/<sample>/labels.npz, conditions/<CHANNEL>/<sample_data>.npz, previews/<scene>.mp4
    fragments/scene.json          what `merge_datasets` needs besides the tables: the scene's name, token,
                                  samples, Occ3D scene_infos and mmdet3d info entries

`merge_datasets` joins such folders into one dataset.
"""
from __future__ import annotations

import threading
from collections import defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from .fileio import dump_json

TABLES: tuple[str, ...] = ("category", "attribute", "visibility", "instance", "sensor", "calibrated_sensor",
                           "ego_pose", "log", "scene", "sample", "sample_data", "sample_annotation", "map")
FRAGMENT = Path("fragments") / "scene.json"


class SceneWriter:
    """Collects the table records of one scene and writes its files under `root`.

    File writes run on `workers` background threads (JPEG encoding, zlib and disk I/O release the GIL, so they
    overlap with the ray casting of the next frame); at most `2 × workers` writes wait at any time, so memory
    stays bounded. `close()` waits for all of them and re-raises the first failure.
    """

    def __init__(self, root: Path, version: str, workers: int = 2):
        self.root = Path(root)
        self.version = version
        self.tables: dict[str, list[dict]] = defaultdict(list)
        self.lidarseg: list[dict] = []
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="anyscene-write")
        self._pending: deque[Future] = deque()
        self._limit = 2 * workers
        self._dirs: set[Path] = set()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------- records
    def add(self, table: str, record: dict) -> None:
        self.tables[table].append(record)

    # --------------------------------------------------------------------------------------------- files
    def path(self, relative: str | Path) -> Path:
        """Absolute path of a dataroot-relative path; its folder is created."""
        p = self.root / relative
        with self._lock:
            if p.parent not in self._dirs:
                p.parent.mkdir(parents=True, exist_ok=True)
                self._dirs.add(p.parent)
        return p

    def submit(self, relative: str | Path, produce: Callable[[Path], None]) -> None:
        """Run `produce(absolute_path)` on a writer thread (waits while too many writes are pending)."""
        path = self.path(relative)
        while len(self._pending) >= self._limit:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(produce, path))

    def write_bytes(self, relative: str | Path, data: bytes) -> None:
        def produce(p: Path) -> None:
            with open(p, "wb") as f:
                f.write(data)
        self.submit(relative, produce)

    def flush(self) -> None:
        """Wait for every pending write; re-raise the first failure."""
        while self._pending:
            self._pending.popleft().result()

    def close(self, cancel: bool = False) -> None:
        """Finish (or with `cancel`, abandon) pending writes and stop the threads."""
        if cancel:
            for f in self._pending:
                f.cancel()
            self._pending.clear()
            self._pool.shutdown(wait=True, cancel_futures=True)
            return
        try:
            self.flush()
        finally:
            self._pool.shutdown(wait=True)

    # ------------------------------------------------------------------------------------------- tables
    def write_tables(self, fragment: dict, tables: bool = True) -> None:
        """Write the 13 tables (+ lidarseg.json when any; both only with `tables`) and the merge fragment."""
        for name in TABLES if tables else ():
            dump_json(self.tables.get(name, []), self.path(Path(self.version) / f"{name}.json"), indent=0)
        if self.lidarseg:
            dump_json(self.lidarseg, self.path(Path(self.version) / "lidarseg.json"), indent=0)
        dump_json(fragment, self.path(FRAGMENT), sort_keys=False)  # keeps the keyframes in time order
