"""A trend chart by quarter, drawn on the server as SVG: one or more series of percentages (e.g. the rate of
each target group) and a target line, readable without JavaScript.

- **Accessible.** The SVG is `role="img"` named by its `<title>` and `<desc>`; the same figures come back as
  a `tables.Table` (`Chart.table`) for the page to render as a data table below it, so a screen reader (or
  anyone) reads the numbers, not the picture. Every point also carries its own `<title>` (a tooltip).
- **Not colour alone.** Each series has its own marker (circle, square, triangle, diamond) and dash pattern
  besides its colour; the target is a dark dashed step line without markers; the legend shows all three.
  Colours have at least 4.5:1 contrast on white (WCAG 1.4.11 asks 3:1 for graphics).
- **No inline style or script.** Only SVG presentation attributes (`fill`, `stroke`, `font-size`, …), so the
  Content-Security-Policy `style-src 'self'` holds; the stylesheet sizes the `<svg>` (`.chart svg`).
- **Readable on a phone.** The view box is 360 units wide, about a phone's width, with 15-unit text,
  so on a 360-pixel screen the labels are 15 px (13 px in a 320-pixel one); a wider page scales it up to
  the width the stylesheet allows.

Everything printed is worded by the caller (title, description, axis labels, series names, period labels;
a period label may hold a line break, "Q1\\n2025"). The percentages are rounded as the tables round them
(`tables.as_percent`), so the picture, its tooltips and the data table say the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from math import ceil
from typing import Any, Sequence
from xml.sax.saxutils import escape

from .tables import VIETNAMESE, Column, Kind, NumberStyle, Table, as_percent

WIDTH = 360
FONT = 15
LEFT, RIGHT, TOP = 48, 14, 34
PLOT_HEIGHT = 200
LEGEND_ROW = 24
MAX_LABELS = 8

# Colour, marker, dash: every series differs from the others in all three.
COLOURS = ("#0B5CAD", "#A8430A", "#1B6E3A", "#6F2C8F", "#8A1C4A", "#3A5A00")
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = (None, "7 4", "2 3", "9 3 2 3")
TARGET_COLOUR = "#1A1A1A"
TARGET_DASH = "5 4"
AXIS_COLOUR = "#4A4A4A"
GRID_COLOUR = "#D0D5DB"


@dataclass(frozen=True)
class Series:
    """One line: its name and one percentage (or None, a gap) per period."""

    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Chart:
    """The SVG (as markup for a template: `{{ chart }}` inserts it unescaped) and its data table."""

    svg: str
    table: Table

    def __html__(self) -> str:
        return self.svg


@dataclass(frozen=True)
class Point:
    series: int
    period: int
    value: Decimal
    x: float
    y: float


def trend_chart(*, periods: Sequence[str], series: Sequence[Series], title: str, description: str,
                x_label: str, y_label: str, as_of: datetime, as_of_text: str, period_label: str,
                target: Any = None, target_label: str = "Target", id_prefix: str = "chart",
                style: NumberStyle = VIETNAMESE) -> Chart:
    """The chart of `series` over `periods`. `target` is one percentage for every period or a sequence of
    one per period (None where there is none); `id_prefix` keeps the element ids unique on a page."""
    if not periods:
        raise ValueError("a chart needs at least one period")
    for line in series:
        if len(line.values) != len(periods):
            raise ValueError(f"series {line.name!r} has {len(line.values)} values for {len(periods)} periods")
    targets = list(target) if isinstance(target, (list, tuple)) else [target] * len(periods)
    if len(targets) != len(periods):
        raise ValueError("one target per period")
    values = [[None if v is None else as_percent(v) for v in line.values] for line in series]
    goals = [None if v is None else as_percent(v) for v in targets]

    top_value = max([Decimal(100), *(v for row in values for v in row if v is not None),
                     *(g for g in goals if g is not None)])
    y_max = Decimal(25 * ceil(top_value / 25))
    plot_width = WIDTH - LEFT - RIGHT
    step = plot_width / len(periods)

    def x_at(index: int) -> float:
        return round(LEFT + (index + 0.5) * step, 2)

    def y_at(value: Decimal) -> float:
        return round(TOP + PLOT_HEIGHT * (1 - float(value / y_max)), 2)

    svg = _Svg()
    bottom = TOP + PLOT_HEIGHT
    # The y axis: a label above it, gridlines and ticks every 25 %.
    svg.text(LEFT - 40, 18, y_label, anchor="start", weight="bold")
    tick = Decimal(0)
    while tick <= y_max:
        y = y_at(tick)
        svg.add(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="{GRID_COLOUR}" '
                f'stroke-width="1"/>')
        svg.text(LEFT - 6, y + 5, f"{tick:.0f}%", anchor="end")
        tick += 25
    svg.add(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="{AXIS_COLOUR}" stroke-width="1.5"/>')
    svg.add(f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="{AXIS_COLOUR}" '
            f'stroke-width="1.5"/>')
    # The x axis: period labels (every k-th when there are many; the table has them all).
    every = max(1, ceil(len(periods) / MAX_LABELS))
    lines = max(len(label.split("\n")) for label in periods)
    for index, label in enumerate(periods):
        if index % every:
            continue
        svg.add(f'<line x1="{x_at(index)}" y1="{bottom}" x2="{x_at(index)}" y2="{bottom + 5}" '
                f'stroke="{AXIS_COLOUR}" stroke-width="1.5"/>')
        svg.text(x_at(index), bottom + 20, label.split("\n"))
    label_bottom = bottom + 20 + (lines - 1) * (FONT + 2)
    svg.text(LEFT + plot_width / 2, label_bottom + 24, x_label, weight="bold")

    # The target: a step line, one flat segment per period.
    half = step / 2
    path: list[str] = []
    for index, goal in enumerate(goals):
        if goal is None:
            continue
        left, right = round(x_at(index) - half, 2), round(x_at(index) + half, 2)
        joined = index > 0 and goals[index - 1] is not None
        path.append(f"{'L' if joined else 'M'}{left} {y_at(goal)} L{right} {y_at(goal)}")
    if path:
        svg.add(f'<path d="{" ".join(path)}" fill="none" stroke="{TARGET_COLOUR}" stroke-width="2" '
                f'stroke-dasharray="{TARGET_DASH}" data-role="target"/>')

    # The series: a line through the points (broken at a gap) and a marker with a tooltip at each point.
    points: list[Point] = []
    for number, row in enumerate(values):
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        segments: list[str] = []
        for index, value in enumerate(row):
            if value is None:
                continue
            point = Point(number, index, value, x_at(index), y_at(value))
            points.append(point)
            joined = index > 0 and row[index - 1] is not None
            segments.append(f"{'L' if joined else 'M'}{point.x} {point.y}")
        if segments:
            svg.add(f'<path d="{" ".join(segments)}" fill="none" stroke="{colour}" stroke-width="2.5"'
                    + (f' stroke-dasharray="{dash}"' if dash else "") + f' data-series="{number}"/>')
    for point in points:
        name = series[point.series].name
        tooltip = f"{name}, {periods[point.period].replace(chr(10), ' ')}: {style.percent(point.value)}"
        svg.add(_marker(point, tooltip))

    # The legend, one row each, below the x axis label.
    y = label_bottom + 24 + LEGEND_ROW + 4
    for number, line in enumerate(series):
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        svg.add(f'<line x1="{LEFT - 40}" y1="{y - 5}" x2="{LEFT - 4}" y2="{y - 5}" stroke="{colour}" '
                f'stroke-width="2.5"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        svg.add(_marker(Point(number, -1, Decimal(0), LEFT - 22, y - 5), None))
        svg.text(LEFT + 4, y, _clip(line.name), anchor="start")
        y += LEGEND_ROW
    if path:
        svg.add(f'<line x1="{LEFT - 40}" y1="{y - 5}" x2="{LEFT - 4}" y2="{y - 5}" stroke="{TARGET_COLOUR}" '
                f'stroke-width="2" stroke-dasharray="{TARGET_DASH}"/>')
        svg.text(LEFT + 4, y, _clip(target_label), anchor="start")
        y += LEGEND_ROW
    height = y - LEGEND_ROW + 10

    ident = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in id_prefix) or "chart"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-labelledby="{ident}-title {ident}-desc" font-family="sans-serif" font-size="{FONT}" '
            f'fill="#1A1A1A">'
            f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>')
    svg_text = head + "".join(svg.parts) + "</svg>"

    columns = [Column("period", period_label, Kind.TEXT)]
    columns += [Column(f"s{number}", line.name, Kind.PERCENT) for number, line in enumerate(series)]
    if any(goal is not None for goal in goals):
        columns.append(Column("target", target_label, Kind.PERCENT))
    rows = []
    for index, label in enumerate(periods):
        row: dict[str, Any] = {"period": label.replace("\n", " "), "target": goals[index]}
        row.update({f"s{number}": values[number][index] for number in range(len(series))})
        rows.append(row)
    table = Table(title=title, as_of=as_of, as_of_text=as_of_text, columns=tuple(columns), rows=tuple(rows),
                  style=style)
    return Chart(svg_text, table)


class _Svg:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def text(self, x: float, y: float, text: str | list[str], anchor: str = "middle",
             weight: str | None = None) -> None:
        attrs = f'x="{round(x, 2)}" y="{round(y, 2)}" text-anchor="{anchor}"'
        if weight:
            attrs += f' font-weight="{weight}"'
        if isinstance(text, str):
            self.parts.append(f"<text {attrs}>{escape(text)}</text>")
            return
        spans = "".join(f'<tspan x="{round(x, 2)}" dy="{0 if i == 0 else FONT + 2}">{escape(part)}</tspan>'
                        for i, part in enumerate(text))
        self.parts.append(f"<text {attrs}>{spans}</text>")


def _marker(point: Point, tooltip: str | None) -> str:
    colour = COLOURS[point.series % len(COLOURS)]
    shape = MARKERS[point.series % len(MARKERS)]
    x, y = point.x, point.y
    common = f'fill="{colour}" stroke="#FFFFFF" stroke-width="1"'
    if point.period >= 0:
        common += f' data-series="{point.series}" data-period="{point.period}" data-value="{point.value:.1f}"'
    if shape == "circle":
        element = f'<circle cx="{x}" cy="{y}" r="5" {common}'
    elif shape == "square":
        element = f'<rect x="{round(x - 4.5, 2)}" y="{round(y - 4.5, 2)}" width="9" height="9" {common}'
    elif shape == "triangle":
        element = (f'<polygon points="{x},{round(y - 6, 2)} {round(x + 6, 2)},{round(y + 4.5, 2)} '
                   f'{round(x - 6, 2)},{round(y + 4.5, 2)}" {common}')
    else:
        element = (f'<polygon points="{x},{round(y - 6.5, 2)} {round(x + 6.5, 2)},{y} {x},{round(y + 6.5, 2)} '
                   f'{round(x - 6.5, 2)},{y}" {common}')
    if tooltip is None:
        return element + "/>"
    tag = element.split(" ", 1)[0][1:]
    return f"{element}><title>{escape(tooltip)}</title></{tag}>"


def _clip(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
