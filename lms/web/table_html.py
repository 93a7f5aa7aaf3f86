"""The HTML face of a lms.domain.tables.Table, written in one pass: the same markup the Jinja macro
`reports/macros.html:data_table` wrote cell by cell (a ranked table of 126 communes is ~1,500 cells, and the
macro's per-cell work was a large part of a dashboard request). Everything is escaped with markupsafe."""
from __future__ import annotations

from markupsafe import Markup, escape

from ..domain.tables import Cell, Kind, Table

_NUMERIC = (Kind.INTEGER, Kind.PERCENT)


def _row(cells: list[Cell]) -> str:
    if not cells:
        return "<tr></tr>"
    parts = [f'<tr><th scope="row">{escape(cells[0].text)}</th>']
    for cell in cells[1:]:
        parts.append(f'<td class="num">{escape(cell.text)}</td>' if cell.kind in _NUMERIC
                     else f"<td>{escape(cell.text)}</td>")
    parts.append("</tr>")
    return "".join(parts)


def data_table(table: Table, id: str) -> Markup:
    """The table as a captioned, scrollable, labelled HTML table (header, body, totals)."""
    ident = escape(id)
    head = "".join(f'<th scope="col" class="num">{escape(c.label)}</th>' if c.kind in _NUMERIC
                   else f'<th scope="col">{escape(c.label)}</th>' for c in table.header())
    body = "".join(_row(cells) + "\n" for cells in table.body())
    totals = table.footer()
    foot = f"\n<tfoot>{_row(totals)}</tfoot>" if totals else ""
    return Markup(
        f'<div class="table-scroll" role="region" tabindex="0" aria-labelledby="{ident}-caption">\n'
        f'<table class="data-table" id="{ident}">\n'
        f'<caption id="{ident}-caption">{escape(table.title)}<span class="as-of">{escape(table.as_of_text)}'
        f"</span></caption>\n"
        f"<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{body}</tbody>{foot}\n</table>\n</div>")
