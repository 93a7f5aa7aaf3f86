"""A per-process cache of rendered lesson pages, with holes for what differs per request.

A logged-in lesson page costs mostly rendering (the layout's and the lesson's templates, their `url_for` and
`gettext` calls), and all of that is the same for every reader of one lesson of one course version in one
language, except:

- the CSRF token (the language form, the log-out form and the "mark as done" form), which is the reader's;
- the current path and query string, which the language form sends back as `next`;
- whether this reader has finished this lesson, and whether anyone is logged in: both are part of the key;
- flashed messages: a page with any is rendered as usual, never cached.

So the page is rendered once per key with two markers in place of the token and the path, and each request
puts its own (escaped exactly as the template would escape them) into the markers. A course version is
immutable (an import that changes a course makes a new version), and the key holds the version's id and
content hash, so a new import is seen on the next request: only the live-version lookup runs every time.
`tests/web/test_page_cache.py` checks that cached pages are byte for byte what rendering gives.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from typing import Callable, Hashable

from flask import Flask
from markupsafe import escape

# Random per process: no content can contain them by chance, and no one can plant them.
CSRF_MARK = "hvs" + secrets.token_hex(12) + "csrf"
PATH_MARK = "hvs" + secrets.token_hex(12) + "path"


class PageCache:
    """A bounded LRU of rendered pages (str with the markers), safe to share between a worker's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def page(self, key: Hashable, render: Callable[[], str], csrf_token: Callable[[], str], path: str) -> str:
        """The page for `key` (rendered with `render()` on a miss), with this request's token and path."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
        if page is None:
            page = render()
            if self.size > 0:
                with self._lock:
                    self._pages[key] = page
                    while len(self._pages) > self.size:
                        self._pages.popitem(last=False)
        if CSRF_MARK in page:
            page = page.replace(CSRF_MARK, str(escape(csrf_token())))
        return page.replace(PATH_MARK, str(escape(path)))

    def __len__(self) -> int:
        return len(self._pages)


def lesson_pages(app: Flask) -> PageCache:
    """This app's cache of lesson pages (`LESSON_PAGE_CACHE` entries; 0 turns it off)."""
    cache = app.extensions.get("lms_lesson_pages")
    if cache is None:
        cache = app.extensions.setdefault("lms_lesson_pages", PageCache(int(app.config["LESSON_PAGE_CACHE"])))
    return cache  # type: ignore[no-any-return]
