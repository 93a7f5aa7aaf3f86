"""The certificate PDF renderer without the app: the fonts cover Vietnamese, text NFD-encoded or outside the
font still prints, and a revoked certificate says so."""
from __future__ import annotations

import io
import unicodedata
from pathlib import Path

from fontTools.ttLib import TTFont
from pypdf import PdfReader

from lms.domain import certificate_pdf

VIETNAMESE = ("aăâbcdđeêghiklmnoôơpqrstuưvxy"
              "àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")
ALL_LETTERS = VIETNAMESE + VIETNAMESE.upper() + "–—‘’“”…₫"


def view(**changes: object) -> certificate_pdf.PdfView:
    values: dict[str, object] = dict(
        number="HVS-2026-7K3M-9QXD", holder_name="Nguyễn Thị Ánh Hường", course_title="Nhận diện lừa đảo",
        competencies=(("4.2", "Bảo vệ dữ liệu cá nhân và quyền riêng tư"),), level_label="Cơ bản – 2",
        issued_on="25/11/2026", issuer_name="Học Vụ Số",
        verify_url="https://hvs.example/verify/HVS-2026-7K3M-9QXD", key_id="kid")
    values.update(changes)
    return certificate_pdf.PdfView(**values)  # type: ignore[arg-type]


def text_of(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_prepared_fonts_cover_every_vietnamese_letter(tmp_path: Path) -> None:
    """The regular and bold subsets made for certificates have a glyph for every Vietnamese letter."""
    fonts = certificate_pdf.prepare_fonts(tmp_path / "fonts")
    for path in (fonts.regular, fonts.bold):
        with TTFont(str(path)) as font:
            cmap = font.getBestCmap()
        missing = [c for c in ALL_LETTERS if ord(c) not in cmap]
        assert not missing, (path.name, missing)


def test_dejavu_fallback_covers_vietnamese() -> None:
    """The fallback font (Debian's DejaVu Sans) subsets to the same Vietnamese coverage."""
    font = certificate_pdf._derive(certificate_pdf.DEJAVU_DIR / "DejaVuSans.ttf", None)
    cmap = font.getBestCmap()
    assert not [c for c in ALL_LETTERS if ord(c) not in cmap]


def test_decomposed_text_prints_as_composed_letters(tmp_path: Path) -> None:
    """A name stored in NFD (base letter + combining marks) comes out as the precomposed letters."""
    fonts = certificate_pdf.prepare_fonts(tmp_path / "fonts")
    pdf = certificate_pdf.render(view(holder_name=unicodedata.normalize("NFD", "Phạm Thị Hằng")), fonts)
    assert "Phạm Thị Hằng" in text_of(pdf)


def test_characters_outside_the_font_become_question_marks(tmp_path: Path) -> None:
    """A character the font lacks is printed as '?' instead of failing or vanishing."""
    fonts = certificate_pdf.prepare_fonts(tmp_path / "fonts")
    pdf = certificate_pdf.render(view(holder_name="Lý 漢 An"), fonts)
    assert "Lý ? An" in text_of(pdf)


def test_revoked_certificate_pdf_says_so(tmp_path: Path) -> None:
    """The PDF of a revoked certificate carries the REVOKED banner; a valid one does not."""
    fonts = certificate_pdf.prepare_fonts(tmp_path / "fonts")
    assert "THU HỒI" in text_of(certificate_pdf.render(view(revoked=True), fonts))
    assert "THU HỒI" not in text_of(certificate_pdf.render(view(), fonts))
