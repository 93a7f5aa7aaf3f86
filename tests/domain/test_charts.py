"""The server-drawn trend chart: well-formed SVG holding every data point where its value says, the same
figures as its data table, accessible names, no inline style or script, and not colour alone."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from lms.domain import charts
from lms.domain.charts import Series, trend_chart
from lms.domain.tables import Kind

SVG = "{http://www.w3.org/2000/svg}"
PERIODS = ["Q1\n2025", "Q2\n2025", "Q3\n2025", "Q4\n2025", "Q1\n2026", "Q2\n2026"]
SERIES = [Series("Người dân", (10, Decimal("25.55"), 40, None, 70, 80)),
          Series("Cán bộ <công chức> & viên chức", (30, 50, 60, 75, 90, Decimal("95.04"))),
          Series("Học sinh", (0, 12.5, None, None, 100, 100))]
TARGETS = [80, 80, 80, 80, 100, 100]


def _chart(**changes):  # type: ignore[no-untyped-def]
    options = dict(periods=PERIODS, series=SERIES, title="Tỷ lệ đạt phổ cập theo quý",
                   description="Ba nhóm, quý 1/2025 đến quý 2/2026; số liệu trong bảng bên dưới.",
                   x_label="Quý", y_label="Tỷ lệ đạt (%)", as_of=datetime(2026, 6, 30, tzinfo=timezone.utc),
                   as_of_text="Số liệu tính đến 30/06/2026", period_label="Quý", target=TARGETS,
                   target_label="Chỉ tiêu", id_prefix="trend")
    options.update(changes)
    return trend_chart(**options)


def _y(value: Decimal, y_max: int = 100) -> float:
    return round(charts.TOP + charts.PLOT_HEIGHT * (1 - float(value / y_max)), 2)


def test_svg_is_well_formed_and_named() -> None:
    chart = _chart()
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Tỷ lệ đạt phổ cập theo quý"
    assert desc is not None and desc.text.startswith("Ba nhóm")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}" == "trend-title trend-desc"
    assert chart.__html__() == chart.svg
    assert "Cán bộ &lt;công chức&gt; &amp; viên chức" in chart.svg


def test_every_point_is_drawn_where_its_value_says() -> None:
    chart = _chart()
    root = ET.fromstring(chart.svg)
    marks = [el for el in root.iter() if el.get("data-value") is not None]
    drawn = {(int(el.get("data-series")), int(el.get("data-period"))): el for el in marks}
    expected = {(s, p): Decimal(str(v)).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")
                for s, line in enumerate(SERIES) for p, v in enumerate(line.values) if v is not None}
    assert set(drawn) == set(expected) and len(marks) == len(expected)
    step = (charts.WIDTH - charts.LEFT - charts.RIGHT) / len(PERIODS)
    for (s, p), value in expected.items():
        el = drawn[(s, p)]
        assert Decimal(el.get("data-value")) == value
        title = el.find(f"{SVG}title")
        assert title is not None and title.text.endswith(f": {value:.1f}".replace(".", ",") + " %")
        assert title.text.startswith(SERIES[s].name)
        if el.tag == f"{SVG}circle":
            x, y = float(el.get("cx")), float(el.get("cy"))
        elif el.tag == f"{SVG}rect":
            x, y = float(el.get("x")) + 4.5, float(el.get("y")) + 4.5
        else:
            xs, ys = zip(*(map(float, pair.split(",")) for pair in el.get("points").split()))
            x, y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2 if len(xs) == 4 else ys[0] + 6
        assert x == pytest.approx(charts.LEFT + (p + 0.5) * step, abs=0.02)
        assert y == pytest.approx(_y(value), abs=0.02), (s, p)
    # A gap breaks the line: series 0 has two runs, series 2 two runs (Q1–Q2, Q1–Q2 2026).
    paths = {int(el.get("data-series")): el.get("d") for el in root.iter(f"{SVG}path")
             if el.get("data-series") is not None}
    assert paths[0].count("M") == 2 and paths[1].count("M") == 1 and paths[2].count("M") == 2


def test_target_is_a_step_line_at_its_values() -> None:
    root = ET.fromstring(_chart().svg)
    (target,) = [el for el in root.iter(f"{SVG}path") if el.get("data-role") == "target"]
    ys = sorted({float(v) for v in re.findall(r"[ML][\d.]+ ([\d.]+)", target.get("d"))})
    assert ys == sorted({_y(Decimal(100)), _y(Decimal(80))})
    assert target.get("stroke-dasharray")
    no_target = _chart(target=None)
    assert 'data-role="target"' not in no_target.svg
    assert [c.key for c in no_target.table.columns] == ["period", "s0", "s1", "s2"]


def test_scale_grows_past_100() -> None:
    chart = _chart(series=[Series("x", (120, 10, 10, 10, 10, 10))], target=None)
    root = ET.fromstring(chart.svg)
    (mark,) = [el for el in root.iter() if el.get("data-period") == "0"]
    assert float(mark.get("cy")) == pytest.approx(_y(Decimal(120), 125))
    assert ">125%</text>" in chart.svg


def test_table_has_the_same_figures() -> None:
    chart = _chart()
    table = chart.table
    assert [c.label for c in table.header()] == ["Quý", "Người dân", "Cán bộ <công chức> & viên chức",
                                                 "Học sinh", "Chỉ tiêu"]
    assert all(c.kind is Kind.PERCENT for c in table.columns[1:])
    rows = list(table.body())
    assert [r[0].text for r in rows] == [p.replace("\n", " ") for p in PERIODS]
    root = ET.fromstring(chart.svg)
    for el in root.iter():
        if el.get("data-value") is not None:
            cell = rows[int(el.get("data-period"))][1 + int(el.get("data-series"))]
            assert cell.value == Decimal(el.get("data-value"))
    assert rows[3][1].value is None and rows[3][1].text == "—"
    assert [r[4].value for r in rows] == [Decimal(t) for t in TARGETS]
    assert table.as_of_text == "Số liệu tính đến 30/06/2026"


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_not_colour_alone_and_enough_contrast() -> None:
    for colour in (*charts.COLOURS, charts.TARGET_COLOUR, charts.AXIS_COLOUR):
        assert 1.05 / (_luminance(colour) + 0.05) >= 4.5, colour
    assert len(set(charts.MARKERS)) == len(charts.MARKERS) == len(set(charts.DASHES)) == 4
    root = ET.fromstring(_chart().svg)
    shapes = {}
    for el in root.iter():
        if el.get("data-value") is not None:
            shapes.setdefault(el.get("data-series"), set()).add((el.tag, len(el.get("points", "").split())))
    assert all(len(kinds) == 1 for kinds in shapes.values())
    assert len({next(iter(kinds)) for kinds in shapes.values()}) == len(SERIES)
    dashes = [el.get("stroke-dasharray") for el in root.iter(f"{SVG}path") if el.get("data-series")]
    assert len(set(dashes)) == len(SERIES)


def test_no_inline_style_or_script_and_phone_sized_text() -> None:
    svg = _chart().svg
    assert "style=" not in svg and "<script" not in svg and "<style" not in svg and " on" not in svg.lower()
    root = ET.fromstring(svg)
    width = float(root.get("viewBox").split()[2])
    assert width == 360
    sizes = [float(el.get("font-size")) for el in root.iter() if el.get("font-size")]
    assert sizes and min(sizes) >= 15, "15 units of a 360-unit view box: 15 px on a 360 px phone"


def test_every_id_is_prefixed_and_bad_input_refused() -> None:
    svg = _chart(id_prefix="a b\"<").svg
    assert 'id="a-b---title"' in svg
    with pytest.raises(ValueError, match="periods"):
        _chart(series=[Series("x", (1, 2))])
    with pytest.raises(ValueError, match="one target"):
        _chart(target=[1, 2])
    with pytest.raises(ValueError):
        _chart(periods=[], series=[])
