"""The README stays true: its example layout validates and it documents every command."""
from __future__ import annotations

import re

import pytest

from anyscene.cli.main import COMMANDS
from anyscene.layout import parse_layout
from anyscene.validation import check

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_example_layout_is_valid():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    layout, _ = parse_layout(block, "README.md")
    check(layout, strict=True, file="README.md")


def test_readme_starts_with_the_two_commands_and_lists_every_verb():
    text = (ROOT / "README.md").read_text()
    head = text[:400]
    assert "make demo" in head and "make test" in head
    for verb in COMMANDS:
        assert f"anyscene {verb}" in text, verb


# Appended to a README generate command in the default run: the same command, small (later options win).
SMALL = ["--duration", "0.5", "--resolution", "160x90", "--camera-rate", "2", "--lidar-rate", "2"]


def quick_start() -> list[list[str]]:
    """The `anyscene ...` commands of the README's quick start, as argument lists (comments dropped)."""
    import shlex

    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\n+```bash\n(.*?)```", text, re.S).group(1)
    return [shlex.split(line.split("#")[0])[1:] for line in block.splitlines() if line.startswith("anyscene ")]


def _run_clean(argv: list[str], capsys, monkeypatch, tmp_path) -> str:
    """Run one README command in this process from the checkout, its outputs under `tmp_path`; assert exit 0
    and that it printed no warning."""
    import glob

    from anyscene.cli.main import main

    monkeypatch.chdir(ROOT)
    args: list[str] = []
    for i, a in enumerate(argv):
        if i and argv[i - 1] in ("--out", "--rig-out"):
            a = str(tmp_path / a)
        elif "*" in a:
            args.extend(sorted(glob.glob(a)))
            continue
        elif a.endswith(".yaml") and (tmp_path / a).exists():  # a file an earlier command wrote
            a = str(tmp_path / a)
        args.append(a)
    code = main(args + (["--no-progress", "--overwrite"] if args[0] == "generate" else []))
    cap = capsys.readouterr()
    text = cap.out + cap.err
    assert code == 0, text[-3000:]
    assert "warning" not in text.lower(), f"anyscene {' '.join(argv)} printed a warning:\n{text[-3000:]}"
    return text


def test_readme_quick_start_validate_and_a_small_generate_print_no_warning(capsys, monkeypatch, tmp_path):
    """A newcomer's first commands on the shipped examples are clean: validate --strict, and the first
    generate (made small), whose dataset the devkit then loads as the README shows."""
    from nuscenes import NuScenes

    commands = quick_start()
    validate = next(c for c in commands if c[0] == "validate")
    generate = next(c for c in commands if c[0] == "generate")
    _run_clean(validate, capsys, monkeypatch, tmp_path)
    _run_clean(generate + SMALL, capsys, monkeypatch, tmp_path)
    out = tmp_path / generate[generate.index("--out") + 1]
    assert len(NuScenes("v1.0-anyscene", str(out), verbose=False).scene) == 1


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_readme_quick_start_commands_and_the_demo_print_no_warning(capsys, monkeypatch, tmp_path):
    """Every quick-start command that runs unattended (not the editor's server), as written, and `make
    demo`'s generate command: exit 0, no warning. The import and its replay need ../shared/nuscenes-real."""
    make = (ROOT / "Makefile").read_text()
    demo = re.search(r"anyscene generate (.*)\n", make).group(1)
    demo = demo.replace("$(DEMO_LAYOUT)", "layouts/urban_street.yaml").replace("$(DEMO_OUT)", "demo")
    real = (ROOT / "../shared/nuscenes-real").exists()
    for argv in quick_start() + [["generate", *demo.split()]]:
        if argv[0] == "edit" or (not real and (argv[0] in ("import", "compare") or "--rig" in argv)):
            continue
        _run_clean([a for a in argv if a != "--overwrite"], capsys, monkeypatch, tmp_path)
