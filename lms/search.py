"""Full-text search over courses and lessons with Whoosh.

Words are folded (case and Vietnamese diacritics removed, đ -> d) so "an toan mat khau" finds
"An toàn mật khẩu"; parallel unfolded fields rank exact-diacritic matches higher. The index is rebuilt
whole into a fresh folder and swapped in with an atomic symlink rename, so searches never see half an index.
Each app server builds its own index from the database (`lms index`).
"""
from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from whoosh import highlight, index
from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, Token
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.qparser import MultifieldParser

from .domain.textnorm import strip_diacritics


class FoldDiacritics(Filter):
    """Token filter: 'mật' -> 'mat'."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = strip_diacritics(token.text)
            yield token


_FOLDED = RegexTokenizer(r"\w+") | LowercaseFilter() | FoldDiacritics()
_EXACT = RegexTokenizer(r"\w+") | LowercaseFilter()
SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    kind=ID(stored=True),
    course=ID(stored=True),
    lesson=ID(stored=True),
    course_title=STORED(),
    title=TEXT(analyzer=_FOLDED, stored=True),
    body=TEXT(analyzer=_FOLDED, stored=True),
    title_exact=TEXT(analyzer=_EXACT),
    body_exact=TEXT(analyzer=_EXACT),
)
_MARK = re.compile(r'<mark class="[^"]*">')
BOOSTS = {"title": 3.0, "body": 1.0, "title_exact": 4.0, "body_exact": 1.5}


@dataclass(frozen=True)
class SearchDoc:
    id: str
    kind: str  # "course" | "lesson"
    course: str
    lesson: str
    title: str
    body: str
    course_title: str


@dataclass(frozen=True)
class Hit:
    kind: str
    course: str
    lesson: str
    title: str
    course_title: str
    snippet_html: str  # escaped text with <mark> around matches


STAMP = "content-stamp"  # in the index folder: the published content the index was built from


def stamp_of(index_dir: str | Path) -> str | None:
    """The content stamp the live index was built from (None: no index, or one built before stamps)."""
    try:
        return (Path(index_dir) / STAMP).read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def rebuild(index_dir: str | Path, docs: Iterable[SearchDoc], stamp: str | None = None) -> int:
    """Build a fresh index from `docs` and make it the live one; returns the number of documents. `stamp`:
    what the published content was (lms.services.catalog.content_stamp), kept with the index."""
    link = Path(index_dir)
    link.parent.mkdir(parents=True, exist_ok=True)
    target = link.parent / f"{link.name}-{time.time_ns()}"
    target.mkdir()
    if stamp is not None:
        (target / STAMP).write_text(stamp, encoding="ascii")
    ix = index.create_in(str(target), SCHEMA)
    count = 0
    with ix.writer() as writer:
        for doc in docs:
            writer.add_document(id=doc.id, kind=doc.kind, course=doc.course, lesson=doc.lesson,
                                course_title=doc.course_title, title=doc.title, body=doc.body,
                                title_exact=doc.title, body_exact=doc.body)
            count += 1
    previous = link.resolve() if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # an old-style plain folder
    tmp_link = link.parent / f".{link.name}.{os.getpid()}.lnk"
    tmp_link.symlink_to(target.name)
    os.replace(tmp_link, link)
    if previous is not None and previous != target:
        shutil.rmtree(previous, ignore_errors=True)
    return count


def search(index_dir: str | Path, text: str, limit: int = 20) -> list[Hit]:
    """Hits for the words in `text` (all words must match), best first, with highlighted snippets."""
    if not text.strip() or not index.exists_in(str(index_dir)):
        return []
    ix = index.open_dir(str(index_dir))
    parser = MultifieldParser(list(BOOSTS), schema=ix.schema, fieldboosts=BOOSTS)
    words = _words(text)
    if not words:
        return []
    query = parser.parse(words)
    formatter = highlight.HtmlFormatter(tagname="mark", classname="", termclass="")
    hits: list[Hit] = []
    with ix.searcher() as searcher:
        results = searcher.search(query, limit=limit)
        results.formatter = formatter
        results.fragmenter = highlight.ContextFragmenter(maxchars=220, surround=60)
        for r in results:
            snippet = r.highlights("body", top=2) or r.highlights("title")
            if not snippet:
                snippet = highlight.htmlescape(r["body"][:200])
            snippet = _MARK.sub("<mark>", snippet)
            hits.append(Hit(r["kind"], r["course"], r["lesson"], r["title"], r["course_title"], snippet))
    return hits


def _words(text: str) -> str:
    """The query as quoted plain words, so operators and field names typed by users mean nothing."""
    return " ".join(f'"{t.text}"' for t in _EXACT(text))[:500]
