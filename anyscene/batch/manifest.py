"""The batch manifest: one record per scene (status, seed, timing, error), saved atomically after every change
so an interrupted batch can be resumed. Statuses: pending (not yet run, or interrupted), running, done,
failed."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..atomic import atomic_file

MANIFEST_VERSION = 1
STATUSES = ("pending", "running", "done", "failed")


@dataclass
class SceneRecord:
    """One scene of a batch.

    `layout` is the layout file generated (inside the work folder), `source` where it came from (a file or
    `sampler:<index>`), `digest` the SHA-256 of the layout text and generation config it was made with,
    `seed` the layout's seed; times are Unix seconds, `seconds` the run time of the last attempt.
    """

    name: str
    source: str
    layout: str = ""
    digest: str = ""
    status: str = "pending"
    seed: int | None = None
    attempts: int = 0
    started: float | None = None
    finished: float | None = None
    seconds: float | None = None
    frames: int | None = None
    worker: str | None = None
    error: str | None = None
    traceback: str | None = None


@dataclass
class Manifest:
    """Every scene of a batch in dataset order, and what the batch was run with."""

    scenes: list[SceneRecord] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    runs: int = 0

    def by_name(self) -> dict[str, SceneRecord]:
        return {s.name: s for s in self.scenes}

    def count(self, status: str) -> int:
        return sum(1 for s in self.scenes if s.status == status)

    def summary(self) -> dict:
        return {st: self.count(st) for st in STATUSES}

    def to_json(self) -> dict:
        return {"manifest_version": MANIFEST_VERSION, "runs": self.runs, "summary": self.summary(),
                "config": self.config, "scenes": [asdict(s) for s in self.scenes]}

    def save(self, path: Path) -> None:
        """Write atomically (a temporary file renamed into place)."""
        with atomic_file(path) as tmp:
            tmp.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        names = {f.name for f in fields(SceneRecord)}
        scenes = [SceneRecord(**{k: v for k, v in s.items() if k in names}) for s in data.get("scenes", [])]
        return cls(scenes=scenes, config=data.get("config", {}), runs=int(data.get("runs", 0)))
