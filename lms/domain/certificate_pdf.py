"""The printable certificate: one A4 page (landscape) drawn with fpdf2, with an embedded Unicode font so
Vietnamese diacritics print right, and a QR code (segno) that leads to the public verification page.

The font is Noto Sans from the `fontpkg-noto-sans` package (a PyPI dependency, so no system package is
needed); Debian's DejaVu Sans is the fallback. Noto ships as a variable font, which fpdf2 would have to
instantiate on every document (seconds), so a static regular and bold subset covering Vietnamese is derived
once into a cache folder and reused: a certificate then renders in a few tens of milliseconds.
"""
from __future__ import annotations

import io
import os
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
# Latin, Latin-1 and Latin Extended-A, the Vietnamese letters (ơ ư in Extended-B, the rest in Latin Extended
# Additional), the combining marks Vietnamese uses, punctuation, ₫ and €, ™ and arrows. Fewer glyphs make
# both the one-time preparation and every document faster.
_RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x1A0, 0x1B0), (0x300, 0x323), (0x1EA0, 0x1EF9), (0x2000, 0x206F),
           (0x20AB, 0x20AC), (0x2122, 0x2122), (0x2190, 0x2193))
_FONT_VERSION = "1"  # bump when the subset or the instancing changes
_lock = threading.Lock()
_prepared: dict[str, "Fonts"] = {}


class FontMissing(RuntimeError):
    """No usable Unicode font: install the Python dependencies (fontpkg-noto-sans) or fonts-dejavu-core."""


@dataclass(frozen=True)
class Fonts:
    regular: Path
    bold: Path
    codepoints: frozenset[int]


def _sources() -> tuple[str, Path, Path | None]:
    """(name, regular font, bold font or None for a variable font with a weight axis)."""
    try:
        import fontpkg_noto_sans  # type: ignore[import-untyped]
    except ImportError:
        pass
    else:
        variable = Path(fontpkg_noto_sans.ROOT) / "files" / "NotoSans[wdth,wght].ttf"
        if variable.is_file():
            return "noto", variable, None
    regular, bold = DEJAVU_DIR / "DejaVuSans.ttf", DEJAVU_DIR / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        return "dejavu", regular, bold
    raise FontMissing("No Unicode font for certificates: reinstall the package (pip install -e .) so that "
                      "fontpkg-noto-sans is present, or install Debian's fonts-dejavu-core.")


def prepare_fonts(cache_dir: Path) -> Fonts:
    """Static Vietnamese subsets of the font (regular and bold) in `cache_dir`, made on first use. Safe with
    several threads or processes: each file is written to a temporary name and renamed into place."""
    name, regular_src, bold_src = _sources()
    key = f"{name}-{_FONT_VERSION}"
    with _lock:
        if key in _prepared and _prepared[key].regular.is_file() and _prepared[key].bold.is_file():
            return _prepared[key]
        cache_dir.mkdir(parents=True, exist_ok=True)
        paths = {style: cache_dir / f"certificate-{key}-{style}.ttf" for style in ("regular", "bold")}
        for style, path in paths.items():
            if not path.is_file():
                font = _derive(regular_src if style == "regular" or bold_src is None else bold_src,
                               None if bold_src is not None else (400 if style == "regular" else 700))
                tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
                font.save(str(tmp))
                os.replace(tmp, path)
        from fontTools.ttLib import TTFont

        with TTFont(str(paths["regular"])) as font:
            codepoints = frozenset(font.getBestCmap())
        fonts = Fonts(paths["regular"], paths["bold"], codepoints)
        _prepared[key] = fonts
        return fonts


def _derive(source: Path, weight: int | None):  # type: ignore[no-untyped-def]
    """The subset of `source` (instanced at `weight` when it is a variable font), as a fontTools TTFont."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    font = TTFont(str(source))
    options = subset.Options()
    # fpdf2 draws glyph by glyph (no text shaping), so layout tables and hinting only cost time.
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in _RANGES for c in range(low, high + 1)])
    subsetter.subset(font)
    if weight is not None:
        font = instancer.instantiateVariableFont(font, {"wght": weight, "wdth": 100})
    return font


@dataclass(frozen=True)
class PdfView:
    """Everything printed, already worded (the PDF module knows no database and no translations)."""

    number: str
    holder_name: str
    course_title: str
    competencies: tuple[tuple[str, str], ...]  # (code, name)
    level_label: str
    issued_on: str
    issuer_name: str
    verify_url: str
    key_id: str
    revoked: bool = False


def render(view: PdfView, fonts: Fonts) -> bytes:
    """The certificate as PDF bytes."""
    def clean(text: str) -> str:
        # NFC so Vietnamese letters are the precomposed glyphs; anything outside the font prints as "?".
        return "".join(c if ord(c) in fonts.codepoints else "?" for c in unicodedata.normalize("NFC", text))

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(clean(f"Giấy chứng nhận {view.number}"))
    pdf.set_author(clean(view.issuer_name))
    pdf.set_creator("Học Vụ Số")
    pdf.set_auto_page_break(False)
    pdf.add_font("Body", "", str(fonts.regular))
    pdf.add_font("Body", "B", str(fonts.bold))
    pdf.add_page()
    width = pdf.w - 40

    pdf.set_draw_color(22, 101, 52)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, pdf.w - 22, pdf.h - 22)

    def line(text: str, size: float, bold: bool = False, gap: float = 2,
             color: tuple[int, int, int] = (20, 20, 20)) -> None:
        pdf.set_font("Body", "B" if bold else "", size)
        pdf.set_text_color(*color)
        pdf.set_x(20)
        pdf.multi_cell(width, size * 0.45, clean(text), align="C")
        pdf.ln(gap)

    pdf.set_y(22)
    line(view.issuer_name.upper(), 13, bold=True, gap=6, color=(22, 101, 52))
    line("GIẤY CHỨNG NHẬN HOÀN THÀNH KHÓA HỌC", 24, bold=True, gap=1)
    line("Certificate of course completion", 11, gap=8, color=(90, 90, 90))
    line("Chứng nhận / This certifies that", 12, gap=3)
    line(view.holder_name, 26, bold=True, gap=4)
    line("đã hoàn thành khóa học / has completed the course", 12, gap=3)
    line(view.course_title, 17, bold=True, gap=4)
    line(f"Mức độ / Level: {view.level_label}", 11, gap=2)
    codes = "; ".join(f"{code} {name}" for code, name in view.competencies)
    line(f"Năng lực / Competencies: {codes}", 10, gap=2)

    if view.revoked:
        line("ĐÃ BỊ THU HỒI / REVOKED", 16, bold=True, gap=2, color=(180, 20, 20))

    # Bottom band: number and date on the left, the QR code on the right.
    qr_size = 34
    pdf.set_text_color(20, 20, 20)
    pdf.set_font("Body", "", 11)
    pdf.set_xy(20, pdf.h - 50)
    pdf.cell(150, 6, clean(f"Ngày cấp / Date of issue: {view.issued_on}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.set_font("Body", "B", 12)
    pdf.cell(150, 7, clean(f"Số hiệu / No.: {view.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.set_font("Body", "", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(170, 5, clean(f"Kiểm tra / Verify: {view.verify_url}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.cell(170, 5, clean(f"Ký số Ed25519 / Ed25519-signed · khóa / key {view.key_id}"))

    qr = segno.make(view.verify_url, error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=8, border=2)
    image.seek(0)
    pdf.image(image, x=pdf.w - 20 - qr_size, y=pdf.h - 20 - qr_size - 6, w=qr_size, h=qr_size,
              alt_text=clean(f"QR: {view.verify_url}"))
    pdf.set_font("Body", "", 8)
    pdf.set_xy(pdf.w - 20 - qr_size - 8, pdf.h - 25)
    pdf.cell(qr_size + 16, 4, clean("Quét để kiểm tra / Scan to verify"), align="C")
    return bytes(pdf.output())
