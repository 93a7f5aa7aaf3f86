"""Download responses for the officials' exports (docs/reporting.md, "Exports and charts").

`download(chunks, filename, mimetype)` streams any iterable of byte chunks inside the request context (so a
generator may still read the database while it is sent); `table_download(table, fmt, stem)` writes a
`lms.domain.tables.Table` as CSV, XLSX or PDF. Each answer says `Content-Disposition: attachment` with a
safe ASCII `filename` and the real name as `filename*` (RFC 6266 / RFC 5987, UTF-8), its MIME type, and
`Cache-Control: private, no-store` (figures about people are never kept by a browser or a proxy).
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import quote

from flask import Response, current_app, stream_with_context

from ..domain import certificate_pdf
from ..domain.exports import csvfile, pdf, xlsx
from ..domain.tables import Table
from ..extensions import db

FORMATS = {"csv": csvfile.MIME_TYPE, "xlsx": xlsx.MIME_TYPE, "pdf": pdf.MIME_TYPE}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def ascii_filename(name: str) -> str:
    """A filename any client accepts: diacritics dropped (đ as d), anything but letters, digits, dot,
    dash and underscore turned into one dash, no leading dot, at most 100 characters, the extension kept."""
    def fold(text: str) -> str:
        folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
        return _UNSAFE.sub("-", folded.encode("ascii", "ignore").decode("ascii")).strip("-.")

    stem, dot, ext = name.rpartition(".")
    ext = fold(ext) if dot and len(ext) <= 8 else ""
    stem = fold(stem if ext else name)[: 100 - len(ext) - 1].strip("-.") or "export"
    return f"{stem}.{ext}" if ext else stem


def content_disposition(filename: str) -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''percent-encoded`."""
    clean = "".join(ch for ch in unicodedata.normalize("NFC", filename) if unicodedata.category(ch)[0] != "C")
    return f"attachment; filename=\"{ascii_filename(clean)}\"; filename*=UTF-8''{quote(clean, safe='')}"


def _ending_the_session(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """`chunks`, then the view's session closed. A generator given that session (e.g. a keyset walk)
    reads after the view returned and after the teardown closed it, so the session begins a new
    transaction that no teardown ends: on PostgreSQL it stayed "idle in transaction", holding its locks.
    The session is taken now, in the view (a generator's body would only run at the first chunk)."""
    session = db.session

    def sent() -> Iterator[bytes]:
        try:
            yield from chunks
        finally:
            session.close()

    return sent()


def download(chunks: Iterable[bytes], filename: str, mimetype: str) -> Response:
    """A streamed attachment; the request's session is closed when the last chunk is sent (or the
    client goes away)."""
    response = Response(stream_with_context(_ending_the_session(chunks)), content_type=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def table_download(table: Table, fmt: str, stem: str, page_text: str = "{page}/{pages}") -> Response:
    """`table` as a `fmt` ("csv", "xlsx" or "pdf") attachment named `stem.fmt`."""
    if fmt == "csv":
        chunks: Iterable[bytes] = csvfile.csv_chunks(table)
    elif fmt == "xlsx":
        chunks = xlsx.xlsx_chunks(table)
    elif fmt == "pdf":
        fonts = certificate_pdf.prepare_fonts(Path(current_app.instance_path) / "fonts")
        chunks = [pdf.pdf_bytes(table, fonts, page_text)]
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response = download(chunks, f"{stem}.{fmt}", FORMATS[fmt])
    return response
