"""Hostile layouts through `anyscene validate` and `anyscene generate`: each exits 2 with a FILE:LINE:COL
message naming the field, without a traceback, writing nothing, in bounded time and memory."""
from __future__ import annotations

import re

import pytest

from hostile import BASE, FAST, Work, expect_refused, in_process

AGENT = "    class: pedestrian\n    trajectory: {waypoints: [{t: 0, xy: [5, 8]}]}\n"


# Two pedestrians, the second a copy of the first (a YAML anchor and merge key) standing elsewhere.
MERGED = """\
  - &walker
    id: ped_1
    class: pedestrian
    size: [0.6, 0.6, 1.7]
    trajectory: {waypoints: [{t: 0, xy: [5, 8]}]}
  - <<: *walker
    id: ped_2
    trajectory: {waypoints: [{t: 0, xy: [5, -8]}]}
"""


def _replace(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


def _agents(body: str) -> str:
    return BASE.split("agents:")[0] + "agents:\n" + body


def _billion_laughs() -> str:
    lines = ["name: tiny", "l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _stacked(n: int) -> str:
    return _agents("".join(f"  - {{id: p{i}, class: pedestrian, trajectory: {{waypoints: [{{t: 0, xy: [5, 8]}}]}}}}\n"
                           for i in range(n)))


def _aliased(n: int) -> str:
    return _agents("  - &a\n    id: p\n" + AGENT + "  - *a\n" * (n - 1))


# (case id, layout text or bytes, expected message: FILE stands for the layout's path)
LAYOUTS = [
    ("coordinate-1e308", _replace("[[-60, 0], [60, 0]]", "[[-60, 1e308], [60, 0]]"),
     r"FILE:5:\d+: error: map.roads\[0\].centerline\[0\]\[1\]: 1e308 is above the maximum 1e6; allowed"),
    ("coordinate-negative-1e308", _replace("xy: [5, 8]", "xy: [-1e308, 8]"),
     r"FILE:13:\d+: error: agents\[0\].trajectory.waypoints\[0\].xy\[0\]: -1e308 is below the minimum -1e6"),
    ("time-1e308", _replace("{t: 0, xy: [5, 8]}", "{t: 1e308, xy: [5, 8]}"),
     r"FILE:13:\d+: error: agents\[0\].trajectory.waypoints\[0\].t: 1e308 is above the maximum 3600"),
    ("size-1e308", _replace("    class: pedestrian\n", "    class: pedestrian\n    size: [1e308, 1, 1]\n"),
     r"FILE:11:\d+: error: agents\[0\].size\[0\]: 1e308 is above the maximum 100.0; allowed: at most 100"),
    ("speed-1e308", _replace("s: 20, speed: 5", "s: 20, speed: 1e308"),
     r"FILE:7:\d+: error: ego.trajectory.lane.speed: 1e308 is above the maximum 100"),
    ("duration-1e308", _replace("duration: 4", "duration: 1e308"),
     r"FILE:2:\d+: error: duration: 1e308 is above the maximum 600"),
    ("nan-coordinate", _replace("xy: [5, 8]", "xy: [.nan, 8]"),
     r"FILE:13:\d+: error: agents\[0\].trajectory.waypoints\[0\].xy\[0\]: must be finite, got nan"),
    ("inf-velocity", _replace("{t: 0, xy: [5, 8]}", "{t: 0, xy: [5, 8], velocity: [.inf, 0]}"),
     r"FILE:13:\d+: error: agents\[0\].trajectory.waypoints\[0\].velocity\[0\]: must be finite, got inf"),
    ("overflow-to-inf", _replace("duration: 4", "duration: 1e999"),
     r"FILE:2:\d+: error: duration: must be finite, got inf"),
    ("huge-lane-number", _replace("lane: 1,", "lane: 1000000000000000000,"),
     r"FILE:7:\d+: error: ego.trajectory.lane.lane: 1000000000000000000 is above the maximum 8"),
    ("seed-too-large", _replace("duration: 4", "duration: 4\nseed: 99999999999999999999"),
     r"FILE:3:\d+: error: seed: 99999999999999999999 is above the maximum 2147483647"),
    ("number-of-60-digits", _replace("duration: 4", "duration: 4\nseed: " + "9" * 60),
     r"FILE:3:7: error: number of 60 characters; at most 40 are allowed"),
    ("latin-1-byte", _replace("ped_1", "ped_\xe9").encode("latin-1"),
     r"FILE:9:13: error: not UTF-8 text \(byte 0xe9\); save the file as UTF-8"),
    ("nul-byte", _replace("ped_1", "ped\x001"),
     r"FILE:9:12: error: control character U\+0000 is not allowed"),
    ("escape-character", _replace("class: pedestrian", "class: pedes\x1btrian"),
     r"FILE:10:17: error: control character U\+001B is not allowed"),
    ("yaml-python-tag", _replace("name: tiny", "name: !!python/object/apply:os.system [echo pwned]"),
     r"FILE:1:7: error: the YAML tag !!python/object/apply:os.system is not allowed"),
    ("yaml-custom-tag", _replace("duration: 4", "duration: !secret 4"),
     r"FILE:2:11: error: the YAML tag !secret is not allowed"),
    ("duplicate-key", _replace("duration: 4", "duration: 4\nduration: 5"),
     r"FILE:3:1: error: duplicate key 'duration'"),
    ("syntax-error", _replace("lanes: {forward: 1, backward: 1}}", "lanes: {forward: 1, backward: 1}"),
     r"FILE:\d+:\d+: error: YAML syntax error"),
    ("billion-laughs", _billion_laughs(),
     r"FILE:1:1: error: the document holds [\d,]+ values once its aliases are expanded; at most 500,000"),
    ("deep-nesting", _replace("name: tiny", "name: tiny\ndescription: " + "[" * 100 + "]" * 100),
     r"FILE:\d+:\d+: error: nested more than 64 levels deep"),
    ("2000-agents-through-aliases", _aliased(2000),
     r"FILE:9:\d+: error: agents: 2000 entries; at most 1000 are allowed"),
    ("polyline-of-6000-points", _replace("[[-60, 0], [60, 0]]", "[" + ", ".join(
        f"[{i * 0.01}, 0]" for i in range(6000)) + "]"),
     r"FILE:5:\d+: error: map.roads\[0\].centerline: 6000 entries; at most 5000 are allowed"),
    ("string-of-20000-characters", _replace("ped_1", "p" * 20_000),
     r"FILE:9:\d+: error: agents\[0\].id: a string of 20000 characters; at most 10000"),
    ("scene-name-with-dotdot", _replace("name: tiny", "name: ../../escape"),
     r"FILE:1:7: error: name: '../../escape' is not a usable file name; use 1 to 64 letters"),
    ("scene-name-with-slash", _replace("name: tiny", "name: a/b"),
     r"FILE:1:7: error: name: 'a/b' is not a usable file name"),
    ("scene-name-only-dots", _replace("name: tiny", "name: '...'"),
     r"FILE:1:7: error: name: '...' is not a usable file name"),
    ("road-600-km-long", _replace("[[-60, 0], [60, 0]]", "[[-60, 0], [600000, 0]]"),
     r"FILE:5:\d+: error: map.roads\[0\].centerline: the centreline is 600.1 km long; a road may be at most 10 km"),
    ("map-extent-200-km", _replace("map:\n", "map:\n  extent: [-100000, -100000, 100000, 100000]\n"),
     r"FILE:4:\d+: error: map.extent: the map spans 200.00 km × 200.00 km; a map may be at most 5 km"),
    ("trajectory-far-away", _replace("        - {t: 0, xy: [5, 8]}",
                                     "        - {t: 0, xy: [5, 8]}\n        - {t: 4, xy: [9000, 8]}"),
     r"FILE:4:3: error: map: the map \(by default all geometry and trajectories plus 80 m\) spans 9.22 km"),
    ("crosswalk-polygon-100-km", _replace("map:\n", "map:\n  crosswalks:\n    - {id: cw, polygon: "
                                                   "[[0, 0], [100000, 0], [100000, 4], [0, 4]]}\n"),
     r"FILE:5:\d+: error: map.crosswalks\[0\].polygon: the crosswalk spans 100000 m; at most 200 m"),
    ("string-for-number", _replace("duration: 4", "duration: '4'"),
     r"FILE:2:11: error: duration: expected a number, got string '4'"),
    ("yes-is-not-a-boolean", _replace("    - {id: main,", "    - {smooth: yes, id: main,"),
     r"FILE:5:\d+: error: map.roads\[0\].smooth: expected true or false, got string 'yes'"),
    ("top-level-list", "- name: tiny\n",
     r"FILE:1:1: error: layout: expected a mapping of Layout fields, got a list"),
    ("empty-file", "",
     r"FILE:1:1: error: the file is empty"),
    # merge keys: an error in a value inherited from an anchored mapping names its line in the anchored text
    ("merged-agent-bad-size", _agents(MERGED.replace("size: [0.6, 0.6, 1.7]", "size: [0.6, 0.6, -1.7]")),
     r"FILE:12:11: error: agents\[1\].size: length, width and height must all be > 0"),
    ("merged-unknown-key", _agents(MERGED.replace("    class: pedestrian\n", "    class: pedestrian\n    colour: red\n")),
     r"FILE:12:5: error: unknown key 'colour' in agents\[1\]"),
    ("merge-key-of-a-list-item", _agents(MERGED.replace("<<: *walker", "<<: [*walker, 3]")),
     r"FILE:14:\d+: error: a merge key '<<' takes a mapping"),
    ("merge-key-duplicate-explicit", _agents(MERGED + "    id: ped_3\n"),
     r"FILE:17:5: error: duplicate key 'id'"),
]


@pytest.mark.parametrize("text, message", [c[1:] for c in LAYOUTS], ids=[c[0] for c in LAYOUTS])
def test_validate_refuses(tmp_path, capsys, text, message):
    work = Work(tmp_path)
    path = work.layout(text)
    expect_refused(work, in_process(capsys, ["validate", path]), message)


GENERATE = ["coordinate-1e308", "latin-1-byte", "nul-byte", "yaml-python-tag", "billion-laughs",
            "2000-agents-through-aliases", "scene-name-with-dotdot", "scene-name-only-dots", "map-extent-200-km",
            "string-for-number"]


@pytest.mark.parametrize("case", GENERATE)
def test_generate_refuses_the_same(tmp_path, capsys, case):
    """`generate` refuses what `validate` refuses, with the same message (one rule for names, too)."""
    text, message = next(c[1:] for c in LAYOUTS if c[0] == case)
    work = Work(tmp_path)
    path = work.layout(text)
    expect_refused(work, in_process(capsys, ["generate", path, "--out", work.out, *FAST]), message)


def test_layout_file_bigger_than_the_bound(tmp_path, capsys):
    work = Work(tmp_path)
    path = work.layout(BASE + "#" * (3 << 20) + "\n")
    expect_refused(work, in_process(capsys, ["validate", path]),
                   r"FILE: error: the layout file is larger than the limit of 1 MiB", located=False)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_layout_from_a_device_is_refused(tmp_path, capsys, device):
    work = Work(tmp_path)
    expect_refused(work, in_process(capsys, ["validate", device]),
                   rf"{device}: error: not a regular file; give a layout file")


def test_unreadable_layout_names_the_file(tmp_path, capsys):
    work = Work(tmp_path)
    path = work.layout(name="secret.yaml")
    path.chmod(0)
    try:
        if path.open("rb"):  # root reads anything: nothing to test then
            pytest.skip("running as root: permissions do not stop reading")
    except PermissionError:
        expect_refused(work, in_process(capsys, ["validate", path]),
                       r"FILE: error: cannot read the layout file: Permission denied", located=False)
    finally:
        path.chmod(0o644)


def test_a_thousand_stacked_agents_are_reported_in_bounded_lines(tmp_path, capsys):
    """A 1000-agent layout of agents standing on one spot: the vectorised overlap check stops early, lists
    the first pairs and counts the rest in one line."""
    work = Work(tmp_path)
    path = work.layout(_stacked(1000))
    text = expect_refused(work, in_process(capsys, ["validate", path]),
                          r"FILE:\d+:\d+: error: agents\[\d+\].trajectory.waypoints\[0\]: agents 'p0' and 'p\d+' "
                          r"overlap at t=0.00 s")
    assert re.search(r"error: agents: \.\.\. and at least [\d,]+ more overlapping pairs", text), text[-500:]


def test_many_duplicate_ids_are_capped_at_100_messages(tmp_path, capsys):
    work = Work(tmp_path)
    body = "".join(f"  - {{id: same, class: pedestrian, trajectory: {{waypoints: [{{t: 0, xy: [{3 * i}, 40]}}]}}}}\n"
                   for i in range(300))
    path = work.layout(_agents(body))
    text = expect_refused(work, in_process(capsys, ["validate", path]),
                          r"FILE:\d+:\d+: error: agents\[1\].id: duplicate prop or agent id 'same'")
    assert text.rstrip().endswith("more"), text[-300:]


def test_duration_longer_than_the_layout_is_validated_again(tmp_path, capsys):
    """--duration 30 on a 4 s layout: the ego would drive past its lane's end; reported like the validator
    does, at the lane's line, naming the command-line duration."""
    work = Work(tmp_path)
    path = work.layout(_replace("s: 20, speed: 5", "s: 20, speed: 10"))
    argv = ["generate", path, "--out", work.out, "--duration", "30", "--resolution", "160x90", "--no-progress"]
    expect_refused(work, in_process(capsys, argv),
                   r"FILE:7:\d+: error: ego.trajectory.lane: the ego reaches the end of its lane at t=10.00 s, "
                   r"before the scene ends \(30 s\).*\(with duration 30 given on the command line\)")


def test_validate_folder_with_a_latin_1_layout(tmp_path, capsys):
    work = Work(tmp_path)
    work.layout(name="good.yaml")
    work.layout(_replace("ped_1", "ped_\xe9").encode("latin-1"), name="bad.yaml")
    text = expect_refused(work, in_process(capsys, ["validate", work.inputs]),
                          r"FILE:9:13: error: not UTF-8 text")
    assert "good.yaml: ok" in text





def test_waypoint_time_of_all_agents_is_bounded(tmp_path, capsys):
    """200 agents walking for 600 s each (120,000 agent-seconds of waypoints, each compiled at 50 Hz): refused
    at the agent where the sum passes the bound, before their motion is compiled."""
    work = Work(tmp_path)
    body = "".join(f"  - {{id: p{i}, class: pedestrian, trajectory: {{waypoints: [{{t: 0, xy: [{4 * i}, 40]}}, "
                   f"{{t: 600, xy: [{4 * i}, 600]}}]}}}}\n" for i in range(200))
    path = work.layout(_agents(body).replace("duration: 4", "duration: 20"))
    expect_refused(work, in_process(capsys, ["validate", path]),
                   r"FILE:\d+:\d+: error: agents\[83\].trajectory.waypoints: the waypoint trajectories up to this "
                   r"agent span 50,400 s together; at most 50,000 s")


def test_layout_from_a_fifo_does_not_wait(tmp_path, capsys):
    """A named pipe given as the layout is refused at once (opening it would wait for a writer forever)."""
    import os

    work = Work(tmp_path)
    fifo = work.inputs / "pipe.yaml"
    os.mkfifo(fifo)
    expect_refused(work, in_process(capsys, ["validate", fifo]),
                   r"FILE: error: not a regular file; give a layout file", located=False)


def test_merge_keys_and_anchors_work_in_a_layout(tmp_path, capsys):
    """`<<: *anchor` copies a mapping; explicit keys win: the same layout as written out in full."""
    from anyscene.cli.main import main
    from anyscene.layout import parse_layout

    text = _agents(MERGED)
    expanded = _agents(MERGED.replace("&walker\n", "\n").replace(
        "  - <<: *walker\n    id: ped_2\n", "  - id: ped_2\n    class: pedestrian\n    size: [0.6, 0.6, 1.7]\n"))
    assert parse_layout(text)[0] == parse_layout(expanded)[0]
    assert [a.id for a in parse_layout(text)[0].agents] == ["ped_1", "ped_2"]
    path = Work(tmp_path).layout(text)
    assert main(["validate", "--strict", str(path)]) == 0, capsys.readouterr()
