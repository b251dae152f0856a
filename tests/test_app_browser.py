"""A real browser drives the Space: headless Chromium (Debian's chromium + chromedriver) opens the app,
uploads a photo into "Edit & assess", types a prompt, runs the edit and waits for the delta card.

The screenshot goes to the test's tmp dir; with RED_AES_UPDATE_SCREENSHOT=1 it also replaces
docs/screenshot.png (the README's picture). Skipped only where Chromium or chromedriver is missing
(`make system-deps` installs them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from launch import free_port

from red_aes.demo import DemoConfig
from red_aes.types import DELTA_MAX, DELTA_MIN
from tests.conftest import REPO
from tests.test_app import serve  # the app helpers of tests/test_app.py

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
        wait.until(
            lambda driver: driver.execute_script(
                "const imgs = [...document.querySelectorAll('#edit-slider img')];"
                "return imgs.length === 2 && imgs.every(i => i.complete && i.naturalWidth > 0"
                " && i.getBoundingClientRect().height > 100);"
            )
        )
        assert "Backends in use" in browser.find_element(By.ID, "backend-status").text

        screenshot = tmp_path / "screenshot.png"
        assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000
        if os.environ.get("RED_AES_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(screenshot, REPO / "docs" / "screenshot.png")
