"""The sim2real benchmark: does AnyScene data train a LiDAR detector that works on real nuScenes?

Four arms train at the same step budget and seed and are scored on the real test keyframes:
real-only, synthetic-only (sampled scenes plus the imported and replayed real training scene, each source
drawn equally often),
synthetic -> real (synthetic-only fine-tuned on the real training scene, the same budget again) and mixed
(every source, each drawn equally often). A paired realism check scores the real-only model on the real
test keyframes and on their replay (import + generate) and reports the ratio of the APs.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..atomic import atomic_folder
from ..errors import AnySceneError, ConfigError, DatasetError
from ..resources import config_dir
from .data import SceneSelection, Source, has_sweep_files, open_nuscenes, scene_keyframes
from .evaluate import EvalResult, evaluate
from .grid import TINY_GRID, BevGrid
from .train import TrainOptions, train

REPORT_CLASSES = ("car", "pedestrian", "truck", "bus", "motorcycle", "bicycle", "barrier", "traffic_cone")
ARMS = ("real-only", "synthetic-only", "synthetic -> real", "mixed")
REPLAY_VERSION = "v1.0-replay"


@dataclass
class Sim2RealOptions:
    """The benchmark's budget and synthetic data."""

    steps: int = 600                  # optimiser steps per arm (fine-tuning gets the same again)
    minutes: float | None = 20.0      # wall-time cap per arm
    seed: int = 0
    synthetic: Source | None = None   # an existing synthetic dataroot; None: sample and generate one
    synthetic_scenes: int = 8         # scenes sampled when generating
    synthetic_duration: float = 20.0  # s per sampled scene
    sampler: str | None = None        # sampler config; None: nuscenes_like if present, else default
    sweeps: int | None = None         # None: 1 when the real test data has no sweep files, else 3
    grid: BevGrid = field(default_factory=BevGrid)
    width: int = 32
    batch: int = 2
    device: str = "cpu"
    progress: bool = True

    @classmethod
    def quick(cls, **kw) -> "Sim2RealOptions":
        """A few minutes end to end: tiny grid and network, one short sampled scene, few steps."""
        base = dict(steps=30, minutes=2.0, synthetic_scenes=1, synthetic_duration=4.0, grid=TINY_GRID, width=8)
        base.update(kw)
        return cls(**base)


def _cli(argv: list[str]) -> None:
    """Run one `anyscene` verb as a user would, in its own process (the benchmark drives the commands)."""
    import subprocess
    import sys

    code = subprocess.run([sys.executable, "-m", "anyscene.cli.main", *argv]).returncode
    if code != 0:
        raise AnySceneError(f"`anyscene {' '.join(argv[:2])} ...` failed (exit {code}); see the message above")


def _sampler_config(name: str | None) -> Path:
    if name:
        return Path(name)
    for cand in ("nuscenes_like.yaml", "default.yaml"):
        p = config_dir("sampler") / cand
        if p.is_file():
            return p
    raise ConfigError("no sampler config found (configs/sampler/default.yaml)")


def _gen_overrides(sweeps: int) -> list[str]:
    # the detector reads the LiDAR only: no camera or radar is simulated; LiDAR at 2 Hz unless sweeps are used
    return ["sensors=[lidar]", f"lidar_rate={20.0 if sweeps > 1 else 2.0}",
            "formats=[nuscenes]", "progress=false"]


def _selected(source: Source) -> tuple[SceneSelection, ...]:
    if source.scenes:
        return source.scenes
    nusc = open_nuscenes(source.dataroot, source.version)
    return tuple(SceneSelection(s["name"]) for s in nusc.scene)


def replay(source: Source, out: Path, sweeps: int, cover: tuple[SceneSelection, ...] = ()) -> list[Source]:
    """Import each selected scene of a real source and generate it again (with its own calibrated rig) into
    OUT/dataroot/<scene>; returns one source per scene with the same keyframe ranges, clamped to the
    keyframes the replay has (it fires at the regular rates, so it may have one keyframe less). The replay
    is generated long enough for the keyframes of `cover` too (a test range of the same scene)."""
    out.mkdir(parents=True)
    sels = _selected(source)
    layouts = []
    for sel in dict.fromkeys(s.name for s in sels):
        lay, rig = out / f"{sel}.yaml", out / f"{sel}_rig.yaml"
        _cli(["import", "nuscenes", str(source.dataroot), "--version", source.version, "--scene", sel,
              "--out", str(lay), "--rig-out", str(rig)])
        layouts.append((lay, rig))
    root = out / "dataroot"
    sources = []
    for lay, rig in layouts:
        d = root / lay.stem
        lasts = [s.last for s in (*sels, *cover) if s.name == lay.stem]
        # keyframe k fires at k / 2 s: a replay needs only the time up to the last selected one
        duration = [] if any(v is None for v in lasts) else ["--duration", str((max(lasts) + 1) / 2.0)]
        _cli(["generate", str(lay), "--rig", str(rig), "--out", str(d), "--version", REPLAY_VERSION,
              "--no-progress", *duration, *[o for o in _gen_overrides(sweeps) if not o.startswith("progress")]])
        sources.append(d)
    out_sources = []
    for d in sources:
        nusc = open_nuscenes(d, REPLAY_VERSION)
        name = nusc.scene[0]["name"]
        n = nusc.scene[0]["nbr_samples"]
        mine = [s for s in sels if s.name == d.name] or [SceneSelection(d.name)]
        clamped = []
        for s in mine:
            last = n - 1 if s.last is None else min(s.last, n - 1)
            if s.first > last:
                raise DatasetError(f"the replay of {s.name} has {n} keyframes; {s} is beyond them")
            clamped.append(SceneSelection(name, s.first, last))
        out_sources.append(Source(d, REPLAY_VERSION, tuple(clamped)))
    return out_sources


def _row(res: EvalResult) -> dict:
    return {"ap": {c: (res.ap(c) if res.gt_classes.get(c) else None) for c in REPORT_CLASSES},
            "mAP_present": res.present_map(), "mAP": res.summary["mean_ap"], "NDS": res.summary["nd_score"],
            "tp_errors": res.summary["tp_errors"], "gt_boxes": res.gt_classes, "keyframes": res.keyframes}


def _fmt(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def run_sim2real(train_real: Source, test_real: Source, out: str | Path, opts: Sim2RealOptions,
                 overwrite: bool = False) -> dict:
    """Run the benchmark into OUT: table.md, results.json, chart.png, models/, evals/, data/."""
    for s in (train_real, test_real):
        nusc = open_nuscenes(s.dataroot, s.version)
        scene_keyframes(nusc, s.scenes, str(s))  # unknown scenes and ranges fail before any work
    if opts.synthetic is not None:
        scene_keyframes(open_nuscenes(opts.synthetic.dataroot, opts.synthetic.version), opts.synthetic.scenes,
                        str(opts.synthetic))
    sweeps = opts.sweeps or (3 if has_sweep_files(test_real) else 1)
    topts = TrainOptions(steps=opts.steps, seed=opts.seed, batch=opts.batch, sweeps=sweeps, grid=opts.grid,
                         width=opts.width, minutes=opts.minutes, device=opts.device, progress=opts.progress)
    topts.validate()
    with atomic_folder(out, overwrite, marker=True) as tmp:
        data = tmp / "data"
        data.mkdir()
        if opts.synthetic is None:
            sampler = _sampler_config(opts.sampler)
            _cli(["batch", str(config_dir("batch") / "default.yaml"), "--out", str(data / "synthetic"),
                  "--no-progress", "--workers", "2", f"source.sampler.config={sampler.absolute()}",
                  f"source.sampler.n={opts.synthetic_scenes}", f"source.sampler.seed={opts.seed}",
                  f"source.sampler.overrides=[duration={opts.synthetic_duration}]", "version=v1.0-synthetic",
                  *[f"generate.{o}" for o in _gen_overrides(sweeps)]])
            synthetic = Source(data / "synthetic", "v1.0-synthetic")
        else:
            synthetic = opts.synthetic
        same_scenes = {s.name for s in _selected(test_real)} == {s.name for s in _selected(train_real)} and \
            test_real.dataroot.resolve() == train_real.dataroot.resolve() and test_real.version == train_real.version
        replay_train = replay(train_real, data / "replay_train", sweeps,
                              cover=_selected(test_real) if same_scenes else ())
        if same_scenes:
            replay_test = [Source(r.dataroot, r.version, tuple(
                SceneSelection(t.name, t.first, None if t.last is None else t.last)
                for t in _selected(test_real) if t.name == r.dataroot.name)) for r in replay_train]
            nkf = {r.dataroot.name: open_nuscenes(r.dataroot, r.version).scene[0]["nbr_samples"] for r in replay_train}
            replay_test = [replace(r, scenes=tuple(replace(s, last=min(s.last if s.last is not None else 10**9,
                                                                           nkf[r.dataroot.name] - 1))
                                                   for s in r.scenes)) for r in replay_test]
        else:
            replay_test = replay(test_real, data / "replay_test", sweeps)
        models = tmp / "models"
        models.mkdir()
        runs = {}
        runs["real-only"] = train([train_real], models / "real_only.pt", topts)
        # Sources drawn equally often: keyframe by keyframe the sampled scenes would outweigh the replay, the
        # one synthetic source with the real scene's content, about 13 to 1 at the default budget.
        runs["synthetic-only"] = train([synthetic, *replay_train], models / "synthetic_only.pt",
                                       replace(topts, balance_sources=True))
        runs["synthetic -> real"] = train([train_real], models / "synthetic_to_real.pt",
                                          replace(topts, init=models / "synthetic_only.pt"))
        runs["mixed"] = train([train_real, synthetic, *replay_train], models / "mixed.pt",
                              replace(topts, balance_sources=True))
        files = dict(zip(ARMS, ("real_only", "synthetic_only", "synthetic_to_real", "mixed")))
        evals = tmp / "evals"
        evals.mkdir()
        rows = {}
        for arm, stem in files.items():
            res = evaluate(models / f"{stem}.pt", test_real.dataroot, test_real.version, test_real.scenes,
                           evals / stem, device=topts.device)
            rows[arm] = _row(res)
        on_replay = [evaluate(models / "real_only.pt", r.dataroot, r.version, r.scenes, evals / f"real_only_on_replay_{i}",
                              device=topts.device) for i, r in enumerate(replay_test)]
        paired = {"real": rows["real-only"], "replay": [_row(r) for r in on_replay]}
        rep = paired["replay"][0]
        car_real, car_replay = paired["real"]["ap"]["car"], rep["ap"]["car"]
        paired["car_ratio"] = (car_replay / car_real) if car_real and car_replay is not None else None
        paired["mAP_ratio"] = (rep["mAP_present"] / paired["real"]["mAP_present"]) \
            if paired["real"]["mAP_present"] else None
        report = {"train_real": str(train_real), "test_real": str(test_real), "synthetic": str(synthetic),
                  "replay_train": [str(r) for r in replay_train], "replay_test": [str(r) for r in replay_test],
                  "sweeps": sweeps, "steps": opts.steps, "minutes_cap": opts.minutes, "seed": opts.seed,
                  "grid": opts.grid.to_dict(), "width": opts.width, "training": runs, "arms": rows,
                  "paired_check": {k: paired[k] for k in ("car_ratio", "mAP_ratio")} | {
                      "real_car_ap": car_real, "replay_car_ap": car_replay,
                      "real_mAP_present": paired["real"]["mAP_present"], "replay_mAP_present": rep["mAP_present"]},
                  "goals": goals(rows, paired)}
        (tmp / "results.json").write_text(json.dumps(report, indent=2))
        (tmp / "table.md").write_text(table(report))
        chart(report, tmp / "chart.png")
    return report


def goals(rows: dict, paired: dict) -> dict:
    real, syn, s2r = rows["real-only"], rows["synthetic-only"], rows["synthetic -> real"]

    def ge(a, b, k=1.0):  # undefined without ground truth, or when both arms score 0
        return None if a is None or b is None or (a == 0 and b == 0) else bool(a >= k * b)

    return {"synthetic-only car AP >= real-only car AP": ge(syn["ap"]["car"], real["ap"]["car"]),
            "synthetic -> real car AP >= 1.25 x real-only": ge(s2r["ap"]["car"], real["ap"]["car"], 1.25),
            "synthetic -> real mAP (present classes) >= 1.25 x real-only": ge(s2r["mAP_present"],
                                                                              real["mAP_present"], 1.25),
            "paired check: replay / real car AP within +-10 %": None if paired["car_ratio"] is None
            else bool(abs(paired["car_ratio"] - 1) <= 0.10)}


def table(report: dict) -> str:
    cols = [c for c in REPORT_CLASSES]
    lines = [f"# sim2real: train {report['train_real']}, test {report['test_real']}", "",
             f"{report['steps']} steps per arm (cap {report['minutes_cap']} min), seed {report['seed']}, "
             f"{report['sweeps']} sweep(s) per input. AP is the devkit's mean over the 0.5/1/2/4 m thresholds; "
             "n/a: no ground truth of that class in the test keyframes; mAP* is over the classes present.", "",
             "| arm | trained on | steps | " + " | ".join(f"{c} AP" for c in cols) + " | mAP* | NDS |",
             "| --- | --- | --- | " + " | ".join("---" for _ in cols) + " | --- | --- |"]
    trained = {"real-only": "the real training scene",
               "synthetic-only": "sampled scenes + replayed real training scene, each equally often",
               "synthetic -> real": "synthetic-only, fine-tuned on the real training scene",
               "mixed": "real + synthetic, each source equally often"}
    for arm in ARMS:
        r = report["arms"][arm]
        lines.append(f"| {arm} | {trained[arm]} | {report['training'][arm]['steps']} | "
                     + " | ".join(_fmt(r["ap"][c]) for c in cols) + f" | {_fmt(r['mAP_present'])} | {_fmt(r['NDS'])} |")
    p = report["paired_check"]
    lines += ["", "Paired realism check (real-only model): car AP on the real test keyframes "
              f"{_fmt(p['real_car_ap'])}, on their replay {_fmt(p['replay_car_ap'])}, ratio {_fmt(p['car_ratio'])}; "
              f"mAP* {_fmt(p['real_mAP_present'])} vs {_fmt(p['replay_mAP_present'])}, ratio {_fmt(p['mAP_ratio'])}.", "",
              "Goals:", ""]
    for k, v in report["goals"].items():
        lines.append(f"- {k}: {'met' if v else 'NOT met' if v is not None else 'undefined (no ground truth, or both 0)'}")
    if report["goals"]["synthetic-only car AP >= real-only car AP"] is False:
        lines.append("- synthetic data did not help car AP at this budget (see docs/perception.md for the causes)")
    return "\n".join(lines) + "\n"


def chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cls = [c for c in REPORT_CLASSES if report["arms"]["real-only"]["ap"][c] is not None] + ["mAP*"]
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(cls)), 4), dpi=100)
    for k, arm in enumerate(ARMS):
        r = report["arms"][arm]
        vals = [r["ap"][c] if c != "mAP*" else r["mAP_present"] for c in cls]
        ax.bar(np.arange(len(cls)) + (k - 1.5) * 0.2, [v or 0 for v in vals], 0.2, label=arm)
    ax.set_xticks(np.arange(len(cls)), cls)
    ax.set_ylabel("AP (devkit, mean over 0.5-4 m)")
    ax.set_title(f"test: {report['test_real']}", fontsize=8)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
