"""The trend chart and the report table in a real page of the app (its base template, stylesheet and
Content-Security-Policy) in Chromium on a phone, with and without JavaScript: axe-core finds nothing, the
chart is an image named by its title, CSP refuses nothing (no inline style), and its text is at least 13 px.
The page is the app's own rendering served at a test-only URL by the browser's router: no production route."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from playwright.sync_api import Page, Route, expect

from lms.domain.charts import Series, trend_chart

from ..domain.reporting_tables import make_table
from .browsing import Auditor, Browse
from .conftest import LiveServer

pytestmark = pytest.mark.e2e

PAGE = """{% extends "base.html" %}{% import "reports/macros.html" as reports %}
{% block title %}{{ chart.table.title }}{% endblock %}
{% block content %}<h1>{{ chart.table.title }}</h1>
{{ reports.chart(chart, "trend") }}
<h2>{{ table.title }}</h2>
{{ reports.data_table(table, "units") }}
{% endblock %}"""


def _html(app: Flask) -> str:
    chart = trend_chart(
        periods=["Q1\n2025", "Q2\n2025", "Q3\n2025", "Q4\n2025", "Q1\n2026", "Q2\n2026"],
        series=[Series("Người dân", (10, 25, 40, None, 70, 80)),
                Series("Cán bộ, công chức, viên chức", (30, 50, 60, 75, 90, 95)),
                Series("Học sinh, sinh viên", (5, 20, 45, 60, 85, 100)),
                Series("Người lao động", (0, 10, 20, 30, 40, 50))],
        title="Tỷ lệ đạt phổ cập theo quý", description="Bốn nhóm đối tượng từ quý 1/2025 đến quý 2/2026; "
        "số liệu đầy đủ trong bảng ngay dưới biểu đồ.", x_label="Quý", y_label="Tỷ lệ đạt (%)",
        as_of=datetime(2026, 6, 30, tzinfo=timezone.utc), as_of_text="Số liệu tính đến 30/06/2026",
        period_label="Quý", target=[80, 80, 80, 80, 100, 100], target_label="Chỉ tiêu", id_prefix="trend")
    with app.test_request_context("/"):
        return render_template_string(PAGE, chart=chart, table=make_table())


@pytest.mark.parametrize("js_enabled", [True, False], ids=["javascript", "no-javascript"])
def test_chart_and_table_pass_axe_on_a_phone(js_enabled: bool, mobile_page: Page, nojs_page: Page,
                                             live_server: LiveServer, auditor: Auditor,
                                             shots_dir: Path) -> None:
    page = mobile_page if js_enabled else nojs_page
    app = live_server.app
    csp = app.test_client().get("/courses").headers["Content-Security-Policy"]
    assert "style-src 'self'" in csp
    html = _html(app)
    url = f"{live_server.url}/__test__/report-chart"

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, body=html, headers={"Content-Type": "text/html; charset=utf-8",
                                                     "Content-Security-Policy": csp})

    page.route(url, fulfil)
    Browse(page, auditor, js_enabled=js_enabled).visit(url)
    chart = page.get_by_role("img", name="Tỷ lệ đạt phổ cập theo quý")
    expect(chart).to_be_visible()
    expect(page.locator("#trend-data caption")).to_contain_text("Tỷ lệ đạt phổ cập theo quý")
    expect(page.locator("#trend-data tbody tr")).to_have_count(6)
    expect(page.locator("#units tfoot")).to_contain_text("Tổng")
    expect(page.locator("#units tbody")).to_contain_text("÷ người đăng ký")
    if js_enabled:
        box = chart.bounding_box()
        assert box is not None and box["width"] <= 390
        # The font size each label is drawn at on this screen: its size in the view box times the scale.
        sizes = page.locator("figure.chart svg text").evaluate_all(
            "texts => texts.map(t => t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize))")
        assert sizes and min(sizes) >= 13, sizes
        page.screenshot(path=str(shots_dir / "report-chart-phone.png"), full_page=True)
