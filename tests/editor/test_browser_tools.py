"""The editor's other tools in headless chromium: the timeline shows the world's exact states, waypoint
dragging and the waypoint table, props from the palette, drawing an area, the text view of a broken file,
the six cameras and a generate run with its preview video."""
from __future__ import annotations

import time

import pytest

from browser_steps import click as _click
from browser_steps import drag as _drag
from browser_steps import idle, shot, wait
from editor_data import EXAMPLE


@pytest.mark.slow  # about half a minute: a generate run and many page round trips
def test_timeline_waypoints_props_areas_text_view_generate(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    from anyscene.layout import load_layout
    from anyscene.world import World

    url, folder = server
    good = (folder / EXAMPLE).read_text()
    (folder / "broken.yaml").write_text(good.replace("duration: 30", "duration: [30", 1))
    browser.get(url)
    idle(browser)
    canvas = browser.find_element(By.ID, "map")

    # the timeline: keyboard steps on the slider; the drawn states are the world's at that time
    slider = browser.find_element(By.ID, "time-slider")
    slider.click()
    for _ in range(20):
        slider.send_keys(Keys.ARROW_RIGHT)
    t = wait(browser, "return !anyscene.busy && anyscene.state && anyscene.state.t == anyscene.t && anyscene.t > 0"
                      " && anyscene.t", what="a state at the new time")
    world = World.compile(load_layout(folder / EXAMPLE)[0])
    ref = world.states(t)
    drawn = {a["id"]: a for a in browser.execute_script("return anyscene.state.agents")}
    for i, tr in enumerate(world.agents):
        if not tr.parked:
            assert drawn[tr.id]["x"] == pytest.approx(ref.center[i, 0], abs=1e-3)
            assert drawn[tr.id]["y"] == pytest.approx(ref.center[i, 1], abs=1e-3)

    # select ped_3 by clicking it, drag its last waypoint, then retime it in the waypoint table
    wps = browser.execute_script("return anyscene.scene.scene.agents.find(a => a.id == 'ped_3').waypoints")
    st = next(a for a in browser.execute_script("return anyscene.state.agents") if a["id"] == "ped_3")
    last = wps[-1]["xy"]
    browser.execute_script("anyscene.centerOn(arguments[0], arguments[1]); anyscene.setScale(14)",
                           (st["x"] + last[0]) / 2, (st["y"] + last[1]) / 2)
    time.sleep(0.3)
    _click(browser, canvas, st["x"], st["y"])
    wait(browser, "return anyscene.selection && anyscene.selection.id == 'ped_3'", what="ped_3 selected")
    target = (last[0] + 1.5, last[1] + 0.5)
    _drag(browser, canvas, last, target)
    wait(browser, "const w = anyscene.scene.scene.agents.find(a => a.id == 'ped_3').waypoints; "
                  f"return !anyscene.busy && Math.abs(w[w.length - 1].xy[0] - ({target[0]})) < 0.1", what="the dragged waypoint")
    moved = browser.execute_script("const w = anyscene.scene.scene.agents.find(a => a.id == 'ped_3').waypoints;"
                                   "return w[w.length - 1].xy")
    assert moved == pytest.approx(list(target), abs=0.1)
    new_t = round((wps[-2]["t"] + wps[-1]["t"]) / 2, 2)
    cells = browser.find_elements(By.CSS_SELECTOR, "table.wps tr:last-child input")
    cells[0].clear()
    cells[0].send_keys(str(new_t), Keys.TAB)
    wait(browser, "const w = anyscene.scene.scene.agents.find(a => a.id == 'ped_3').waypoints; "
                  f"return !anyscene.busy && w[w.length - 1].t == {new_t}", what="the new waypoint time")

    # a cone from the palette and an area drawn with four clicks
    browser.execute_script("anyscene.centerOn(40, -20); anyscene.setScale(10)")
    time.sleep(0.2)
    browser.find_element(By.ID, "pal-traffic_cone").click()
    _click(browser, canvas, 40, -16)
    wait(browser, "return anyscene.map.props.some(p => p.id == 'traffic_cone_1')", what="the cone")
    cone = browser.execute_script("return anyscene.map.props.find(p => p.id == 'traffic_cone_1').xy")
    assert cone == pytest.approx([40, -16], abs=0.1)
    n_areas = browser.execute_script("return anyscene.map.areas.length")
    browser.find_element(By.ID, "btn-area").click()
    for x, y in ((30, -22), (50, -22), (50, -28), (30, -28)):
        _click(browser, canvas, x, y)
    browser.find_element(By.ID, "btn-finish").click()
    wait(browser, f"return anyscene.map.areas.length == {n_areas + 1} && !anyscene.busy", what="the new area")
    shot(browser, tmp_path, "editor_tools")

    # a broken file opens in the text view with its error line; fixing it brings the map back
    Select(browser.find_element(By.ID, "file-select")).select_by_value("broken.yaml")
    browser.execute_script("window.confirm = () => true")
    browser.find_element(By.ID, "btn-open").click()
    wait(browser, "return !document.getElementById('textview').hidden && anyscene.scene.parse_failed",
         what="the text view")
    errors = browser.find_element(By.ID, "text-errors").text
    line = good.splitlines().index("duration: 30") + 1
    assert f"line {line}" in errors or f"line {line + 1}" in errors, errors
    shot(browser, tmp_path, "editor_text_view")
    browser.execute_script("document.getElementById('text-area').value = arguments[0]", good)
    browser.find_element(By.ID, "btn-text-apply").click()
    wait(browser, "return document.getElementById('textview').hidden && !anyscene.scene.parse_failed && "
                  "anyscene.scene.scene !== null", what="the fixed layout")

    # six cameras, then a short generate run with its progress and video
    browser.find_element(By.ID, "btn-six").click()
    wait(browser, "return document.querySelectorAll('#six img').length == 6", timeout=60, what="six cameras")
    duration = browser.find_element(By.ID, "gen-duration")
    duration.clear()
    duration.send_keys("0.5")
    browser.find_element(By.ID, "btn-generate").click()
    wait(browser, "return !document.getElementById('gen-video').hidden", timeout=240, what="the preview video")
    assert "done" in browser.find_element(By.ID, "gen-status").text
    assert browser.find_element(By.ID, "gen-link").get_attribute("href").count("/video")
