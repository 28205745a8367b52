"""`run_batch`: many scenes into one dataset, resumably.

The output folder DIR is the merged nuScenes dataroot plus `DIR/manifest.json`; `DIR/.batch/` is the work
folder: the live manifest, the layouts generated (sampled or copied), and one finished folder per scene
(`scenes/<name>/`, written by a worker process or Ray task). After the scenes run, the driver merges every
finished scene, in the manifest's order, into DIR (one version holding all scenes, splits.json, Occ3D
annotations and info pkls over the same splits).

A rerun with the same DIR resumes: scenes recorded as done whose folder is intact and whose layout and
generation config are unchanged are skipped; interrupted and failed scenes run again.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..atomic import atomic_file, output_target, sigterm_as_interrupt
from ..errors import OutputError
from .config import BatchConfig, generation_config, local_workers, read_layout_text
from .config import layout_files as _layout_files
from .jobs import SceneResult, SceneTask
from .manifest import Manifest, SceneRecord
from ..procgen.config import config_dict

WORK = ".batch"
EXIT_SOME_FAILED = 3  # exit code of `anyscene batch` when at least one scene failed


@dataclass
class BatchReport:
    """The outcome of a run: scene names by what happened to them, the dataset folder (None when no scene is
    finished), and the manifest's path."""

    out: Path
    dataset: Path | None
    manifest: Path
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    backend: str = "local"
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_SOME_FAILED if self.failed else 0

    def summary(self) -> str:
        done = len(self.ran) - len([n for n in self.ran if n in self.failed])
        lines = [f"batch: {done} scene(s) generated, {len(self.skipped)} already done, {len(self.failed)} failed "
                 f"({self.backend}, {self.seconds:.1f} s)"]
        for name, err in self.failed.items():
            first = (err or "").strip().splitlines()[0] if err else "unknown error"
            lines.append(f"  failed {name}: {first}")
        if self.failed:
            lines.append(f"  details in {self.manifest}; rerun the same command to retry the failed scenes")
        if self.dataset is not None:
            lines.append(f"dataset: {self.dataset}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Planned:
    name: str
    source: str
    digest: str
    task: SceneTask


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _unique(names: list[str]) -> list[str]:
    out, seen = [], {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}-{seen[n]}")
    return out


def plan_scenes(cfg: BatchConfig, work: Path, gen) -> list[_Planned]:
    """Every scene of the batch, in dataset order, with the task that makes it."""
    from ..export.scene import scene_name

    gen_json = json.dumps(config_dict(gen), sort_keys=True)
    layouts_dir = work / "layouts"
    scenes_dir = work / "scenes"
    out: list[_Planned] = []
    src = cfg.source
    if src.sampler is not None:
        from ..procgen.sampler import scene_name as sampled_name
        from ..procgen.config import load_sampler_config

        options = {"seed": src.sampler.seed} if src.sampler.seed is not None else None
        scfg = load_sampler_config(src.sampler.config, src.sampler.overrides, options)
        s_json = json.dumps(config_dict(scfg), sort_keys=True)
        for i in range(src.sampler.start, src.sampler.start + src.sampler.n):
            name = sampled_name(scfg, i)
            task = SceneTask(name, str(layouts_dir / f"{name}.yaml"), str(scenes_dir / name), gen, sample=(scfg, i))
            out.append(_Planned(name, f"sampler:{i}", _digest(s_json, str(i), gen_json), task))
        return out
    files = _layout_files(src.layouts)
    names = _unique([scene_name(p.stem) for p in files])
    for p, name in zip(files, names):
        text = read_layout_text(p)
        task = SceneTask(name, str(layouts_dir / f"{name}.yaml"), str(scenes_dir / name), gen)
        out.append(_Planned(name, str(p), _digest(text, gen_json), task))
    return out




def _prepare_out(out: Path, overwrite: bool) -> Path:
    """DIR's work folder, created when needed: DIR is new, empty, or a previous batch's folder (any other
    folder only with `overwrite`, which clears it once the lock is held: `_clear_for_overwrite`)."""
    work = out / WORK
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    if (out.exists() and not overwrite and not (work / "manifest.json").exists()
            and any(e.name != WORK for e in out.iterdir())):
        raise OutputError(f"{out}: exists and is not a batch folder (no {WORK}/manifest.json); choose another "
                          "--out or pass --overwrite")
    try:
        work.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out}: cannot create the folder: {e.strerror or e}") from None
    return work


def _clear_for_overwrite(out: Path, lock: Path) -> None:
    """Empty DIR for `--overwrite`, keeping only the lock held by this run."""
    _clear_dataset(out)
    for entry in (out / WORK).iterdir():
        if entry != lock:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


class _Lock:
    """One batch at a time per output folder: `.batch/lock` holds the driver's host and pid. It is created
    with O_EXCL, so of two drivers starting together exactly one gets it; a lock left by a process that no
    longer runs on this host is taken over."""

    def __init__(self, work: Path):
        self.path = work / "lock"

    def __enter__(self):
        import socket

        me = f"{socket.gethostname()}:{os.getpid()}".encode()
        for _attempt in range(2):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                try:
                    host, _, pid = self.path.read_text().strip().rpartition(":")
                except FileNotFoundError:
                    continue  # released meanwhile
                stale = host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))
                if not stale:
                    raise OutputError(f"{self.path.parent.parent}: another batch ({host or 'unknown host'}, pid "
                                      f"{pid or '?'}) is writing this folder") from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "wb") as f:
                f.write(me)
            return self
        raise OutputError(f"{self.path.parent.parent}: cannot take the batch lock {self.path}")

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _scene_ok(work: Path, name: str) -> bool:
    from ..export.scene_folder import FRAGMENT

    return (work / "scenes" / name / FRAGMENT).is_file()


def run_batch(cfg: BatchConfig, out: str | Path, *, ray: str | None = None, workers: int | None = None,
              retry_failed_only: bool = False, overwrite: bool = False, progress: bool = True) -> BatchReport:
    """Generate the batch's scenes into `out` and merge them (see the module docstring).

    `ray` ("auto", "local" or an address; default the config's) runs one Ray task per scene, otherwise
    `workers` local processes (default the config's; 0 = all cores). `retry_failed_only` runs only the scenes
    the manifest records as failed. Returns the report; failed scenes do not raise.
    """
    t_start = time.time()
    out = output_target(out)
    gen = generation_config(cfg)
    gen.check_sensors()  # a bad rig, grid or renderer is a user error before anything runs
    new_out, new_work = not out.exists(), not (out / WORK).exists()
    work = _prepare_out(out, overwrite)
    with sigterm_as_interrupt(), _Lock(work) as lock:
        try:
            if overwrite:
                _clear_for_overwrite(out, lock.path)
            planned = plan_scenes(cfg, work, gen)
        except BaseException:
            if new_work or overwrite:  # nothing of this run is worth keeping: leave no work folder behind
                lock.__exit__()
                shutil.rmtree(work, ignore_errors=True)
                if new_out:
                    shutil.rmtree(out, ignore_errors=True)
            raise
        manifest_path = work / "manifest.json"
        previous_manifest = Manifest.load(manifest_path) if manifest_path.exists() else Manifest()
        old = previous_manifest.by_name()
        manifest = Manifest(config={"batch": config_dict(cfg), "generate": config_dict(gen)},
                            runs=previous_manifest.runs + 1)
        todo: list[SceneTask] = []
        report = BatchReport(out, None, manifest_path)
        for p in planned:
            rec = old.get(p.name)
            if rec is None or rec.digest != p.digest or rec.source != p.source:
                rec = SceneRecord(name=p.name, source=p.source, layout=os.path.relpath(p.task.layout, out),
                                  digest=p.digest)
            manifest.scenes.append(rec)
            if rec.status == "done" and _scene_ok(work, p.name):
                report.skipped.append(p.name)
                continue
            if retry_failed_only and rec.status != "failed":
                if rec.status != "done":
                    rec.status = "pending"
                continue
            rec.status = "pending"
            todo.append(p.task)
            if p.task.sample is None:
                _copy_layout(Path(p.source), Path(p.task.layout))
        _drop_stale(work, manifest)
        manifest.save(manifest_path)
        report.backend = "ray" if (ray or cfg.ray.address) else "local"
        executor = _executor(cfg, ray, workers, len(todo))
        by_name = manifest.by_name()
        bar = _bar(len(todo), progress)
        try:
            def started(task: SceneTask) -> None:
                rec = by_name[task.name]
                rec.status, rec.started, rec.finished, rec.seconds = "running", time.time(), None, None
                manifest.save(manifest_path)

            for task, result in (executor.run(todo, started) if todo else ()):
                _record(by_name[task.name], result)
                manifest.save(manifest_path)
                report.ran.append(task.name)
                if result.status != "done":
                    report.failed[task.name] = result.error or "failed"
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(failed=len(report.failed), refresh=False)
        except BaseException:
            executor.close()
            for rec in manifest.scenes:
                if rec.status == "running":
                    rec.status = "pending"  # interrupted: runs again next time
            manifest.save(manifest_path)
            raise
        finally:
            if bar is not None:
                bar.close()
        for rec in manifest.scenes:
            if rec.status == "failed" and rec.name not in report.failed and rec.name not in report.ran:
                report.failed[rec.name] = rec.error or "failed"
        finished = [r.name for r in manifest.scenes if r.status == "done" and _scene_ok(work, r.name)]
        report.dataset = merge_scenes(work, out, finished, gen) if finished else None
        if not finished:
            _clear_dataset(out)
        report.seconds = round(time.time() - t_start, 3)
        manifest.save(manifest_path)
        shutil.copyfile(manifest_path, out / "manifest.json")
    return report


def _record(rec: SceneRecord, r: SceneResult) -> None:
    rec.status = r.status
    rec.attempts += 1
    rec.finished = time.time()
    rec.seconds = r.seconds
    rec.worker = r.worker or None
    if r.seed is not None:
        rec.seed = r.seed
    rec.frames = r.frames if r.status == "done" else None
    rec.error, rec.traceback = r.error, r.traceback


def _copy_layout(src: Path, dst: Path) -> None:
    with atomic_file(dst) as tmp:
        shutil.copyfile(src, tmp)


def _drop_stale(work: Path, manifest: Manifest) -> None:
    """Remove scene folders that are not (or no longer) finished scenes of this batch, and partial folders."""
    scenes = work / "scenes"
    if not scenes.exists():
        return
    keep = {r.name for r in manifest.scenes if r.status == "done"}
    for d in scenes.iterdir():
        if d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)


def _executor(cfg: BatchConfig, ray: str | None, workers: int | None, n_tasks: int):
    from .executors import LocalExecutor, RayExecutor

    n = workers if workers is not None else local_workers(cfg)
    n = n if n and n > 0 else (os.cpu_count() or 1)
    address = ray or cfg.ray.address
    if address:
        return RayExecutor(address, cfg.ray.num_cpus or n, cfg.ray.cpus_per_scene)
    return LocalExecutor(max(1, min(n, max(n_tasks, 1))))


def _bar(total: int, progress: bool):
    if not progress or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="scene", desc="batch", file=sys.stderr, dynamic_ncols=True)


def merge_scenes(work: Path, out: Path, names: list[str], gen) -> Path:
    """Merge the finished scene folders `names` (in this order) into `out`, replacing a previous merge.

    The scenes' files are hard-linked (copied across file systems) into a staging folder and moved into the
    merged layout there, so the scene folders stay intact for later reruns; then the staging folder's entries
    replace DIR's."""
    from ..export.merge import merge_into

    staging = work / "merge"
    shutil.rmtree(staging, ignore_errors=True)
    links = staging / "scenes"
    root = staging / "dataset"
    root.mkdir(parents=True)
    dirs = []
    for name in names:
        dst = links / name
        _link_tree(work / "scenes" / name, dst)
        dirs.append(dst)
    merge_into(dirs, root, gen.version, None, gen.splits, move=True)
    _clear_dataset(out)
    for entry in sorted(root.iterdir()):
        os.replace(entry, out / entry.name)
    shutil.rmtree(staging, ignore_errors=True)
    return out


def _clear_dataset(out: Path) -> None:
    """Remove a previous merge from DIR (everything but the work folder)."""
    for entry in out.iterdir():
        if entry.name == WORK:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _link_tree(src: Path, dst: Path) -> None:
    for dirpath, _dirs, files in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for f in files:
            s, d = Path(dirpath) / f, dst / rel / f
            try:
                os.link(s, d)
            except OSError:
                shutil.copyfile(s, d)


def report_json(report: BatchReport) -> dict:
    d = asdict(report)
    d["out"], d["manifest"] = str(report.out), str(report.manifest)
    d["dataset"] = str(report.dataset) if report.dataset else None
    return d
