"""Browser fixtures: Debian's Chromium through pytest-playwright, for this folder's tests only.

pytest-playwright keeps one Playwright (and its event loop) for the whole session; Django's ORM
refuses to run in a thread with a running loop, so here the loop lives only as long as the
module that needs it, and the ORM is told the test thread is safe while it does.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# This machine's network is closed: nothing in the browser may try to reach Google.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args():
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make test` installs it with apt-get install -y chromium"
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="module")
def playwright():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as running:
            yield running
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="module")
def browser_type(playwright):
    return playwright.chromium


@pytest.fixture(scope="module")
def browser(browser_type, browser_type_launch_args):
    launched = browser_type.launch(**browser_type_launch_args)
    yield launched
    launched.close()
