"""Hostile outputs: a symbolic link given as --out, a link planted in (or as) a partial output, an output
replaced by a link during the run. Every command that deletes, renames or overwrites (generate --overwrite,
batch runs, resumes and merges, import --out, train-renderer's run folder) refuses or removes the link and
never writes, empties or deletes the folder it leads to; nothing is left behind."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from hostile import BASE, FAST, Work, expect_refused, in_process, snapshot

LINK = r"error: .*{name}: is a symbolic link \(to .*victim\); outputs are never written through a link"


def _victim(work: Work) -> Path:
    """A folder of the user's that no command below was asked to write: it must stay as it is."""
    victim = work.root / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "thesis.txt").write_text("years of work\n")
    (victim / "sub" / "data.bin").write_bytes(b"\x00" * 64)
    return victim


def _batch_config(work: Work) -> Path:
    (work.inputs / "layouts").mkdir()
    (work.inputs / "layouts" / "one.yaml").write_text(BASE)
    return work.write("batch.yaml", f"source: {{layouts: {work.inputs / 'layouts'}}}\n"
                                    "generate: {duration: 1, resolution: 160x90, camera_rate: 2, lidar_rate: 2}\n")


@pytest.mark.parametrize("overwrite", [False, True], ids=["plain", "overwrite"])
def test_generate_out_is_a_symlink(tmp_path, capsys, overwrite):
    work = Work(tmp_path)
    victim = _victim(work)
    work.out.symlink_to(victim, target_is_directory=True)
    argv = ["generate", work.layout(), "--out", work.out, *FAST] + (["--overwrite"] if overwrite else [])
    expect_refused(work, in_process(capsys, argv), LINK.format(name="out"))


def test_batch_out_is_a_symlink(tmp_path, capsys):
    work = Work(tmp_path)
    victim = _victim(work)
    work.out.symlink_to(victim, target_is_directory=True)
    argv = ["batch", _batch_config(work), "--out", work.out, "--overwrite", "--no-progress", "--workers", "1"]
    expect_refused(work, in_process(capsys, argv), LINK.format(name="out"))


@pytest.mark.parametrize("inside", [".batch", ".batch/scenes", ".batch/merge"])
def test_batch_with_a_symlink_inside_its_work_folder(tmp_path, capsys, inside):
    """A link where the batch keeps its state would lead --overwrite's clearing, the stale-scene clean-up or
    the merge's staging into another folder: refused before anything is removed."""
    work = Work(tmp_path)
    victim = _victim(work)
    link = work.out / inside
    link.parent.mkdir(parents=True)
    link.symlink_to(victim, target_is_directory=True)
    argv = ["batch", _batch_config(work), "--out", work.out, "--overwrite", "--no-progress", "--workers", "1"]
    expect_refused(work, in_process(capsys, argv), LINK.format(name=os.path.basename(inside)))


@pytest.mark.slow  # two batch runs, each in a worker process
def test_batch_resume_does_not_merge_through_a_link_planted_in_a_finished_scene(tmp_path, capsys):
    """A resumed batch reruns a finished scene that holds a link (planted after it was written), removes the
    link without following it, and the merged dataset holds no link."""
    from anyscene.cli.main import main

    work = Work(tmp_path)
    victim = _victim(work)
    config = _batch_config(work)
    argv = ["batch", config, "--out", work.out, "--no-progress", "--workers", "1"]
    assert main([str(a) for a in argv]) == 0, capsys.readouterr().err
    (scene,) = (work.out / ".batch" / "scenes").iterdir()
    (scene / "planted").symlink_to(victim, target_is_directory=True)
    before = snapshot(victim)
    assert main([str(a) for a in argv]) == 0, capsys.readouterr().err
    assert snapshot(victim) == before
    assert [p for p in work.out.rglob("*") if p.is_symlink()] == []
    assert not any(p.name.startswith(".out.") for p in work.out.parent.iterdir())


def test_generate_ignores_a_link_planted_as_its_partial_folder(tmp_path, capsys):
    """The partial output's name is predictable (`.out.partial-PID`): a link put there is removed, never
    written through."""
    from anyscene.cli.main import main

    work = Work(tmp_path)
    victim = _victim(work)
    (work.out.parent / f".out.partial-{os.getpid()}").symlink_to(victim, target_is_directory=True)
    before = snapshot(victim)
    argv = ["generate", work.layout(), "--out", work.out, *FAST, "--formats", "nuscenes"]
    assert main([str(a) for a in argv]) == 0, capsys.readouterr().err
    assert snapshot(victim) == before and (work.out / "v1.0-anyscene" / "scene.json").is_file()
    assert sorted(p.name for p in work.out.parent.iterdir()) == ["out"]


def test_generate_out_replaced_by_a_link_during_the_run(tmp_path, capsys, monkeypatch):
    """The previous dataset is swapped for a link to another folder while the new one is written (just
    before it is moved into place, the last moment a check can run): refused, the other folder untouched,
    the partial output removed."""
    import anyscene.atomic as atomic
    from anyscene.cli.main import main

    work = Work(tmp_path)
    victim = _victim(work)
    work.out.mkdir()
    (work.out / "old.txt").write_text("previous dataset")
    check = atomic._check_partial

    def swap_then_check(tmp, out, is_dir):
        if Path(out) == work.out and not work.out.is_symlink():
            (work.out / "old.txt").unlink()
            work.out.rmdir()
            work.out.symlink_to(victim, target_is_directory=True)
        return check(tmp, out, is_dir)

    monkeypatch.setattr(atomic, "_check_partial", swap_then_check)
    before = snapshot(victim)
    argv = ["generate", work.layout(), "--out", work.out, *FAST, "--formats", "nuscenes", "--overwrite"]
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert "out: was replaced by a symbolic link while the output was written" in err and "Traceback" not in err
    assert snapshot(victim) == before and work.out.is_symlink()
    assert sorted(p.name for p in work.out.parent.iterdir()) == ["out"]


@pytest.mark.parametrize("which", ["--out", "--rig-out"])
def test_import_output_is_a_symlink(tmp_path, capsys, which):
    work = Work(tmp_path)
    victim = _victim(work)
    target = victim / "thesis.txt"
    link = work.root / "a" / "b" / "link.yaml"
    link.symlink_to(target)
    other = work.root / "a" / "b" / "other.yaml"
    argv = ["import", "nuscenes", work.inputs, "--version", "v1.0-mini", "--scene", "scene-0001", "--overwrite"]
    argv += ["--out", link, "--rig-out", other] if which == "--out" else ["--out", other, "--rig-out", link]
    expect_refused(work, in_process(capsys, argv), r"error: .*link.yaml: is a symbolic link \(to .*thesis.txt\)")


@pytest.mark.parametrize("where", ["", "checkpoints", "checkpoints/ckpt-000001", "pipeline", "samples"])
def test_train_renderer_run_folder_with_a_symlink(tmp_path, capsys, where):
    """Training writes checkpoints, samples and the pipeline into its run folder and deletes old checkpoints:
    a link at any of them is refused before the dataset is even read."""
    work = Work(tmp_path)
    victim = _victim(work)
    run = work.out
    link = run / where if where else run
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim, target_is_directory=True)
    argv = ["train-renderer", "tiny", f"data.dataroot={work.inputs}", f"train.output_dir={run}"]
    expect_refused(work, in_process(capsys, argv), LINK.format(name=os.path.basename(str(link))))


def _readable(text: str) -> None:
    """Polygons list one vertex per line; no list is broken after its bracket (`[` then the numbers on the
    next line); a long flat list (a timeline) folds only between its numbers."""
    import re

    lines = text.splitlines()
    assert not [ln for ln in lines if ln.rstrip().endswith("[")], "a list broken after its bracket"
    assert not [ln for ln in lines if re.search(r"\d\.$|-$", ln.rstrip())], "a number cut across lines"
    assert max(len(ln) for ln in lines) <= 130
    for i, ln in enumerate(lines):
        if re.match(r"\s*(polygon|footprint|centerline):\s*$", ln):
            assert re.fullmatch(r"\s*- \[-?[\d.e+-]+, -?[\d.e+-]+\]", lines[i + 1]), lines[i + 1]


def test_written_layouts_are_readable_one_vertex_per_line():
    """Long-coordinate polygons (as an import writes them) are not wrapped mid-number, and read back equal."""
    import dataclasses

    from anyscene.layout import dump_layout, parse_layout

    layout, _ = parse_layout(BASE)
    ring = [[141.45 + 0.123456 * k, 58.05 - 0.654321 * k] for k in range(40)]
    text = BASE.replace("map:\n", "map:\n  areas:\n    - {class: sidewalk, polygon: " + str(ring) + "}\n")
    layout, _ = parse_layout(text)
    out = dump_layout(layout)
    _readable(out)
    assert parse_layout(out)[0] == layout and dataclasses.is_dataclass(layout)
    assert "    - {t: 0.0, xy: [5.0, 8.0]}" in out or "- {t: 0.0, xy: [5.0, 8.0]}" in out


def test_import_writes_a_readable_layout(real_import):
    """`anyscene import nuscenes` on the real scene: the layout a person reads and edits."""
    _readable((real_import / "scene.yaml").read_text())


def test_editor_save_over_a_link_planted_after_the_check_does_not_write_through(tmp_path):
    """The editor's save (a temporary file from mkstemp, O_EXCL, renamed over the name) replaces a link put at
    the layout's name between the workspace's path check and the write: the file it led to is untouched."""
    from anyscene.editor.workspace import atomic_write

    work = Work(tmp_path)
    victim = _victim(work)
    layout = work.layout()
    layout.unlink()
    layout.symlink_to(victim / "thesis.txt")
    atomic_write(layout, BASE)
    assert (victim / "thesis.txt").read_text() == "years of work\n"
    assert not layout.is_symlink() and layout.read_text() == BASE
    assert sorted(p.name for p in work.inputs.iterdir()) == ["scene.yaml"]
