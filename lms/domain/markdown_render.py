"""Markdown to sanitized HTML, once, at import time.

Relative links and images are handed to a resolver so the caller can check that they exist and rewrite them
to their published URLs. The output is cleaned with nh3 (Ammonia): no scripts, no event handlers, no
`javascript:` URLs, and iframes only from `IFRAME_PREFIXES`.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Callable, Optional

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# Where an embedded player may come from (documented in docs/authoring.md).
IFRAME_PREFIXES = ("https://www.youtube-nocookie.com/embed/", "https://www.youtube.com/embed/")
BOX_KINDS = ("note", "tip", "warning")

# resolver(kind, url) -> new url, or None when the target does not exist.
Resolver = Callable[[str, str], Optional[str]]

_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "div", "span", "figure",
    "figcaption", "iframe", "sup", "sub", "del", "kbd",
}
_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "div": {"class", "role"},
    "p": {"class"},
    "code": {"class"},
    "th": {"scope"},
    "iframe": {"src", "title", "width", "height", "allowfullscreen", "loading"},
    "ol": {"start"},
}


def _is_relative(url: str) -> bool:
    return bool(url) and "://" not in url and not url.startswith(("#", "/", "mailto:", "tel:", "data:"))


class _LinkRewriter(Treeprocessor):
    def __init__(self, md: markdown.Markdown, resolver: Resolver) -> None:
        super().__init__(md)
        self.resolver = resolver

    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            if el.tag == "a" and _is_relative(el.get("href", "")):
                el.set("href", self.resolver("link", el.get("href", "")) or "#missing")
            elif el.tag == "img":
                if _is_relative(el.get("src", "")):
                    el.set("src", self.resolver("image", el.get("src", "")) or "")
                el.set("loading", "lazy")
            elif el.tag == "div" and "admonition" in el.get("class", ""):
                el.set("role", "note")
            elif el.tag == "th":
                el.set("scope", "col")
            elif el.tag == "h1":
                el.tag = "h2"  # the page title is the only h1


class _Rewrite(Extension):
    def __init__(self, resolver: Resolver) -> None:
        super().__init__()
        self.resolver = resolver

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.treeprocessors.register(_LinkRewriter(md, self.resolver), "hvs_links", 5)


def _filter_attribute(tag: str, attr: str, value: str) -> Optional[str]:
    if attr == "class":
        allowed = {"admonition", "admonition-title", *BOX_KINDS}
        kept = [c for c in value.split() if c in allowed or c.startswith("language-")]
        return " ".join(kept) or None
    if tag == "iframe" and attr == "src":
        return value if value.startswith(IFRAME_PREFIXES) else None
    if attr == "role":
        return value if value == "note" else None
    return value


# An iframe whose src the filter dropped (not on the allow-list) is removed whole, with its fallback content.
# nh3 escapes '"' in attribute values, so ' src="' inside the tag can only be a real src attribute.
_IFRAME_WITHOUT_SRC = re.compile(r'<iframe(?![^>]*\ssrc=")[^>]*>.*?</iframe>', re.S)


def sanitize(html: str) -> str:
    """Only the tags, attributes and URL schemes a lesson needs survive."""
    return _IFRAME_WITHOUT_SRC.sub("", nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRS,
        url_schemes={"http", "https", "mailto", "tel"},
        attribute_filter=_filter_attribute,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ))


def render(source: str, resolver: Optional[Resolver] = None) -> str:
    """Markdown (tables, fenced code, note/tip/warning boxes) to sanitized HTML."""
    extensions: list[Extension | str] = ["tables", "fenced_code", "admonition", "sane_lists"]
    extensions.append(_Rewrite(resolver or (lambda kind, url: url)))
    html = markdown.markdown(source, extensions=extensions, output_format="html")
    return sanitize(html)


def inline(source: str) -> str:
    """One line of Markdown (a quiz option, a question title) without the wrapping paragraph."""
    html = render(source)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html
