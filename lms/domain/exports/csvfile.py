"""CSV export: UTF-8 with a byte order mark (so Excel reads Vietnamese right), RFC 4180 quoting and CRLF line
ends, produced as a generator of byte chunks so that 10,000 rows or more stream in constant memory.

Layout: the title, the "as of" line, the filter lines and the notes, one cell each, then an empty line, then
the header row, the rows and the totals row. Values are plain so that a program can read them: integers
without separators, percentages with one decimal and a point ("85.3"), dates as ISO 8601 (2025-06-30).

Text cells are neutralised against spreadsheet formula injection (OWASP "CSV Injection"): a text that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe, so a unit or a learner named
`=HYPERLINK(...)` reads as text. Numbers are ours, never neutralised (a negative gap stays a number).
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Iterator

from ..tables import Cell, Kind, Table

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MIME_TYPE = "text/csv; charset=utf-8"


def neutralise(text: str) -> str:
    """`text` made safe to open in a spreadsheet: a leading apostrophe before a formula's first character."""
    return "'" + text if text.startswith(FORMULA_START) else text


def plain(cell: Cell) -> str:
    """A cell's value as the CSV holds it."""
    if cell.value is None:
        return ""
    if cell.kind is Kind.TEXT:
        return neutralise(str(cell.value))
    if cell.kind is Kind.PERCENT:
        return f"{cell.value:.1f}"
    if cell.kind is Kind.DATE:
        value = cell.value
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()  # type: ignore[union-attr]
    assert cell.kind is Kind.INTEGER and not isinstance(cell.value, date)
    return str(cell.value)


def csv_chunks(table: Table, rows_per_chunk: int = 100) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks: the BOM, the preamble and the header first, then every
    `rows_per_chunk` rows, then the totals. Memory stays that of one chunk whatever the number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)

    def drain() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    buffer.write(BOM)
    for line in table.preamble():
        writer.writerow([neutralise(line)])
    writer.writerow([])
    writer.writerow([neutralise(column.label) for column in table.header()])
    yield drain()
    pending = 0
    for cells in table.body():
        writer.writerow([plain(cell) for cell in cells])
        pending += 1
        if pending >= rows_per_chunk:
            yield drain()
            pending = 0
    totals = table.footer()
    if totals is not None:
        writer.writerow([plain(cell) for cell in totals])
    if buffer.tell():
        yield drain()
