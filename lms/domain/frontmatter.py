"""YAML front matter with the line of every top-level key, so problems can point at `path:line`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .problems import Problem


@dataclass
class Document:
    meta: dict[str, Any]
    body: str
    body_line: int  # 1-based line number of the body's first line
    key_lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[str, list[int]] = field(default_factory=dict)  # list-valued keys: line of each item
    # the composed YAML node of the front matter, for the lines of nested keys and items (programs)
    node: Any = field(default=None, compare=False, repr=False)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)


class _Loader(yaml.SafeLoader):
    """The safe loader, with the values the YAML library cannot build turned into YAML errors at their node.

    PyYAML resolves `2024-02-30` as a date and `1` followed by 5,000 zeros as an int, then lets the
    ValueError of `datetime.date` or `int` escape (also for `!!int 0b`, `!!float abc`): not a YAMLError, so it
    was a traceback instead of a `path:line` problem.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"giá trị không hợp lệ {node.value!r:.60}: {exc} (invalid value)", node.start_mark
            ) from exc


TOO_DEEP = "phần đầu YAML lồng nhau quá sâu (front matter nested too deeply)"

NOT_UTF8 = ("tệp không phải UTF-8: hãy lưu lại với bảng mã UTF-8 "
            "(file is not UTF-8: save it as UTF-8)")
NUL_BYTE = "dòng có ký tự NUL (byte 0): hãy xóa ký tự này (line contains a NUL byte)"


def _lines_before(data: bytes) -> int:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n")


def decode(path: str, data: bytes) -> tuple[str, list[Problem]]:
    """A content file's bytes as text with '\n' line ends, and a problem for what a teacher must fix.

    A byte-order mark is dropped and CRLF or CR line ends become '\n' (Windows and old Mac editors), so such a
    file parses exactly like its plain UTF-8 twin. Bytes that are not UTF-8 and NUL bytes are problems at the
    line of the first one; the text is still returned (bad bytes as U+FFFD, NULs removed) so every other
    problem in the file is found in the same run.
    """
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, _lines_before(data[: exc.start]) + 1, NOT_UTF8))
        text = data.decode("utf-8", errors="replace")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        problems.append(Problem(path, text[: text.index("\0")].count("\n") + 1, NUL_BYTE))
        text = text.replace("\0", "")
    return text, problems


def parse(path: str, text: str) -> tuple[Document | None, list[Problem]]:
    """Split `---` front matter from the Markdown body; a YAML error is a problem at its own line."""
    text = text.lstrip("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, [Problem(path, 1, "thiếu phần đầu YAML mở bằng '---' (missing '---' front matter)")]
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return None, [Problem(path, 1, "phần đầu YAML không có dòng '---' đóng lại (front matter not closed)")]
    source = "\n".join(lines[1:end])
    try:
        node = yaml.compose(source, Loader=_Loader)
        # bandit B506 wants yaml.safe_load: _Loader is a SafeLoader (only its error reporting differs)
        meta = yaml.load(source, Loader=_Loader) if node is not None else {}  # nosec B506
    except RecursionError:
        # the composer recurses once per level: '[[[[...' thousands deep overflows the stack
        return None, [Problem(path, 2, TOO_DEEP)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(path, line, f"lỗi cú pháp YAML: {problem} (YAML syntax error)")]
    if not isinstance(meta, dict):
        return None, [Problem(path, 2, "phần đầu YAML phải là các cặp 'khóa: giá trị' (front matter must be a mapping)")]
    doc = Document(meta=meta, body="\n".join(lines[end + 1:]), body_line=end + 2, node=node)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            doc.key_lines[str(key_node.value)] = key_node.start_mark.line + 2
            if isinstance(value_node, yaml.SequenceNode):
                doc.item_lines[str(key_node.value)] = [n.start_mark.line + 2 for n in value_node.value]
    return doc, []


class Reader:
    """Typed access to front-matter keys; every bad value becomes a problem at the key's line."""

    def __init__(self, path: str, doc: Document, problems: list[Problem]) -> None:
        self.path, self.doc, self.problems = path, doc, problems

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.doc.line_of(key), message))

    def reject_unknown(self, allowed: set[str]) -> None:
        for key in self.doc.meta:
            if key not in allowed:
                self.problem(str(key), f"khóa '{key}' không được hỗ trợ (unknown key; allowed: {', '.join(sorted(allowed))})")

    def text(self, key: str, required: bool = False, default: str = "") -> str:
        value = self.doc.meta.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems.append(Problem(self.path, self.doc.line_of(key) if key in self.doc.meta else 1,
                                             f"thiếu '{key}' (missing {key})"))
            return default
        if not isinstance(value, (str, int, float)):
            self.problem(key, f"'{key}' phải là một đoạn chữ ({key} must be text)")
            return default
        return str(value).strip()

    def integer(self, key: str, low: int, high: int, default: int | None = None) -> int:
        value = self.doc.meta.get(key, default)
        if value is None:
            self.problems.append(Problem(self.path, 1, f"thiếu '{key}' (missing {key})"))
            return low
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(key, f"'{key}' phải là số nguyên từ {low} đến {high} ({key} must be a whole number "
                              f"from {low} to {high}), không phải {value!r}")
            return low
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.doc.meta.get(key, default)
        if not isinstance(value, bool):
            self.problem(key, f"'{key}' phải là true hoặc false ({key} must be true or false)")
            return default
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.doc.meta.get(key, default)
        if value not in choices:
            self.problem(key, f"'{key}' phải là một trong: {', '.join(choices)} ({key} must be one of these)")
            return default
        return str(value)

    def codes(self, key: str, known: set[str], default: tuple[str, ...] = (), required: bool = False) -> tuple[str, ...]:
        """A list of competency codes such as ["4.2", "2.1"]; unknown codes are problems."""
        value = self.doc.meta.get(key)
        if value is None:
            if required:
                self.problems.append(Problem(self.path, 1, f"thiếu '{key}' (missing {key})"))
            return default
        items = value if isinstance(value, list) else [value]
        lines = self.doc.item_lines.get(key) or [self.doc.line_of(key)] * len(items)
        codes: list[str] = []
        for item, line in zip(items, lines):
            code = str(item).strip()
            if isinstance(item, float):
                code = f"{item:g}"
            if code not in known:
                self.problems.append(Problem(self.path, line, f"mã năng lực không có trong khung TT 02/2025: "
                                                              f"'{code}' (unknown competency code)"))
            else:
                codes.append(code)
        if required and not items:
            self.problem(key, f"'{key}' không được để trống ({key} must not be empty)")
        return tuple(codes)
