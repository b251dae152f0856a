"""A real browser drives the Space: headless Chromium (Debian's chromium + chromedriver) opens the app,
uploads a photo into "Edit & assess", types a prompt, runs the edit and waits for the delta card; and it
uploads a small shoot (a burst of three frames and two other photos) into "Cull a shoot", runs the cull
and waits for the groups, the decisions and the CSV.

The screenshots go to the tests' tmp dirs; with RED_AES_UPDATE_SCREENSHOT=1 they also replace
docs/screenshot.png (the README's picture) and docs/cull_tab.png (docs/demo.md's). Skipped only where
Chromium or chromedriver is missing (`make system-deps` installs them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from launch import free_port
from PIL import Image, ImageEnhance, ImageFilter

from red_aes.demo import DemoConfig
from red_aes.images import load_image
from red_aes.types import DELTA_MAX, DELTA_MIN
from tests.conftest import REPO
from tests.test_app import serve  # the app helpers of tests/test_app.py

UPDATE_SCREENSHOTS = os.environ.get("RED_AES_UPDATE_SCREENSHOT") == "1"
#: Largest size of docs/cull_tab.png: a larger screenshot is stored with a 256-colour palette.
CULL_SCREENSHOT_BYTES = 300_000
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs Debian's chromium and chromedriver (apt-get install chromium chromium-driver)",
    ),
]

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1900",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    # An explicit driver path: Selenium Manager never tries to download a driver.
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def images_shown(driver: webdriver.Chrome, selector: str, count: int, min_height: int) -> bool:
    """Whether exactly ``count`` images match ``selector``, each decoded and laid out at least
    ``min_height`` px tall."""
    return driver.execute_script(
        "const imgs = [...document.querySelectorAll(arguments[0])];"
        "return imgs.length === arguments[1] && imgs.every(i => i.complete && i.naturalWidth > 0"
        " && i.getBoundingClientRect().height > arguments[2]);",
        selector,
        count,
        min_height,
    )


def save_screenshot(driver: webdriver.Chrome, path: Path) -> Path:
    """A screenshot of the page at ``path`` (a real image, not a blank)."""
    assert driver.save_screenshot(str(path)) and path.stat().st_size > 10_000
    return path


def test_edit_and_assess_in_a_real_browser(
    browser: webdriver.Chrome, photos_dir: Path, tmp_path: Path
) -> None:
    config = DemoConfig(server_port=free_port())
    with serve(config):
        browser.get(f"http://127.0.0.1:{config.server_port}/")
        wait = WebDriverWait(browser, 90)
        upload = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#edit-image input[type=file]")))
        upload.send_keys(str(photos_dir / "chelsea.png"))
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#edit-image img")))
        browser.find_element(By.CSS_SELECTOR, "#edit-prompt textarea").send_keys(
            "make it a bit brighter and warmer"
        )
        browser.find_element(By.ID, "edit-run").click()

        card = wait.until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "#edit-delta .red-aes-delta[data-valid='true']"))
        )
        shown = card.get_attribute("data-delta")
        assert shown is not None and DELTA_MIN <= float(shown) <= DELTA_MAX
        assert shown in card.text and (
            "improvement" in card.text or "degradation" in card.text or "no clear change" in card.text
        )
        # the before/after slider shows both images, decoded and laid out
        wait.until(lambda driver: images_shown(driver, "#edit-slider img", 2, 100))
        assert "Backends in use" in browser.find_element(By.ID, "backend-status").text

        screenshot = save_screenshot(browser, tmp_path / "screenshot.png")
        if UPDATE_SCREENSHOTS:
            shutil.copyfile(screenshot, REPO / "docs" / "screenshot.png")


def shoot(folder: Path, photos_dir: Path) -> list[Path]:
    """A small shoot: a burst of three frames of one scene (sharp, blurred, underexposed) and two other
    photos, each at most 320 px wide."""
    folder.mkdir()
    scene = load_image(photos_dir / "chelsea.png")
    scene.thumbnail((320, 320))
    frames = {
        "chelsea.png": scene,
        "chelsea_blurred.png": scene.filter(ImageFilter.GaussianBlur(3)),
        "chelsea_dark.png": ImageEnhance.Brightness(scene).enhance(0.25),
    }
    for name in ("rocket.jpg", "coffee.png"):
        other = load_image(photos_dir / name)
        other.thumbnail((320, 320))
        frames[name] = other
    paths = []
    for name, image in frames.items():
        paths.append(folder / name)
        image.save(paths[-1])
    return paths


def shown_text(driver: webdriver.Chrome, element_id: str) -> str:
    """The text of an element without its white space (a file list shows a name's stem and suffix on
    two lines)."""
    return "".join(driver.find_element(By.ID, element_id).text.split())


def test_cull_tab_in_a_real_browser(browser: webdriver.Chrome, photos_dir: Path, tmp_path: Path) -> None:
    photos = shoot(tmp_path / "shoot", photos_dir)
    config = DemoConfig(server_port=free_port())
    with serve(config):
        browser.get(f"http://127.0.0.1:{config.server_port}/")
        wait = WebDriverWait(browser, 90)
        tab = wait.until(
            ec.element_to_be_clickable((By.XPATH, "//button[@role='tab' and contains(., 'Cull a shoot')]"))
        )
        tab.click()
        upload = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#cull-files input[type=file]")))
        upload.send_keys("\n".join(str(photo) for photo in photos))
        wait.until(lambda driver: all(p.name in shown_text(driver, "cull-files") for p in photos))
        browser.find_element(By.ID, "cull-run").click()

        # the decisions: one row per photo, the burst one group with its sharp frame picked
        wait.until(lambda driver: "chelsea_dark.png" in driver.find_element(By.ID, "cull-table").text)
        summary = browser.find_element(By.CSS_SELECTOR, "#cull-summary textarea").get_attribute("value")
        assert summary == "5 photos in 3 groups: 3 picks; flags: blur 1, underexposed 1"
        table = browser.find_element(By.ID, "cull-table").text
        assert all(photo.name in table for photo in photos) and "★" in table and "Blurred" in table
        # the gallery shows every frame, decoded and laid out, and the CSV is offered for download
        wait.until(lambda driver: images_shown(driver, "#cull-gallery img", 5, 50))
        assert "cull.csv" in browser.find_element(By.ID, "cull-csv").text

        screenshot = save_screenshot(browser, tmp_path / "cull_tab.png")
        if UPDATE_SCREENSHOTS:
            target = REPO / "docs" / "cull_tab.png"
            shutil.copyfile(screenshot, target)
            if target.stat().st_size > CULL_SCREENSHOT_BYTES:
                with Image.open(screenshot) as image:
                    image.convert("RGB").quantize(256).save(target, optimize=True)
