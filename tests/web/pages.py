"""Reading the real HTML pages in tests: a tiny DOM, form-field errors, flash messages, and the Vietnamese
text a message id is shown as (from the catalog the app serves)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

CATALOG_DIR = Path(__file__).resolve().parents[2] / "lms" / "translations" / "vi" / "LC_MESSAGES"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# --- Vietnamese text ---------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _catalog() -> Catalog | None:
    """The compiled catalog Flask-Babel serves, else the .po source, else None."""
    mo, po = CATALOG_DIR / "messages.mo", CATALOG_DIR / "messages.po"
    if mo.is_file():
        with mo.open("rb") as fh:
            return read_mo(fh)
    if po.is_file():
        with po.open("rb") as fh:
            return read_po(fh, locale="vi")
    return None


def _landed(catalog: Catalog | None) -> bool:
    """Whether the Vietnamese translation has landed (any message translated)."""
    return catalog is not None and any(m.id and m.string and not m.fuzzy for m in catalog)


def vi(msgid: str, **params: Any) -> str:
    """The text a learner sees for `msgid` in Vietnamese (the default locale).

    Until vi.po is translated the app falls back to the English msgid, and so does this helper; once any
    message is translated, every message a test asserts must be translated too.
    """
    catalog = _catalog()
    text = msgid
    if _landed(catalog):
        assert catalog is not None
        message = catalog.get(msgid)
        string = message.string if message is not None else None
        if isinstance(string, (tuple, list)):
            string = string[0]
        fuzzy = message is not None and message.fuzzy
        assert string and not fuzzy, f"no Vietnamese translation for {msgid!r}"
        text = str(string)
    return text % params if params else text


# --- a tiny DOM --------------------------------------------------------------------------------------------

@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list["Node | str"] = field(default_factory=list)
    parent: "Node | None" = None

    @property
    def text(self) -> str:
        """Visible text with whitespace collapsed (character references already decoded)."""
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return " ".join("".join(parts).split())

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list["Node"]:
        """Descendants (and self) with this tag, class and attribute values (`attr_`-suffix for keywords)."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [n for n in self.iter()
                if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
                and all(n.attrs.get(k) == v for k, v in wanted.items())]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> "Node | None":
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def by_id(self, element_id: str) -> "Node | None":
        return next((n for n in self.iter() if n.attrs.get("id") == element_id), None)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: (v or "") for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str | bytes) -> Node:
    """The document tree of a page."""
    builder = _Builder()
    builder.feed(html.decode("utf-8") if isinstance(html, bytes) else html)
    builder.close()
    return builder.root


def page(response: Any) -> Node:
    """The document tree of a test-client response."""
    return parse(response.get_data(as_text=True))


# --- what a page says --------------------------------------------------------------------------------------

def invalid_fields(doc: Node) -> set[str]:
    """Ids of the form controls marked aria-invalid="true"."""
    return {n.attrs.get("id", "") for n in doc.iter() if n.attrs.get("aria-invalid") == "true"}


def field_error(doc: Node, field_id: str) -> str | None:
    """The error shown next to a field, checked to be wired for screen readers; None when the field is fine.

    "Next to" means: the control and its `.field-error` paragraph are in the same `.field` block, the control
    is aria-invalid and its aria-describedby names the error paragraph.
    """
    control = doc.by_id(field_id)
    assert control is not None, f"no form control with id {field_id!r}"
    error = doc.by_id(f"{field_id}-error")
    if error is None:
        assert control.attrs.get("aria-invalid") != "true", f"{field_id} is aria-invalid without an error"
        return None
    assert "field-error" in error.classes
    assert control.attrs.get("aria-invalid") == "true", f"{field_id} has an error but is not aria-invalid"
    assert f"{field_id}-error" in control.attrs.get("aria-describedby", "").split()
    block = control.parent
    while block is not None and "field" not in block.classes:
        block = block.parent
    assert block is not None and error in list(block.iter()), f"the error of {field_id} is not beside it"
    return error.text


def flashes(doc: Node) -> list[str]:
    """The flash messages shown on the page."""
    return [n.text for n in doc.find_all("p", cls="flash")]


def html_lang(doc: Node) -> str:
    node = doc.find("html")
    assert node is not None
    return node.attrs.get("lang", "")
