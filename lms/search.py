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
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

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


@dataclass(frozen=True)
class Results:
    """One page of hits, best first, and whether a next page exists (no exact total: counting every match
    of a frequent word costs more than finding the best ten)."""
    hits: tuple[Hit, ...]
    page: int
    per_page: int
    has_next: bool

    @property
    def first(self) -> int:
        """The rank of the page's first hit (from 1)."""
        return (self.page - 1) * self.per_page + 1


PER_PAGE = 10
MAX_PAGE = 50  # deeper pages are refused: nobody reads them, and each costs more than the last
_CACHE_SIZE = 256  # result pages kept per process, for the index they came from
_open: dict[str, tuple[str, Any, Any]] = {}  # index folder -> (the folder its link named, index, query parser)
_pages: "OrderedDict[tuple[str, str, int], Results]" = OrderedDict()
_lock = threading.Lock()
_local = threading.local()  # each thread's open searcher (a Whoosh searcher is not shared between threads)


def _index(index_dir: str | Path) -> tuple[str, Any, Any] | None:
    """The live index of this folder, opened once per process and again only after a rebuild swapped the
    link (the link's target names the build), with its query parser; None when there is no index."""
    link = str(index_dir)
    try:
        target = os.path.realpath(link)
    except OSError:
        return None
    with _lock:
        known = _open.get(link)
        if known is not None and known[0] == target:
            return known
    if not index.exists_in(target):
        return None
    ix = index.open_dir(target)
    opened = (target, ix, MultifieldParser(list(BOOSTS), schema=ix.schema, fieldboosts=BOOSTS))
    with _lock:
        _open[link] = opened
    return opened


def search(index_dir: str | Path, text: str, page: int = 1, per_page: int = PER_PAGE) -> Results:
    """Page `page` of the hits for the words in `text` (all words must match), best first, with highlighted
    snippets. A page once found is kept per process until the index is rebuilt (popular searches repeat)."""
    empty = Results((), page, per_page, False)
    words = _words(text)
    if not words or page < 1 or page > MAX_PAGE:
        return empty
    opened = _index(index_dir)
    if opened is None:
        return empty
    target, ix, parser = opened
    key = (target, words, page)
    with _lock:
        cached = _pages.get(key)
        if cached is not None and cached.per_page == per_page:
            _pages.move_to_end(key)
            return cached
    found = _find(target, ix, parser.parse(words), page, per_page)
    with _lock:
        _pages[key] = found
        while len(_pages) > _CACHE_SIZE:
            _pages.popitem(last=False)
    return found


def _searcher(target: str, ix: Any) -> Any:
    """This thread's searcher of the index built in `target`: opening one reads the index's tables (about
    65 ms at 3,000 courses), so it is kept until a rebuild swaps the index."""
    kept = getattr(_local, "kept", None)
    if kept is not None and kept[0] == target:
        return kept[1]
    if kept is not None:
        kept[1].close()
    searcher = ix.searcher()
    _local.kept = (target, searcher)
    return searcher


def _find(target: str, ix: Any, query: Any, page: int, per_page: int) -> Results:
    formatter = highlight.HtmlFormatter(tagname="mark", classname="", termclass="")
    hits: list[Hit] = []
    searcher = _searcher(target, ix)
    # Always the same number of best hits, whichever page is asked for, and one more than the deepest page
    # (is there a next page?): Whoosh's top-N with many equal scores kept different hits for different N
    # (and with block-quality skipping dropped hits scoring higher than ones it kept), so page 2 repeated
    # hits of page 1. Scoring every match costs the same for any N; the larger heap ~10-25% more.
    results = searcher.search(query, limit=MAX_PAGE * per_page + 1, optimize=False)
    results.formatter = formatter
    results.fragmenter = highlight.ContextFragmenter(maxchars=220, surround=60)
    # Not list(results): that asks len(), which counts every match. Equal scores are ordered by document
    # number, so a page does not depend on how many hits were asked for (page 2 never repeats page 1).
    ranked = sorted((r for r in results), key=lambda r: (-r.score, r.docnum))
    for r in ranked[(page - 1) * per_page:page * per_page]:
        snippet = r.highlights("body", top=2) or r.highlights("title")
        if not snippet:
            snippet = highlight.htmlescape(r["body"][:200])
        snippet = _MARK.sub("<mark>", snippet)
        hits.append(Hit(r["kind"], r["course"], r["lesson"], r["title"], r["course_title"], snippet))
    return Results(tuple(hits), page, per_page, len(ranked) > page * per_page and page < MAX_PAGE)


def _words(text: str) -> str:
    """The query as quoted plain words, so operators and field names typed by users mean nothing."""
    return " ".join(f'"{t.text}"' for t in _EXACT(text))[:500]
