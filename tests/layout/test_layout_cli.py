"""`anyscene validate` on invalid layouts: the message, the file, the exact line (and column), exit code 2,
nothing written. The expected line of each case carries a `#!` marker; `#!TOKEN` also fixes the column at
TOKEN's first occurrence on that line."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from testdata import ROOT, SMALL_LAYOUT

HEAD = """\
name: t
duration: 10
map:
  roads:
    - {id: main, centerline: [[-100, 0], [100, 0]]}
"""
EGO = """\
ego:
  trajectory: {waypoints: [{t: 0, xy: [-90, -1.75]}]}
"""


def cli(argv: list[str]) -> int:
    """`anyscene ...` in-process through the real entry point; falls back to a parser with only the
    validate verb while another verb's module cannot be imported."""
    from anyscene.cli import main as cli_main

    try:
        cli_main.build_parser()
    except Exception:  # noqa: BLE001 - a module outside the layout package is broken, not ours
        from anyscene.cli import validate as verb
        from anyscene.errors import AnySceneError

        parser = argparse.ArgumentParser(prog="anyscene")
        verb.add_parser(parser.add_subparsers(dest="command"), "validate", "check layouts")
        args = parser.parse_args(argv)
        try:
            return args.func(args)
        except AnySceneError as e:
            print(str(e), file=sys.stderr)
            return e.exit_code
    return cli_main.main(argv)


CASES = {
    "yaml_syntax": (
        "name: t\nduration: 10: 5  #!: 5\n", "YAML syntax error: mapping values are not allowed"),
    "unknown_key": (
        "name: t\ndurration: 10  #!durration\n", "unknown key 'durration' in layout; did you mean 'duration'?"),
    "wrong_type": (
        "name: t\nduration: ten  #!ten\n", "duration: expected a number, got string 'ten'"),
    "out_of_range": (
        "name: t\nmap:\n  roads:\n    - {id: main, centerline: [[-100, 0], [100, 0]], lane_width: 9}  #!9}\n",
        "map.roads[0].lane_width: 9.0 is above the maximum 6.0"),
    "missing_required": (
        HEAD + EGO + "agents:\n  - id: car_1  #!id\n    trajectory: {lane: {road: main, lane: 1}}\n",
        "agents[0]: missing required key 'class'"),
    "times_not_increasing": (
        HEAD + EGO + """\
agents:
  - id: ped_1
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [0, 10]}
        - {t: 2, xy: [2, 10]}
        - {t: 2, xy: [4, 10]}  #!2,
""", "agents[0].trajectory.waypoints[2].t: time 2 s is not after the previous waypoint's 2 s; waypoint times "
     "must increase"),
    "unknown_road": (
        HEAD + EGO + "agents:\n  - id: car_1\n    class: car\n"
                     "    trajectory: {lane: {road: mian, lane: 1, speed: 5}}  #!mian\n",
        "unknown road 'mian'; did you mean 'main'?"),
    "unknown_lane": (
        HEAD + EGO + "agents:\n  - id: car_1\n    class: car\n"
                     "    trajectory: {lane: {road: main, lane: 3, speed: 5}}  #!3,\n",
        "road 'main' has no lane 3 (it has forward 1..1, backward -1..-1)"),
    "vehicle_off_road": (
        HEAD + EGO + """\
agents:
  - id: car_1
    class: car
    trajectory:
      waypoints:
        - {t: 0, xy: [-60, -1.75]}
        - {t: 3, xy: [-40, -1.75]}  #!{t
        - {t: 8, xy: [-30, 30]}
""", "agent 'car_1' (car) leaves the drivable surface at t=3.90 s"),
    "agent_agent_overlap": (
        HEAD + EGO + """\
agents:
  - id: car_1
    class: car
    trajectory: {lane: {road: main, lane: 1, s: 50, speed: 10}}
  - id: ped_3
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [0, -1.75]}  #!{t
""", "agents 'car_1' and 'ped_3' overlap at t=4.80 s"),
    "agent_ego_overlap": (
        HEAD + EGO + "agents:\n  - id: car_1\n    class: car\n"
                     "    trajectory: {lane: {road: main, lane: 1, s: 0, speed: 10}}  #!{road\n",
        "agent 'car_1' and the ego overlap at t=0.70 s"),
    "agent_building_overlap": (
        HEAD + "  buildings:\n    - {id: shop, footprint: [[10, 10], [20, 10], [20, 20], [10, 20]]}\n" + EGO + """\
agents:
  - id: ped_1
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [15, 5]}  #!{t
        - {t: 4, xy: [15, 15]}
""", "agent 'ped_1' and building 'shop' overlap at t=1.90 s"),
    "agent_prop_overlap": (
        HEAD + "  props:\n    - {id: pole_1, class: pole, xy: [30, 8]}\n" + EGO + """\
agents:
  - id: ped_1
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [30, 5]}  #!{t
        - {t: 4, xy: [30, 11]}
""", "agent 'ped_1' and prop 'pole_1' overlap at t=1.80 s"),
    "agent_parked_prop_overlap": (
        HEAD + "  props:\n    - {id: cone_1, class: traffic_cone, xy: [40, -1.75]}\n" + EGO
        + "agents:\n  - id: car_1\n    class: car\n"
          "    trajectory: {lane: {road: main, lane: 1, s: 50, speed: 10}}  #!{road\n",
        "agent 'car_1' and prop 'cone_1' overlap at t=8.80 s"),
    "over_speed": (
        HEAD + EGO + """\
agents:
  - id: car_1
    class: car
    trajectory:
      waypoints:
        - {t: 0, xy: [-50, -1.75]}  #!{t
        - {t: 1, xy: [50, -1.75]}
""", "agent 'car_1' (car): speed above the physical limit 70 m/s of its class from t=0.00 s (up to 100.0 m/s)"),
    "over_acceleration": (
        HEAD + EGO + """\
agents:
  - id: car_1
    class: car
    trajectory:
      waypoints:
        - {t: 0, xy: [-50, -1.75], velocity: [0, 0]}  #!{t
        - {t: 1.5, xy: [-35, -1.75], velocity: [20, 0]}
""", "agent 'car_1' (car): acceleration above the physical limit 12 m/s² of its class"),
    "static_class_moves": (
        HEAD + EGO + """\
agents:
  - id: cone_1
    class: traffic_cone
    trajectory:
      waypoints:
        - {t: 0, xy: [0, 20]}  #!{t
        - {t: 5, xy: [5, 20]}
""", "agent 'cone_1' (traffic_cone) cannot move"),
    "duplicate_ids": (
        HEAD + EGO + """\
agents:
  - id: ped_1
    class: pedestrian
    trajectory: {waypoints: [{t: 0, xy: [0, 20]}]}
  - id: ped_1  #!ped_1
    class: pedestrian
    trajectory: {waypoints: [{t: 0, xy: [5, 20]}]}
""", "duplicate prop or agent id 'ped_1', already used by agents[0] (line 9)"),
    "velocity_and_speed": (
        HEAD + EGO + """\
agents:
  - id: ped_1
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [0, 20], velocity: [1, 0], speed: 1}  #!1}
        - {t: 5, xy: [5, 20]}
""", "agents[0].trajectory.waypoints[0].speed: give either 'velocity' or 'speed', not both"),
    "outside_extent": (
        HEAD + "  extent: [-60, -60, 60, 60]\n" + EGO.replace("-90", "-50") + """\
agents:
  - id: ped_1
    class: pedestrian
    trajectory:
      waypoints:
        - {t: 0, xy: [40, 10]}
        - {t: 10, xy: [70, 10]}  #!{t
""", "agent 'ped_1' is outside the map extent at t=6.70 s"),
    "unknown_class": (
        HEAD + EGO + "agents:\n  - id: ped_1\n    class: pedestrain  #!pedestrain\n"
                     "    trajectory: {waypoints: [{t: 0, xy: [0, 20]}]}\n",
        "unknown agent class 'pedestrain'; did you mean 'pedestrian'?"),
    "unknown_prop_class": (
        HEAD + "  props:\n    - {id: p1, class: hydrnt, xy: [0, 9]}  #!hydrnt\n",
        "unknown prop class 'hydrnt'; did you mean 'hydrant'?"),
    "parked_vehicle_off_road": (
        HEAD + "  props:\n    - {id: parked_1, class: car, xy: [0, 30]}  #![0, 30]\n",
        "prop 'parked_1' (car) stands off the drivable surface at (0.0, 30.0)"),
    "stop_s_with_acceleration": (
        HEAD + EGO + "agents:\n  - id: car_1\n    class: car\n"
                     "    trajectory: {lane: {road: main, lane: 1, s: 20, speed: 5, acceleration: 1, stop_s: 90}}  "
                     "#!1, stop_s\n",
        "'acceleration' cannot be combined with 'stop_s'"),
    "appear_after_disappear": (
        HEAD + EGO + "agents:\n  - id: ped_1\n    class: pedestrian\n    appear: 5\n    disappear: 3  #!3\n"
                     "    trajectory: {waypoints: [{t: 0, xy: [0, 20]}]}\n",
        "agents[0].disappear: disappear 3 s is before appear 5 s"),
    "self_intersecting_polygon": (
        HEAD + "  buildings:\n    - {id: b1, footprint: [[10, 10], [20, 20], [20, 10], [10, 20]]}  #![[10\n",
        "map.buildings[0].footprint: invalid polygon (Self-intersection"),
}


def _expected(text: str) -> tuple[int, int | None]:
    for n, line in enumerate(text.splitlines(), start=1):
        if "#!" in line:
            code, token = line.split("#!", 1)
            token = token.strip()
            return n, (code.index(token) + 1 if token else None)
    raise AssertionError("case has no #! marker")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_invalid_layout_reports_file_line_col(name, tmp_path, capsys):
    text, message = CASES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    before = _snapshot(tmp_path)
    rc = cli(["validate", str(path)])
    out = capsys.readouterr()
    assert rc == 2, out
    line, col = _expected(text)
    lines = [s for s in out.out.splitlines() if message in s]
    assert lines, f"expected {message!r} in:\n{out.out}{out.err}"
    prefix = f"{path}:{line}:{col if col is not None else ''}"
    assert lines[0].startswith(prefix), f"{lines[0]!r} should start with {prefix!r}"
    assert ": error: " in lines[0]
    assert "Traceback" not in out.err + out.out
    assert _snapshot(tmp_path) == before  # validation writes nothing


def test_every_case_is_an_error_of_its_own(tmp_path):
    """Each invalid case fails for the reason it was written for, not for an unrelated mistake."""
    from anyscene.errors import LayoutError
    from anyscene.layout import parse_layout
    from anyscene.validation import validate

    for name, (text, message) in CASES.items():
        try:
            layout, source = parse_layout(text, f"{name}.yaml")
            issues = validate(layout, source, f"{name}.yaml")
        except LayoutError as e:
            issues = e.issues
        errors = [str(i) for i in issues if i.severity == "error"]
        assert all(message in e for e in errors), (name, errors)


def test_typical_speed_warning_fails_only_when_strict(tmp_path, capsys):
    path = tmp_path / "fast.yaml"
    text = HEAD + EGO + """\
agents:
  - id: car_1
    class: car
    trajectory:
      waypoints:
        - {t: 0, xy: [-50, -1.75]}
        - {t: 2, xy: [40, -1.75]}
"""
    path.write_text(text)
    assert cli(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:13:11: warning: agents[0].trajectory.waypoints[0]: agent 'car_1' (car): speed above the " \
           "typical 40 m/s of its class from t=0.00 s (up to 45.0 m/s)" in out
    assert out.strip().endswith(f"{path}: ok (1 warning)")
    assert cli(["validate", "--strict", str(path)]) == 2
    out = capsys.readouterr().out
    assert "warning: " in out and ": ok" not in out
    assert cli(["validate", "--quiet", str(path)]) == 0
    assert capsys.readouterr().out == ""


def test_good_files_print_ok_and_exit_zero(small_layout_path, tmp_path, capsys):
    assert cli(["validate", str(small_layout_path)]) == 0
    assert capsys.readouterr().out == f"{small_layout_path}: ok\n"


def test_mixed_files_and_folders(small_layout_path, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CASES["unknown_class"][0])
    (tmp_path / "notes.txt").write_text("not a layout")
    assert cli(["validate", str(tmp_path)]) == 2  # the folder stands for bad.yaml and small_cross.yaml
    out = capsys.readouterr().out
    assert "unknown agent class 'pedestrain'" in out and f"{small_layout_path}: ok" in out
    assert "notes.txt" not in out
    assert cli(["validate", "--quiet", str(bad), str(small_layout_path)]) == 2
    out = capsys.readouterr().out
    assert "pedestrain" in out and ": ok" not in out


def test_missing_file_and_empty_folder_are_user_errors(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli(["validate", str(tmp_path / "nope.yaml"), str(empty), str(tmp_path / "no" / "dir.yaml")]) == 2
    out = capsys.readouterr()
    assert f"{tmp_path / 'nope.yaml'}: error: file not found" in out.out
    assert f"{empty}: error: no layout files" in out.out
    assert f"{tmp_path / 'no' / 'dir.yaml'}: error: file not found" in out.out
    assert "Traceback" not in out.err


def test_console_script_reports_without_traceback(tmp_path):
    """The installed `anyscene` entry point, in a subprocess: messages on stdout, nothing on stderr."""
    exe = ROOT / ".venv" / "bin" / "anyscene"
    if not exe.exists():
        pytest.skip("no console script in .venv")
    bad = tmp_path / "bad.yaml"
    bad.write_text(CASES["agent_agent_overlap"][0])
    good = tmp_path / "good.yaml"
    good.write_text(SMALL_LAYOUT)
    before = _snapshot(tmp_path)
    proc = subprocess.run([str(exe), "validate", str(bad), str(good), str(tmp_path / "missing.yaml")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr == ""
    line, col = _expected(CASES["agent_agent_overlap"][0])
    assert f"{bad}:{line}:{col}: error: agents[1].trajectory.waypoints[0]: agents 'car_1' and 'ped_3' overlap at " \
           "t=4.80 s" in proc.stdout
    assert f"{good}: ok" in proc.stdout
    assert f"{tmp_path / 'missing.yaml'}: error: file not found" in proc.stdout
    assert _snapshot(tmp_path) == before
