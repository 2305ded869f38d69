"""Fixtures of the browser tests of the web console (issue 14).

They drive Debian's headless Chromium through chromedriver with Selenium,
against the server run.sh started. Nothing is downloaded: the driver and the
browser are the Debian packages `chromium-driver` and `chromium` at
/usr/bin/chromedriver and /usr/bin/chromium (.ci/run installs them). Without
them the tests fail under CI=true and are skipped elsewhere, with the reason.

Screenshots of the main pages go to docs/screenshots/ only when
MTURK_LOCAL_SCREENSHOTS=1, so that a CI run leaves the tree as it was.
"""

import os
import pathlib
import sys

import boto3
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "modern"))

from modern_support import mturk_client  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture(scope="session", autouse=True)
def isolated_aws_environment(tmp_path_factory):
    """Only what the tests pass reaches botocore (as in modern/conftest.py)."""
    folder = tmp_path_factory.mktemp("aws-browser")
    (folder / "config").write_text("")
    (folder / "credentials").write_text("")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", str(folder / "config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setattr(boto3, "DEFAULT_SESSION", None)
        yield folder


@pytest.fixture
def hit_mturk(endpoint, hit_credentials):
    """A boto3 client of the requester of the HIT tests."""
    return mturk_client(endpoint, hit_credentials)


@pytest.fixture(scope="session")
def browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        message = f"the browser tests need Debian's chromium and chromium-driver; missing: {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as e:
        pytest.fail(f"selenium is not installed (tests/clients/requirements.txt): {e}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--no-proxy-server"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def screenshot(browser):
    """screenshot(name): saves docs/screenshots/<name>.png when MTURK_LOCAL_SCREENSHOTS=1."""

    def take(name: str, width: int = 1280, height: int = 1000) -> None:
        if os.environ.get("MTURK_LOCAL_SCREENSHOTS") != "1":
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.set_window_size(width, height)
        browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
        browser.set_window_size(1280, 1000)

    return take
