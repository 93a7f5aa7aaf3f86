"""Printable PDF export (fpdf2): A4, the title, the "as of" line, the filters and the notes, then the table
with its header row repeated at the top of every page and a bold totals row; every page's foot repeats the
title and the "as of" line and numbers the page ("2/5"). Landscape when the table has more than six
columns. The font is the certificate's Vietnamese subset (`certificate_pdf.prepare_fonts`: Noto Sans from
`fontpkg-noto-sans`, else Debian's DejaVu Sans), so every diacritic prints and text extraction reads it back.
A PDF is built whole in memory: it is for what fits on paper, not for a 10,000-row list (use CSV or XLSX).
"""
from __future__ import annotations

import io
import re

from fpdf import FPDF
from fpdf.fonts import FontFace

from ..certificate_pdf import Fonts
from ..tables import NUMERIC, Kind, Table

MIME_TYPE = "application/pdf"
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
FAMILY = "report"
_WEIGHT = {Kind.TEXT: 2.2, Kind.INTEGER: 1.0, Kind.PERCENT: 1.0, Kind.DATE: 1.2}


class _Report(FPDF):
    def __init__(self, table: Table, page_text: str, orientation: str) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self._foot = f"{table.title} · {table.as_of_text}"
        self._page_text = page_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(60, 60, 60)
        half = self.epw * 0.75
        self.cell(half, 5, self._foot[:150], align="L")
        self.cell(self.epw - half, 5, self._page_text.format(page=self.page_no(), pages=self.str_alias_nb_pages),
                  align="R")


def pdf_bytes(table: Table, fonts: Fonts, page_text: str = "{page}/{pages}",
              orientation: str | None = None) -> bytes:
    """The table as a PDF document. `page_text` words the page number ("Trang {page}/{pages}")."""
    columns = table.header()
    orientation = orientation or ("L" if len(columns) > 6 else "P")
    pdf = _Report(table, page_text, orientation)
    pdf.set_title(table.title)
    pdf.set_creator("Học Vụ Số")
    pdf.add_font(FAMILY, "", str(fonts.regular))
    pdf.add_font(FAMILY, "B", str(fonts.bold))
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()

    pdf.set_font(FAMILY, "B", 14)
    pdf.multi_cell(0, 7, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    for line in table.preamble()[1:]:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    weights = [_WEIGHT[column.kind] for column in columns]
    if columns and columns[0].kind is Kind.TEXT:
        weights[0] = 3.0
    scale = pdf.epw / sum(weights)
    align = tuple("RIGHT" if column.kind in NUMERIC else "LEFT" for column in columns)
    pdf.set_font(FAMILY, "", 9)
    with pdf.table(col_widths=tuple(w * scale for w in weights), text_align=align, line_height=5,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(232, 238, 244)),
                   repeat_headings=1, first_row_as_headings=True) as grid:
        grid.row([_printable(column.label) for column in columns])
        for cells in table.body():
            grid.row([_printable(cell.text) for cell in cells])
        totals = table.footer()
        if totals is not None:
            grid.row([_printable(cell.text) for cell in totals], style=FontFace(emphasis="BOLD"))
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()


def _printable(text: str) -> str:
    """Control characters (a tab, a carriage return) have no glyph: printed as a space."""
    return _CONTROL.sub(" ", text)
