"""The axe-core audit used by the journey tests really fails on a violation, with or without JavaScript."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, Route

from .browsing import MOBILE, Auditor, Browse
from .conftest import LiveServer

pytestmark = pytest.mark.e2e

PIXEL = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
BROKEN = f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Hỏng</title></head>
<body><main><h1>Trang có lỗi</h1><img src="{PIXEL}">
<form><input type="text" name="x"></form></main></body></html>"""


@pytest.mark.parametrize("js_enabled", [True, False], ids=["javascript", "no-javascript"])
def test_audit_fails_with_rule_ids_and_targets(js_enabled: bool, browser: Browser, auditor: Auditor) -> None:
    """A page with an image without alt text and an unlabelled input fails the audit, naming both rules
    and the offending elements."""
    url = "http://127.0.0.1:9/broken-page-for-the-audit"  # answered by the route below, never the network
    context = browser.new_context(java_script_enabled=js_enabled, **MOBILE)
    try:
        page = context.new_page()

        def fulfil(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=BROKEN)

        page.route(url, fulfil)
        with pytest.raises(AssertionError) as failure:
            Browse(page, auditor, js_enabled=js_enabled).visit(url)
    finally:
        context.close()
    message = str(failure.value)
    assert "image-alt (critical)" in message, message
    assert "label" in message and "input" in message, message
    assert "target: ['img']" in message, message
    assert url not in auditor.audited


def test_audit_passes_a_real_page_without_javascript(nojs_page: Page, live_server: LiveServer,
                                                     auditor: Auditor) -> None:
    """The replay used for pages without JavaScript audits the real page at its own URL."""
    Browse(nojs_page, auditor, js_enabled=False).visit("/courses")
    assert auditor.audited == [f"{live_server.url}/courses"]
