"""The editing handles in headless chromium, against the real server: resize and rotate a prop and agents,
move, insert and delete corners of a building, move corners of an area and a polygon crosswalk, undo and redo
a corner edit; then save and read the YAML back: every value moved by the dragged amount, comments kept."""
from __future__ import annotations

import math

import pytest

from browser_steps import click, drag, idle, shot, wait
from editor_data import EXAMPLE, comment_lines

TOL = 0.1  # m: a drag lands within a pixel at the scales used here (20 px/m and more), twice that on a size
CROSSWALK = "    - {id: cw_poly, polygon: [[20, -4], [23, -4], [23, 4], [20, 4]]}  # an explicit outline\n"


def _edited(browser, version, what):
    """Wait for the edit after `version` to be applied; its status line must not be an error."""
    wait(browser, f"return anyscene.scene.version > {version} && !anyscene.busy && anyscene.state !== null",
         what=what)
    assert browser.execute_script("return anyscene.lastError") is None, what
    return browser.execute_script("return anyscene.scene.version")


def _look(browser, x, y, scale):
    browser.execute_script("anyscene.centerOn(arguments[0], arguments[1]); anyscene.setScale(arguments[2])",
                           x, y, scale)
    wait(browser, "return !anyscene.busy", what="the view")


def _select(browser, canvas, x, y, check):
    click(browser, canvas, x, y)
    wait(browser, f"const s = anyscene.selection; return s !== null && ({check})", what=f"selecting {check}")
    return browser.execute_script("return anyscene.handles()")


def _ring(browser, kind, key):
    return browser.execute_script(f"return anyscene.map.{kind}.{key}")


def test_handles_resize_rotate_and_reshape(server, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from anyscene.classes import AGENT_CLASSES
    from anyscene.layout import load_layout

    url, folder = server
    path = folder / EXAMPLE
    text = path.read_text()
    anchor = "    - {id: cw_side, road: side, s: 14}\n"
    path.write_text(text.replace(anchor, anchor + CROSSWALK, 1))
    original = path.read_text()
    before, _ = load_layout(path)
    browser.get(url)
    idle(browser)
    browser.find_element(By.ID, "btn-open").click()  # read the file again, with its polygon crosswalk
    wait(browser, "return anyscene.map.crosswalks.some(c => c.id == 'cw_poly') && !anyscene.busy", what="cw_poly")
    idle(browser)
    canvas = browser.find_element(By.ID, "map")
    v = browser.execute_script("return anyscene.scene.version")

    # a prop: drag its (+length, +width) corner 1 m along and 0.5 m across: 2 m longer, 1 m wider
    _look(browser, -30, -20, 20)
    h = _select(browser, canvas, -30, -20, "s.type == 'prop' && s.id == 'tree_1'")
    corner = h["corners"][0]
    assert corner == pytest.approx([-28, -18], abs=1e-6)
    drag(browser, canvas, corner, (corner[0] + 1.0, corner[1] + 0.5))
    v = _edited(browser, v, "resizing tree_1")
    # turn it a quarter counter-clockwise with the knob
    h = browser.execute_script("return anyscene.handles()")
    (px, py), knob = h["box"]["pivot"], h["knob"]
    r = math.hypot(knob[0] - px, knob[1] - py)
    drag(browser, canvas, knob, (px, py + r), steps=8)
    v = _edited(browser, v, "turning tree_1")
    shot(browser, tmp_path, "editor_handles_prop")

    # an agent on waypoints: resize (length +1 m, width +0.5 m) at t = 0
    car = browser.execute_script("return anyscene.state.agents.find(a => a.id == 'car_follow')")
    _look(browser, car["x"], car["y"], 24)
    h = _select(browser, canvas, car["x"] - 1.0, car["y"], "s.type == 'agent' && s.id == 'car_follow'")
    corner = h["corners"][0]
    drag(browser, canvas, corner, (corner[0] + 0.5, corner[1] + 0.25))
    v = _edited(browser, v, "resizing car_follow")

    # another: the cyclist, turned a quarter counter-clockwise about where it is at t = 0 (to ride east)
    cyc = browser.execute_script("return anyscene.state.agents.find(a => a.id == 'cyclist')")
    _look(browser, cyc["x"], cyc["y"], 24)
    h = _select(browser, canvas, cyc["x"], cyc["y"] - 0.5, "s.type == 'agent' && s.id == 'cyclist'")
    (px, py), knob = h["box"]["pivot"], h["knob"]
    yaw, r = math.atan2(knob[1] - py, knob[0] - px), math.hypot(knob[0] - px, knob[1] - py)
    drag(browser, canvas, knob, (px + r * math.cos(yaw + math.pi / 2), py + r * math.sin(yaw + math.pi / 2)), steps=8)
    v = _edited(browser, v, "turning the cyclist")
    turned = browser.execute_script("return anyscene.state.agents.find(a => a.id == 'cyclist').yaw")
    assert math.remainder(turned - (cyc["yaw"] + math.pi / 2), 2 * math.pi) == pytest.approx(0, abs=0.06)

    # a building: move corner 0, insert a corner on edge 0-1, delete (what was) corner 1; undo, redo
    _look(browser, -31, 26, 16)
    h = _select(browser, canvas, -31, 26, "s.type == 'building' && s.id == 'b_north_west'")
    assert h["ring"] == [[-12, 12], [-12, 40], [-50, 40], [-50, 12]]
    drag(browser, canvas, (-12, 12), (-10, 11))
    v = _edited(browser, v, "moving a corner")
    mid = browser.execute_script("return anyscene.handles().midpoints[0]")
    assert mid == pytest.approx([-11, 25.5], abs=TOL)
    drag(browser, canvas, mid, (-14, 26))
    v = _edited(browser, v, "inserting a corner")
    assert browser.execute_script("return anyscene.selection.corner") == 1
    click(browser, canvas, -12, 40)
    wait(browser, "return anyscene.selection.corner == 2", what="selecting corner 2")
    assert browser.find_element(By.ID, "btn-delete-corner")
    ActionChains(browser).send_keys(Keys.DELETE).perform()
    v = _edited(browser, v, "deleting a corner")
    four = _ring(browser, "buildings.find(b => b.id == 'b_north_west')", "footprint")
    assert len(four) == 4
    browser.find_element(By.ID, "btn-undo").click()
    v = _edited(browser, v, "undo")
    assert len(_ring(browser, "buildings.find(b => b.id == 'b_north_west')", "footprint")) == 5
    browser.find_element(By.ID, "btn-redo").click()
    v = _edited(browser, v, "redo")
    assert _ring(browser, "buildings.find(b => b.id == 'b_north_west')", "footprint") == four
    shot(browser, tmp_path, "editor_handles_building")

    # an area's corner and a polygon crosswalk's corner
    _look(browser, 28, 10, 16)
    _select(browser, canvas, 30, 18, "s.type == 'area' && s.index == 2")
    drag(browser, canvas, (40, 22), (42, 24))
    v = _edited(browser, v, "moving an area corner")
    _select(browser, canvas, 21.5, 0, "s.type == 'crosswalk' && s.id == 'cw_poly'")
    drag(browser, canvas, (23, -4), (24, -5))
    v = _edited(browser, v, "moving a crosswalk corner")

    wait(browser, "return !anyscene.scene.validating", what="the validation")
    assert browser.execute_script("return anyscene.scene.issues.map(i => i.message)") == []
    browser.find_element(By.ID, "btn-save").click()
    wait(browser, "return document.getElementById('status').textContent.startsWith('saved')", what="the save")
    saved = path.read_text()
    assert comment_lines(saved) == comment_lines(original)
    after, _ = load_layout(path)
    props = {p.id: p for p in after.map.props}
    assert props["tree_1"].size == pytest.approx((6.0, 5.0, 9.0), abs=2 * TOL)
    assert props["tree_1"].yaw == pytest.approx(math.pi / 2, abs=0.03)
    l0, w0, h0 = before.agent("car_follow").size or AGENT_CLASSES["car"].size
    assert after.agent("car_follow").size == pytest.approx((l0 + 1.0, w0 + 0.5, h0), abs=2 * TOL)
    old = before.agent("cyclist").trajectory.waypoints
    new = after.agent("cyclist").trajectory.waypoints
    assert new[0].xy == pytest.approx(old[0].xy, abs=TOL)  # it turned about where it was at t = 0
    for a, b in zip(old[1:], new[1:]):
        da = math.atan2(a.xy[1] - old[0].xy[1], a.xy[0] - old[0].xy[0])
        db = math.atan2(b.xy[1] - new[0].xy[1], b.xy[0] - new[0].xy[0])
        assert math.remainder(db - da - math.pi / 2, 2 * math.pi) == pytest.approx(0, abs=0.06)
        assert math.dist(b.xy, new[0].xy) == pytest.approx(math.dist(a.xy, old[0].xy), abs=0.05)
        assert b.t == a.t
    fp = next(b for b in after.map.buildings if b.id == "b_north_west").footprint
    assert len(fp) == 4
    for got, want in zip(fp, [(-10, 11), (-14, 26), (-50, 40), (-50, 12)]):
        assert got == pytest.approx(want, abs=TOL)
    assert after.map.areas[2].polygon[2] == pytest.approx((42, 24), abs=TOL)
    cw = next(c for c in after.map.crosswalks if c.id == "cw_poly")
    assert cw.polygon[1] == pytest.approx((24, -5), abs=TOL) and cw.polygon[0] == pytest.approx((20, -4))
