"""End-to-end fixtures: the real app served over HTTP on loopback, Debian's headless Chromium driven by
Playwright (never a downloaded browser), and the axe-core auditor every visited page must satisfy."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask, got_request_exception
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from .browsing import MOBILE, TIMEOUT_MS, Auditor

CHROMIUM = "/usr/bin/chromium"
# No network beyond loopback: these flags stop Chromium from trying (and waiting on) outbound connections.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path("/tmp/e2e-shots")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium (Debian's package) for the whole run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (never `playwright install`)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class LiveServer:
    """The app served on 127.0.0.1; `problems` collects server exceptions, 5xx answers and console errors."""

    url: str
    app: Flask
    engine: Engine
    problems: list[str] = field(default_factory=list)

    def db(self) -> Session:
        """A session on the same real database the server writes to (to read answer keys)."""
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture
def live_server(published: Flask) -> Iterator[LiveServer]:
    """The app with the demo content imported, served by Werkzeug in a daemon thread on a free port."""
    server = LiveServer(url="", app=published, engine=published.extensions["lms_db"].engine)

    def record(_sender: Flask, exception: BaseException, **_extra: Any) -> None:
        server.problems.append(f"server exception: {exception!r}")

    got_request_exception.connect(record, published)
    httpd = make_server("127.0.0.1", 0, published, threaded=True)
    server.url = f"http://127.0.0.1:{httpd.server_port}"
    published.config["PUBLIC_URL"] = server.url  # absolute URLs (VNeID, certificates) name the served port
    thread = threading.Thread(target=httpd.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
        got_request_exception.disconnect(record, published)
    assert not server.problems, "\n".join(server.problems)


@pytest.fixture
def auditor(browser: Browser) -> Iterator[Auditor]:
    """axe-core on every page a test visits (see `browsing.Browse`)."""
    audit = Auditor(browser)
    yield audit
    audit.close()


def _watch(page: Page, server: LiveServer) -> None:
    """Record 5xx answers, failed page resources (stylesheet, images) and browser console errors such as CSP
    refusals as problems of the run. The browser's own favicon probe is not a page resource."""
    def on_response(response: Response) -> None:
        failed_resource = response.status >= 400 and response.request.resource_type != "document" \
            and not response.url.endswith("/favicon.ico")
        if response.status >= 500 or failed_resource:
            server.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

    def on_console(message: ConsoleMessage) -> None:
        # "Failed to load resource" duplicates a response seen above (or is the favicon probe).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            server.problems.append(f"console error on {page.url}: {message.text}")

    page.on("response", on_response)
    page.on("console", on_console)


def _context(browser: Browser, server: LiveServer, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=server.url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def mobile_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A phone-sized page (390×844, touch) with JavaScript on."""
    context = _context(browser, live_server, **MOBILE)
    page = context.new_page()
    _watch(page, live_server)
    yield page
    context.close()


@pytest.fixture
def nojs_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A phone-sized page with JavaScript turned off."""
    context = _context(browser, live_server, java_script_enabled=False, **MOBILE)
    page = context.new_page()
    _watch(page, live_server)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A desktop-sized page driven with the keyboard."""
    context = _context(browser, live_server, viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    _watch(page, live_server)
    yield page
    context.close()


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    """Where screenshots go for a human (or an image viewer) to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
