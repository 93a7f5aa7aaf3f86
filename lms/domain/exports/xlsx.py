"""XLSX export with XlsxWriter in `constant_memory` mode: each row is written to a temporary file as it
comes and the workbook is zipped at the end, so 10,000 rows or more take the memory of one row.

The sheet: the title (bold, larger), the "as of" line, the filter lines and the notes above the table, an
empty row, then a bold header row frozen in place, the rows and a bold totals row. Integers are numbers
(`#,##0`), percentages are numbers with a percent format (85.3 % is stored as 0.853, shown `0.0%`), dates
are dates; column widths follow the longest text seen. Every text is written with `write_string`, never
`write`, so a text that looks like a formula (`=1+2`) stays text: a spreadsheet cannot run it.
"""
from __future__ import annotations

import re
import tempfile
from datetime import date, datetime
from typing import IO, Iterator

import xlsxwriter

from ..tables import Cell, Kind, Table

MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MIN_WIDTH, _MAX_WIDTH = 8, 60
_KIND_WIDTH = {Kind.INTEGER: 10, Kind.PERCENT: 9, Kind.DATE: 11, Kind.TEXT: 8}


def sheet_name(title: str) -> str:
    """A valid worksheet name from a title: no []:*?/\\, at most 31 characters, not empty."""
    name = _SHEET_FORBIDDEN.sub(" ", title).strip().strip("'")[:31].strip()
    return name or "Sheet1"


def write_xlsx(table: Table, out: IO[bytes] | str, sheet: str | None = None) -> None:
    """Write `table` as an XLSX workbook to a binary file object (or a path)."""
    workbook = xlsxwriter.Workbook(out, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
        "strings_to_urls": False, "default_date_format": "dd/mm/yyyy",
    })
    try:
        workbook.set_properties({"title": table.title, "comments": table.as_of_text})
        worksheet = workbook.add_worksheet(sheet_name(sheet or table.title))
        title = workbook.add_format({"bold": True, "font_size": 14})
        header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1,
                                      "bg_color": "#E8EEF4"})
        total = {"bold": True, "top": 1}
        body_formats = {Kind.TEXT: {}, Kind.INTEGER: {"num_format": "#,##0"},
                        Kind.PERCENT: {"num_format": "0.0%"}, Kind.DATE: {"num_format": "dd/mm/yyyy"}}
        body = {kind: workbook.add_format(spec) for kind, spec in body_formats.items()}
        bold = {kind: workbook.add_format({**spec, **total}) for kind, spec in body_formats.items()}

        columns = table.header()
        widths = [max(_KIND_WIDTH[column.kind], min(len(column.label), 24)) for column in columns]
        row = 0
        for index, line in enumerate(table.preamble()):
            worksheet.write_string(row, 0, line, title if index == 0 else None)
            row += 1
        row += 1  # an empty row before the table
        for col, column in enumerate(columns):
            worksheet.write_string(row, col, column.label, header)
        worksheet.freeze_panes(row + 1, 0)
        row += 1
        for cells in table.body():
            _write_row(worksheet, row, cells, body, widths)
            row += 1
        totals = table.footer()
        if totals is not None:
            _write_row(worksheet, row, totals, bold, widths)
        for col, width in enumerate(widths):
            worksheet.set_column(col, col, min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH))
    finally:
        workbook.close()


def _write_row(worksheet, row: int, cells: list[Cell], formats, widths: list[int]) -> None:  # type: ignore[no-untyped-def]
    for col, cell in enumerate(cells):
        fmt = formats[cell.kind]
        value = cell.value
        if value is None or value == "":
            worksheet.write_blank(row, col, None, fmt)
        elif cell.kind is Kind.TEXT:
            worksheet.write_string(row, col, str(value), fmt)
            widths[col] = max(widths[col], len(str(value)))
        elif cell.kind is Kind.PERCENT:
            worksheet.write_number(row, col, cell.ratio, fmt)
        elif cell.kind is Kind.INTEGER:
            worksheet.write_number(row, col, value, fmt)  # type: ignore[arg-type]
            widths[col] = max(widths[col], len(cell.text))
        else:
            assert isinstance(value, date)
            moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
            worksheet.write_datetime(row, col, moment.replace(tzinfo=None), fmt)


def xlsx_chunks(table: Table, sheet: str | None = None, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The workbook as byte chunks: written to a temporary file when the first chunk is asked for (rows
    are read then, inside the response), then read back `chunk_size` bytes at a time."""
    with tempfile.TemporaryFile() as handle:
        write_xlsx(table, handle, sheet)
        handle.seek(0)
        while chunk := handle.read(chunk_size):
            yield chunk
