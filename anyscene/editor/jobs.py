"""`anyscene generate` runs started from the editor: each in its own process on a snapshot of the edited
text, with its progress read from the generator's progress bar."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AnySceneError

_PROGRESS = re.compile(r"(\d+)/(\d+) \[")
MAX_JOBS = 20  # kept per session (older finished ones are forgotten)
MAX_LOG = 20000  # characters of output kept per job


class JobError(AnySceneError):
    """A generate request that cannot start (bad options, too many running)."""


@dataclass
class GenerateJob:
    """One background `generate` run. `state` is running, done or failed; `progress` 0..1 counts frames."""

    id: str
    layout_file: Path
    out: Path
    args: list[str]
    state: str = "running"
    progress: float = 0.0
    log: str = ""
    started: float = field(default_factory=time.time)
    finished: float | None = None
    returncode: int | None = None
    process: subprocess.Popen | None = None

    @property
    def video(self) -> Path | None:
        found = sorted((self.out / "previews").glob("*.mp4")) if self.out.is_dir() else []
        return found[0] if found else None

    def json(self) -> dict:
        return {"id": self.id, "state": self.state, "progress": round(self.progress, 4),
                "log": self.log[-4000:], "out": str(self.out), "has_video": self.video is not None,
                "returncode": self.returncode, "seconds": round((self.finished or time.time()) - self.started, 1)}


class JobRunner:
    """Starts and tracks generate runs; outputs go under `root` (a fresh temporary folder by default)."""

    def __init__(self, root: Path | None = None):
        self._root = root
        self.jobs: dict[str, GenerateJob] = {}
        self._lock = threading.Lock()
        self._count = 0

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="anyscene-edit-generate-"))
        self._root.mkdir(parents=True, exist_ok=True)
        return self._root

    def start(self, text: str, name: str, duration: float | None, resolution: str | None,
              rig: str | None = None) -> GenerateJob:
        args = []
        if duration is not None:
            if not 0.1 <= float(duration) <= 600:
                raise JobError("duration: between 0.1 and 600 s")
            args += ["--duration", f"{float(duration):g}"]
        if resolution is not None:
            if not re.fullmatch(r"\d{2,4}x\d{2,4}", str(resolution)):
                raise JobError("resolution: WxH, e.g. 800x450")
            args += ["--resolution", str(resolution)]
        if rig is not None:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(rig)):
                raise JobError("rig: a rig name under configs/rigs")
            args += ["--rig", str(rig)]
        with self._lock:
            if sum(j.state == "running" for j in self.jobs.values()) >= 2:
                raise JobError("two generate runs are already running; wait for one to finish")
            self._count += 1
            job_id = f"job{self._count}"
            folder = self.root / job_id
            folder.mkdir(parents=True, exist_ok=True)
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "layout"
            layout_file = folder / f"{safe}.yaml"
            layout_file.write_text(text, encoding="utf-8")
            job = GenerateJob(job_id, layout_file, folder / "dataset", args)
            self.jobs[job_id] = job
            for old in [k for k, j in self.jobs.items() if j.state != "running"][:-MAX_JOBS]:
                del self.jobs[old]
        threading.Thread(target=self._run, args=(job,), daemon=True, name=f"anyscene-{job_id}").start()
        return job

    def _run(self, job: GenerateJob) -> None:
        cmd = [sys.executable, "-m", "anyscene.cli.main", "generate", str(job.layout_file), "--out", str(job.out),
               "--overwrite", *job.args]
        env = dict(os.environ)
        package_parent = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([package_parent] + [p for p in [env.get("PYTHONPATH")] if p])
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                    cwd=str(job.out.parent))
        except OSError as e:
            job.state, job.log, job.finished = "failed", f"cannot start generate: {e}", time.time()
            return
        job.process = proc
        buf = b""
        while True:
            chunk = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(4096)
            if not chunk:
                break
            buf += chunk
            parts = re.split(rb"[\r\n]", buf)
            buf = parts.pop()
            for part in parts:
                self._line(job, part.decode("utf-8", "replace"))
        if buf:
            self._line(job, buf.decode("utf-8", "replace"))
        job.returncode = proc.wait()
        job.finished = time.time()
        job.state = "done" if job.returncode == 0 else "failed"
        if job.state == "done":
            job.progress = 1.0

    @staticmethod
    def _line(job: GenerateJob, line: str) -> None:
        m = _PROGRESS.search(line)
        if m and int(m.group(2)) > 0:
            job.progress = min(1.0, int(m.group(1)) / int(m.group(2)))
        elif line.strip():
            job.log = (job.log + line.rstrip() + "\n")[-MAX_LOG:]

    def get(self, job_id: str) -> GenerateJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise JobError(f"no generate run '{job_id}'")
        return job

    def stop_all(self) -> None:
        for job in self.jobs.values():
            if job.process is not None and job.process.poll() is None:
                job.process.terminate()
