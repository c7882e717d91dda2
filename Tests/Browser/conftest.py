"""Fixtures of the browser tests: the daemon `BrowserTests` started, Debian's chromium driven
by Playwright at a phone's size, signing in, screenshots.

Every `test_*.py` file in this folder is run. The world the daemon serves is described in the
JSON file named by CHITIEU_WEB_WORLD (base_url, password, provinces, units, officers)."""

import json
import os
import pathlib
import re

import pytest
from playwright.sync_api import expect, sync_playwright

WORLD = json.loads(pathlib.Path(os.environ["CHITIEU_WEB_WORLD"]).read_text(encoding="utf-8"))
SHOTS = pathlib.Path(os.environ.get("CHITIEU_SCREENSHOTS", "browser-screenshots"))
VIEWPORT = {"width": 360, "height": 740}
# The tests share two cores with the rest of the suite: wait longer than Playwright's 5 s.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def world():
    """What the daemon holds: see BrowserTests.swift."""
    return WORLD


@pytest.fixture(scope="session")
def base_url():
    return WORLD["base_url"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        # Debian's chromium, never a downloaded build; as root it needs --no-sandbox.
        b = p.chromium.launch(executable_path=os.environ["CHITIEU_CHROMIUM"], args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def context(browser, base_url):
    c = browser.new_context(viewport=VIEWPORT, base_url=base_url, locale="vi-VN", accept_downloads=True)
    c.set_default_timeout(30_000)
    yield c
    c.close()


@pytest.fixture
def page(context):
    """A page that fails the test if any dialog (alert, confirm) opens."""
    p = context.new_page()
    dialogs = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield p
    assert not dialogs, f"a dialog opened: {dialogs}"


def sign_in(page, username, password=None):
    """Signs in through the form, by keyboard, and waits for the dashboard."""
    page.goto("/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password or WORLD["password"])
    page.get_by_label("Mật khẩu").press("Enter")
    expect(page).to_have_url(re.compile(r"/tong-quan"))


def shot(page, name, full_page=True):
    """A screenshot (the whole page, or what the phone's screen shows) in the output folder."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)
