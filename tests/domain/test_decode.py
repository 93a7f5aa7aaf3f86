"""Content files' bytes to text: BOM and CRLF/CR normalised; not-UTF-8 and NUL bytes are problems at their line."""
from __future__ import annotations

from lms.domain.frontmatter import NOT_UTF8, NUL_BYTE, decode
from lms.domain.problems import Problem


def test_bom_crlf_and_cr_become_plain_text() -> None:
    plain = "---\ntitle: Bài một\n---\nDòng một.\nDòng hai.\n"
    for data in (plain.encode(), b"\xef\xbb\xbf" + plain.replace("\n", "\r\n").encode(),
                 plain.replace("\n", "\r").encode()):
        assert decode("a.md", data) == (plain, [])


def test_not_utf8_is_a_problem_at_the_line_of_the_first_bad_byte_even_with_cr_line_ends() -> None:
    data = "---\rtitle: Bài một\r---\r".encode() + b"C\xf4ng an\r"  # 'Công' in Windows-1258
    text, problems = decode("a.md", data)
    assert problems == [Problem("a.md", 4, NOT_UTF8)]
    assert text.split("\n")[:3] == ["---", "title: Bài một", "---"]


def test_utf16_file_is_not_utf8_at_line_1() -> None:
    data = "---\ntitle: Bài\n---\n".encode("utf-16")  # with its own byte-order mark
    _, problems = decode("a.md", data)
    assert problems == [Problem("a.md", 1, NOT_UTF8), Problem("a.md", 1, NUL_BYTE)]


def test_nul_bytes_are_reported_once_at_the_first_and_removed() -> None:
    text, problems = decode("a.md", b"---\ntitle: A\n---\nx\x00y\n\x00\n")
    assert problems == [Problem("a.md", 4, NUL_BYTE)]
    assert text == "---\ntitle: A\n---\nxy\n\n"
