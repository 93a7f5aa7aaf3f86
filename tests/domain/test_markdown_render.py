"""Markdown rendering at import: sanitised HTML with tables, code, boxes, and links handed to a resolver."""
from __future__ import annotations

import re

import pytest

from lms.domain.markdown_render import inline, render

YOUTUBE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "Trước\n\n<script src=\"https://evil.example/x.js\"></script>\n\nSau",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<p>a<script>alert(1)</script>b</p>",
])
def test_script_tags_are_removed(source: str) -> None:
    """No <script> survives, nor its code."""
    html = render(source)
    assert "<script" not in html.lower()
    assert "alert" not in html


@pytest.mark.parametrize("source", [
    '<p onclick="steal()">Bấm</p>',
    '<img src="https://example.com/a.png" onerror="steal()">',
    '<a href="https://example.com" onmouseover="steal()">x</a>',
    '<div class="note" onload="steal()">x</div>',
    '<svg onload="steal()"></svg>',
])
def test_event_handler_attributes_are_removed(source: str) -> None:
    """No on* attribute survives on any element."""
    html = render(source)
    assert not re.search(r"\son\w+\s*=", html, re.I)
    assert "steal" not in html


@pytest.mark.parametrize("source", [
    "[Bấm đây](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#09;script:alert(1)">x</a>',
    "![ảnh](javascript:alert(1))",
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
])
def test_dangerous_urls_are_removed(source: str) -> None:
    """javascript:, data: and other unlisted URL schemes never reach an href or src."""
    html = render(source, resolver=lambda kind, url: url)
    assert "javascript" not in html.lower()
    assert "data:" not in html and "vbscript" not in html


@pytest.mark.parametrize("source", [
    '<iframe src="https://evil.example/embed/x"></iframe>',
    '<iframe src="http://www.youtube-nocookie.com/embed/x"></iframe>',
    '<iframe src="https://www.youtube-nocookie.com.evil.example/embed/x"></iframe>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe src="https://evil.example/x">nội dung dự phòng</iframe>',
    "<iframe></iframe>",
])
def test_iframes_outside_the_allow_list_are_removed(source: str) -> None:
    """An iframe whose source is not on the allow-list disappears entirely."""
    html = render(source + "\n\nSau")
    assert "<iframe" not in html
    assert "evil" not in html and "alert" not in html
    assert "<p>Sau</p>" in html


def test_youtube_nocookie_iframe_is_kept() -> None:
    """An embedded player from youtube-nocookie.com stays, with its title and without handlers."""
    html = render(f'<iframe src="{YOUTUBE}" title="Video hướng dẫn" onload="x()" allowfullscreen></iframe>')
    assert f'src="{YOUTUBE}"' in html
    assert 'title="Video hướng dẫn"' in html
    assert "onload" not in html


@pytest.mark.parametrize("source", [
    "<object data=\"x.swf\"></object>",
    "<embed src=\"x.swf\">",
    "<style>body{display:none}</style>",
    "<form action=\"https://evil.example\"><input name=\"p\"></form>",
    '<p style="position:fixed">x</p>',
    "<!-- bí mật -->",
])
def test_other_unsafe_markup_is_removed(source: str) -> None:
    """Objects, embeds, styles, forms, inline styles and comments are stripped."""
    html = render(source)
    for fragment in ("<object", "<embed", "<style", "display:none", "<form", "<input", "style=", "bí mật"):
        assert fragment not in html


def test_tables() -> None:
    """Pipe tables render with a header row whose cells have scope=col."""
    html = render("| Chiêu lừa | Sự thật |\n|---|---|\n| Giả danh công an | Không gọi điện đòi tiền |\n")
    assert "<table>" in html and "<thead>" in html and "<tbody>" in html
    assert '<th scope="col">Chiêu lừa</th>' in html
    assert "<td>Giả danh công an</td>" in html


def test_fenced_code() -> None:
    """Fenced code keeps its language class and escapes its content."""
    html = render("```python\nprint('<b>xin chào</b>')\n```\n")
    assert '<pre><code class="language-python">' in html
    assert "&lt;b&gt;xin chào&lt;/b&gt;" in html
    assert "<b>" not in html


@pytest.mark.parametrize("kind", ["note", "tip", "warning"])
def test_boxes(kind: str) -> None:
    """note/tip/warning boxes render as labelled admonitions with role=note."""
    html = render(f'!!! {kind} "Lưu ý"\n    Không đọc mã OTP cho ai.\n')
    assert f'<div class="admonition {kind}" role="note">' in html
    assert '<p class="admonition-title">Lưu ý</p>' in html
    assert "<p>Không đọc mã OTP cho ai.</p>" in html


def test_unknown_classes_are_dropped() -> None:
    """Only the box classes and language-* survive the class filter."""
    html = render('<div class="note evil-overlay">x</div>')
    assert 'class="note"' in html
    assert "evil-overlay" not in html


def test_h1_is_demoted_to_h2() -> None:
    """The page title is the only h1, so a Markdown h1 becomes h2; lower levels stay."""
    html = render("# Tiêu đề\n\n## Mục\n\n### Mục nhỏ\n")
    assert "<h1" not in html
    assert "<h2>Tiêu đề</h2>" in html and "<h2>Mục</h2>" in html and "<h3>Mục nhỏ</h3>" in html


def test_relative_links_and_images_go_through_the_resolver() -> None:
    """Relative URLs are rewritten by the resolver; absolute ones are left alone; images are lazy."""
    seen: list[tuple[str, str]] = []

    def resolver(kind: str, url: str) -> str | None:
        seen.append((kind, url))
        return {"02-bai-hai.md": "bai-hai", "images/a.png": "../../media/abc.png"}.get(url)

    html = render("[Bài 2](02-bai-hai.md) [Mất](03-khong-co.md) [Ngoài](https://dichvucong.gov.vn)\n\n"
                  "![Ảnh](images/a.png)", resolver)
    assert seen == [("link", "02-bai-hai.md"), ("link", "03-khong-co.md"), ("image", "images/a.png")]
    assert 'href="bai-hai"' in html
    assert 'href="#missing"' in html
    assert 'href="https://dichvucong.gov.vn"' in html
    assert 'src="../../media/abc.png"' in html and 'loading="lazy"' in html
    assert 'rel="noopener noreferrer"' in html


def test_inline_drops_the_paragraph() -> None:
    """A quiz option renders without its wrapping <p>, but still sanitised."""
    assert inline("**Cúp máy** ngay") == "<strong>Cúp máy</strong> ngay"
    assert inline('Bấm <a href="javascript:x()">đây</a>') == 'Bấm <a rel="noopener noreferrer">đây</a>'
