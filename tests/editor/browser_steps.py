"""Steps of the editor's browser tests: waiting for the page, screenshots, canvas coordinates."""
from __future__ import annotations

import os
import time
from pathlib import Path


def wait(driver, script, timeout=30.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    status = driver.execute_script("return document.getElementById('status').textContent")
    raise AssertionError(f"timed out waiting for {what} (status: {status})")


def shot(driver, tmp_path, name):
    driver.save_screenshot(str(tmp_path / f"{name}.png"))
    out = os.environ.get("ANYSCENE_SCREENSHOTS")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(out) / f"{name}.png"))


def offset(driver, canvas, x, y):
    """Offsets from the canvas centre (what W3C pointer actions take) of the world point (x, y)."""
    px, py = driver.execute_script("return anyscene.worldToCanvas(arguments[0], arguments[1])", x, y)
    w, h = canvas.size["width"], canvas.size["height"]
    return int(round(px - w / 2)), int(round(py - h / 2))


def idle(driver):
    wait(driver, "return anyscene.ready && !anyscene.busy && anyscene.state !== null", what="the editor")


def drag(driver, canvas, a, b, steps=6):
    """Press at the world point a, move to b in `steps` pointer moves, release."""
    from selenium.webdriver.common.action_chains import ActionChains

    sx, sy = offset(driver, canvas, *a)
    ex, ey = offset(driver, canvas, *b)
    chain = ActionChains(driver).move_to_element_with_offset(canvas, sx, sy).click_and_hold()
    px, py = sx, sy
    for k in range(1, steps + 1):
        nx, ny = round(sx + (ex - sx) * k / steps), round(sy + (ey - sy) * k / steps)
        chain.move_by_offset(nx - px, ny - py)
        px, py = nx, ny
    chain.release().perform()


def click(driver, canvas, x, y):
    from selenium.webdriver.common.action_chains import ActionChains

    ox, oy = offset(driver, canvas, x, y)
    ActionChains(driver).move_to_element_with_offset(canvas, ox, oy).click().perform()
    time.sleep(0.15)
