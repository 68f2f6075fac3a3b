"""The browser leg: the app served on 127.0.0.1 in a thread, driven by Playwright in Debian's
Chromium. Run with `pytest -m e2e` (make test does)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def playwright_instance():
    """One Playwright driver per run: the sync API cannot start a second one while the first runs,
    so tests that need another browser (a fake camera, say) launch it from this one."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with playwright_api.sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    yield ctx
    ctx.close()


def watch_csp(page) -> list[str]:
    """Collect the page's Content-Security-Policy violations (Chromium reports them on the console)."""
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    return found


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations = watch_csp(page)
    yield page
    assert not violations, f"Content-Security-Policy violations: {violations}"


def _phone_page(browser, height: int):
    ctx = browser.new_context(viewport={"width": 360, "height": height}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    violations = watch_csp(page)
    yield page
    ctx.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def phone(browser):
    """A cheap phone's screen."""
    yield from _phone_page(browser, 640)


@pytest.fixture
def phone740(browser):
    """The 360×740 phone of the per-role journeys."""
    yield from _phone_page(browser, 740)


def browser_login(page, live_server, user, password):
    page.goto(f"{live_server}/login")
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(password)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def axe_violations(page, serious_only: bool = True) -> list[dict]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; return serious and critical violations."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # not a <script> tag: the page's CSP forbids inline ones
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
               values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    found = result["violations"]
    if serious_only:
        found = [v for v in found if v["impact"] in ("serious", "critical")]
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in found]
