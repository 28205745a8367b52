"""End to end in a real headless Debian chromium driven by Selenium, against the real uvicorn server.

The test opens an example, drags a pedestrian onto a car, sees the overlap message, undoes the drag, adds a
pedestrian with two waypoints, saves, and runs `anyscene validate` on the saved file; the new pedestrian is
where it was clicked (±0.1 m) and the file's comments are all still there. Screenshots go to the test's
folder, and also to $ANYSCENE_SCREENSHOTS when set (docs/images/editor_*.png are made that way).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from browser_steps import idle, offset, shot, wait

# Validate in the background even this small scene, so the page's waiting for issues is exercised too.
SERVER_OPTIONS = {"sync_validation_agents": 0}
from editor_data import EXAMPLE, comment_lines
from testdata import ROOT

def test_edit_in_the_browser(server, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    url, folder = server
    original = (folder / EXAMPLE).read_text()
    browser.get(url)
    idle(browser)
    canvas = browser.find_element(By.ID, "map")
    assert browser.find_element(By.ID, "file-label").text.startswith(EXAMPLE)
    shot(browser, tmp_path, "editor_overview")

    # drag the standing pedestrian onto the leading car (t = 0): the validator reports the overlap
    ped, car = browser.execute_script(
        "const s = anyscene.state.agents; return [s.find(a => a.id == 'ped_1'), s.find(a => a.id == 'car_lead')]")
    browser.execute_script("anyscene.centerOn(arguments[0], arguments[1]); anyscene.setScale(14)",
                           (ped["x"] + car["x"]) / 2, (ped["y"] + car["y"]) / 2)
    time.sleep(0.3)
    sx, sy = offset(browser, canvas, ped["x"], ped["y"])
    ex, ey = offset(browser, canvas, car["x"], car["y"])
    chain = ActionChains(browser).move_to_element_with_offset(canvas, sx, sy).click_and_hold()
    for k in range(1, 9):
        chain.move_by_offset(round((ex - sx) * k / 8) - round((ex - sx) * (k - 1) / 8),
                             round((ey - sy) * k / 8) - round((ey - sy) * (k - 1) / 8))
    chain.release().perform()
    wait(browser, "return [...document.querySelectorAll('#issues li.error')].some(li => "
                   "li.textContent.includes('overlap') && li.textContent.includes('ped_1'))",
          what="the overlap message")
    idle(browser)
    moved = browser.execute_script("return anyscene.scene.scene.agents.find(a => a.id == 'ped_1').waypoints[0].xy")
    assert abs(moved[0] - car["x"]) < 0.5 and abs(moved[1] - car["y"]) < 0.5
    shot(browser, tmp_path, "editor_overlap")

    # undo: the pedestrian is back and the layout is clean again
    browser.find_element(By.ID, "btn-undo").click()
    wait(browser, "return document.querySelector('#issues li.ok') !== null", what="no problems after undo")
    back = browser.execute_script("return anyscene.scene.scene.agents.find(a => a.id == 'ped_1').waypoints[0].xy")
    assert back == [-5.5, 14]

    # add a pedestrian with two waypoints: palette, two clicks, Finish
    p1, p2 = (-30.0, 8.2), (-44.0, 8.2)
    browser.execute_script("anyscene.centerOn(-37, 10); anyscene.setScale(20)")
    time.sleep(0.3)
    browser.find_element(By.ID, "pal-pedestrian").click()
    for x, y in (p1, p2):
        ox, oy = offset(browser, canvas, x, y)
        ActionChains(browser).move_to_element_with_offset(canvas, ox, oy).click().perform()
        time.sleep(0.2)
    browser.find_element(By.ID, "btn-finish").click()
    wait(browser, "return anyscene.scene.scene.agents.some(a => a.id == 'pedestrian_1') && !anyscene.busy",
          what="the new pedestrian")
    wait(browser, "return !anyscene.scene.validating", what="the validation of the new pedestrian")
    assert browser.execute_script("return anyscene.scene.errors") == 0
    assert browser.find_element(By.CSS_SELECTOR, "#issues li.ok")
    shot(browser, tmp_path, "editor_new_pedestrian")

    # save, then the command line validator accepts the file
    browser.find_element(By.ID, "btn-save").click()
    wait(browser, "return document.getElementById('status').textContent.startsWith('saved')", what="the save")
    saved = folder / EXAMPLE
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-m", "anyscene.cli.main", "validate", str(saved)], capture_output=True,
                         text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    from anyscene.layout import load_layout

    layout, _ = load_layout(saved)
    wps = layout.agent("pedestrian_1").trajectory.waypoints
    assert layout.agent("pedestrian_1").cls == "pedestrian" and len(wps) == 2
    for w, (x, y) in zip(wps, (p1, p2)):
        assert abs(w.xy[0] - x) <= 0.1 and abs(w.xy[1] - y) <= 0.1, (w.xy, (x, y))
    text = saved.read_text()
    assert comment_lines(text) == comment_lines(original)
    assert text.startswith(original.rstrip("\n"))  # the rest of the file is byte for byte the same

    # the Occ3D toggle and the six cameras, for the documentation's pictures
    browser.execute_script("anyscene.centerOn(-20, 5); anyscene.setScale(7)")
    browser.find_element(By.ID, "btn-six").click()
    browser.find_element(By.ID, "chk-occ").click()
    wait(browser, "return anyscene.occ !== null && document.querySelectorAll('#six img').length == 6 && "
                   "[...document.querySelectorAll('#six img')].every(i => i.complete && i.naturalWidth > 0)",
          timeout=90, what="occupancy and six cameras")
    time.sleep(0.5)
    shot(browser, tmp_path, "editor_occupancy")
