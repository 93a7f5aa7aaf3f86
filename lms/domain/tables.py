"""The table an official reads, as one value: what the screen shows and what every export holds.

A `Table` has a title, the moment its figures hold ("as of"), the filters that chose them, typed columns,
rows and a totals row. The HTML page and the CSV, XLSX and PDF writers (`lms.domain.exports`) all read it
through `Table.header()`, `Table.body()` and `Table.footer()`, so no export can disagree with the screen
(Kolibri's CSVs did not match it, learningequality/kolibri#6642): the percentages are computed here, once,
from the counts beside them.

A rate column knows its numerator and denominator (two integer columns of the same table, shown with it).
When a row has no denominator (no target population is known for that unit × group) and the column names a
`fallback` (the registered learners), the rate is taken over the fallback and the cell is *flagged*; the
column is then followed by a "basis" column that says so on that row (`Table.fallback_label`, worded by
the caller, e.g. "÷ người đăng ký"), on the screen and in every export alike (docs/reporting.md, "Rate").

Everything printed is worded by the caller (this module knows no translations). Rows may be any iterable,
a generator reading the database included, so a long list is never held in memory; such a table can be
written once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from fractions import Fraction
from typing import Any, Iterable, Iterator, Mapping

Row = Mapping[str, Any]
Value = str | int | Decimal | date | None


class Kind(str, Enum):
    TEXT = "text"
    INTEGER = "integer"
    PERCENT = "percent"   # a percentage with one decimal, e.g. Decimal("85.3") for 85.3 %
    DATE = "date"


NUMERIC = frozenset({Kind.INTEGER, Kind.PERCENT})


@dataclass(frozen=True)
class Column:
    """One column. A PERCENT column with `numerator` and `denominator` (keys of INTEGER columns of the
    same table) computes its value from them; without them the row gives the percentage itself (a chart's
    series, a target). `fallback` (the key of an INTEGER column) is the denominator used, and flagged,
    where the row's denominator is missing."""

    key: str
    label: str
    kind: Kind = Kind.TEXT
    numerator: str | None = None
    denominator: str | None = None
    fallback: str | None = None

    @property
    def computed(self) -> bool:
        return self.numerator is not None


@dataclass(frozen=True)
class NumberStyle:
    """How numbers and dates read on the screen and in the PDF (CSV and XLSX keep plain values)."""

    decimal_mark: str = ","
    thousands: str = "."
    percent_suffix: str = " %"
    date_format: str = "%d/%m/%Y"
    missing: str = "—"

    def integer(self, value: int) -> str:
        text = f"{abs(value):,}".replace(",", self.thousands)
        return f"-{text}" if value < 0 else text

    def percent(self, value: Decimal) -> str:
        return f"{value:.1f}".replace(".", self.decimal_mark) + self.percent_suffix

    def day(self, value: date) -> str:
        return value.strftime(self.date_format)


VIETNAMESE = NumberStyle()
ENGLISH = NumberStyle(decimal_mark=".", thousands=",", percent_suffix="%", date_format="%Y-%m-%d")


@dataclass(frozen=True)
class Cell:
    """One cell as every renderer sees it: its kind, its typed value (None when empty), the text the screen
    shows, and whether a rate was taken over the fallback denominator."""

    kind: Kind
    value: Value
    text: str
    flagged: bool = False

    @property
    def ratio(self) -> float | None:
        """A PERCENT value as a fraction of one (85.3 % -> 0.853), as a spreadsheet stores it."""
        if self.kind is not Kind.PERCENT or self.value is None:
            return None
        return float(Decimal(self.value) / 100)  # type: ignore[arg-type]


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator as a percentage rounded half up to one decimal, exactly (no floats);
    None when the denominator is 0."""
    if denominator == 0:
        return None
    if numerator < 0 or denominator < 0:
        raise ValueError("counts cannot be negative")
    tenths = (numerator * 2000 + denominator) // (2 * denominator)
    return Decimal(tenths).scaleb(-1)


def as_percent(value: Any) -> Decimal:
    """A percentage given as a number, rounded half up to one decimal (the one rounding of every figure)."""
    if isinstance(value, bool):
        raise TypeError("a percentage, not a bool")
    if isinstance(value, (int, Fraction)):
        value = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) \
            else Decimal(value)
    elif isinstance(value, float):
        value = Decimal(repr(value))
    elif not isinstance(value, Decimal):
        raise TypeError(f"a percentage must be a number, not {type(value).__name__}")
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Table:
    """What one screen (and each of its exports) shows. `as_of` is timezone-aware; `as_of_text` is how it
    reads ("Số liệu tính đến 30/06/2025 23:59"), `filters` and `notes` are lines printed above the table."""

    title: str
    as_of: datetime
    as_of_text: str
    columns: tuple[Column, ...]
    rows: Iterable[Row]
    totals: Row | None = None
    filters: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    fallback_label: str = "÷ registered"
    basis_label: str = "Basis"
    style: NumberStyle = field(default=VIETNAMESE)

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None:
            raise ValueError("as_of must be timezone-aware")
        keys = [column.key for column in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError("column keys must be unique")
        kinds = {column.key: column.kind for column in self.columns}
        for column in self.columns:
            if column.kind is not Kind.PERCENT:
                if column.numerator or column.denominator or column.fallback:
                    raise ValueError(f"{column.key}: only a percent column has a numerator and denominator")
                continue
            if (column.numerator is None) != (column.denominator is None):
                raise ValueError(f"{column.key}: a rate needs both its numerator and its denominator")
            if column.fallback and not column.computed:
                raise ValueError(f"{column.key}: a fallback needs a numerator and a denominator")
            for part in (column.numerator, column.denominator, column.fallback):
                # A rate is always shown with its counts (docs/reporting.md, "Rate").
                if part is not None and kinds.get(part) is not Kind.INTEGER:
                    raise ValueError(f"{column.key}: {part!r} is not an integer column of this table")

    # The columns as rendered: each rate with a fallback is followed by its basis column.
    def header(self) -> list[Column]:
        out: list[Column] = []
        for column in self.columns:
            out.append(column)
            if column.fallback:
                out.append(Column(f"{column.key}.basis", self.basis_label, Kind.TEXT))
        return out

    def body(self) -> Iterator[list[Cell]]:
        """The cells of every row, in order (reads `rows` once)."""
        for row in self.rows:
            yield self.cells(row)

    def footer(self) -> list[Cell] | None:
        """The totals row's cells, or None."""
        return None if self.totals is None else self.cells(self.totals)

    def cells(self, row: Row) -> list[Cell]:
        out: list[Cell] = []
        for column in self.columns:
            cell = self._cell(column, row)
            out.append(cell)
            if column.fallback:
                out.append(Cell(Kind.TEXT, self.fallback_label if cell.flagged else "",
                                self.fallback_label if cell.flagged else ""))
        return out

    def _cell(self, column: Column, row: Row) -> Cell:
        style = self.style
        if column.kind is Kind.PERCENT:
            flagged = False
            if column.computed:
                numerator, denominator = row.get(column.numerator), row.get(column.denominator)  # type: ignore[arg-type]
                if denominator is None and column.fallback:
                    denominator, flagged = row.get(column.fallback), True
                value = None if numerator is None or denominator is None \
                    else percent(int(numerator), int(denominator))
            else:
                raw = row.get(column.key)
                value = None if raw is None else as_percent(raw)
            text = style.missing if value is None else style.percent(value)
            return Cell(Kind.PERCENT, value, text, flagged and value is not None)
        raw = row.get(column.key)
        if raw is None:
            return Cell(column.kind, None, "" if column.kind is Kind.TEXT else style.missing)
        if column.kind is Kind.INTEGER:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise TypeError(f"{column.key}: an integer column holds int, not {type(raw).__name__}")
            return Cell(Kind.INTEGER, raw, style.integer(raw))
        if column.kind is Kind.DATE:
            if not isinstance(raw, date):
                raise TypeError(f"{column.key}: a date column holds date or datetime")
            return Cell(Kind.DATE, raw, style.day(raw))
        text = str(raw)
        return Cell(Kind.TEXT, text, text)

    def preamble(self) -> list[str]:
        """The lines above the table: title, as of, filters, notes."""
        return [self.title, self.as_of_text, *self.filters, *self.notes]
