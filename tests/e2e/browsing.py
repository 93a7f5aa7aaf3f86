"""Browsing helpers for the end-to-end tests: every page reached through `Browse` is audited by axe-core."""
from __future__ import annotations

from typing import Any, Callable

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page

MOBILE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                          "device_scale_factor": 1, "locale": "vi-VN"}
TIMEOUT_MS = 10_000


def format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    """A readable list: rule id, impact, help text and the selectors of every failing node."""
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')}")
        for node in violation.get("nodes", []):
            lines.append(f"    target: {node.get('target')}")
    return "\n".join(lines)


class Auditor:
    """Runs axe-core on a page. A page in a context without JavaScript cannot run axe itself, so its exact
    HTML is replayed at the same URL in a JavaScript-enabled page (same origin, same stylesheet)."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.axe = Axe()
        self._replay: Page | None = None
        self.audited: list[str] = []

    def check(self, page: Page, js_enabled: bool = True) -> None:
        """Fail with the list of violations unless axe-core finds none on the page as it is now."""
        url = page.url
        if js_enabled:
            results = self.axe.run(page)
        else:
            html = page.content()
            replay = self._replay_page()
            same_url: Callable[[str], bool] = lambda candidate: candidate == url  # noqa: E731
            replay.route(same_url, lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html))
            try:
                replay.goto(url, wait_until="load")
                results = self.axe.run(replay)
            finally:
                replay.unroute(same_url)
        violations = results.response["violations"]
        assert not violations, format_violations(url, violations)
        self.audited.append(url)

    def _replay_page(self) -> Page:
        if self._replay is None:
            context = self.browser.new_context(**MOBILE)
            context.set_default_timeout(TIMEOUT_MS)
            self._replay = context.new_page()
        return self._replay

    def close(self) -> None:
        if self._replay is not None:
            self._replay.context.close()
            self._replay = None


class Browse:
    """Navigates like a learner and audits every page it lands on."""

    def __init__(self, page: Page, auditor: Auditor, js_enabled: bool = True) -> None:
        self.page = page
        self.auditor = auditor
        self.js_enabled = js_enabled

    def check(self) -> None:
        """Audit the current page with axe-core."""
        self.auditor.check(self.page, self.js_enabled)

    def visit(self, path: str) -> None:
        """Open `path` (relative to the live server), expect 200, and audit the page."""
        response = self.page.goto(path)
        assert response is not None and response.status == 200, \
            f"GET {path}: HTTP {response.status if response else 'no response'}"
        self.check()

    def follow(self, target: Locator) -> None:
        """Click a link or a submit button, wait for the next page to load, and audit it."""
        target.wait_for(state="visible")
        with self.page.expect_navigation(wait_until="load") as navigation:
            target.click()
        response = navigation.value
        assert response is not None and response.status == 200, \
            f"{self.page.url}: HTTP {response.status if response else 'no response'}"
        self.check()
