"""The catalog, course pages, lesson pages (with "mark as done") and search."""
from __future__ import annotations

import threading
import time

from flask import Blueprint, abort, current_app, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from .. import search as search_index
from ..domain.completion import Progress
from ..domain.framework import framework
from ..extensions import db
from ..models import Course
from ..services import catalog, content_cache, learning
from . import page_cache
from .helpers import Outcome, button_post, course_or_404, now, unlimited
from .certificates import certificate_settings

bp = Blueprint("catalog", __name__)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None  # not "²"


@bp.get("/courses")
@unlimited
def index() -> str:
    """The live courses, a page at a time, filtered by domain, level and target group and sorted (a plain GET
    form, no JavaScript); junk in a parameter is ignored, a page past the last is 404."""
    sort = request.args.get("sort", "")
    domain = request.args.get("domain", "")
    # Only a competence area of the framework reaches the database (a NUL byte in a string is a PostgreSQL
    # error: found by the hygiene test's PostgreSQL run).
    known = {d.code for d in framework().domains}
    filters = catalog.Filters(domain=domain if domain in known else None, level=_int_arg("level"),
                              group=_int_arg("group"), sort=sort if sort in catalog.SORTS else "title")
    found = catalog.page(db.session, filters, _int_arg("page") or 1)
    if found is None:
        abort(404)
    keep = {name: value for name, value in (("domain", filters.domain), ("level", filters.level),
                                            ("group", filters.group)) if value}
    if filters.sort != "title":
        keep["sort"] = filters.sort  # the page links keep the filters and the sort
    return render_template("catalog/index.html", found=found, courses=found.courses, filters=filters, keep=keep)


def _progress(course: Course, passed: set[str] | None = None) -> tuple[Progress | None, set[str]]:
    """The visitor's progress and done lessons (each read once); nothing for anonymous readers."""
    if not current_user.is_authenticated:
        return None, set()
    done = learning.done_lessons(db.session, current_user.id, course.id)
    return learning.course_progress(db.session, current_user, course, done=done, passed=passed), done


@bp.get("/courses/<slug>/")
@unlimited
def course(slug: str) -> str:
    """Course page: summary, competencies, syllabus with what is done, and the progress bar."""
    course = course_or_404(slug)
    passed = learning.passed_quizzes(db.session, current_user.id, course.id) if current_user.is_authenticated else set()
    progress, done = _progress(course, passed)
    enrolment = learning.enrolment(db.session, current_user.id, course.id) if current_user.is_authenticated else None
    return render_template("catalog/course.html", course=course, version=course.published, progress=progress,
                           done=done, passed=passed, enrolment=enrolment)


@bp.get("/courses/<slug>/<lesson_slug>")
@unlimited
def lesson(slug: str, lesson_slug: str) -> str:
    """One lesson with previous/next links and the "mark as done" button."""
    # Immutable version content comes from a per-app cache; only the live version is read per request.
    # The live version and the reader's done lessons are read in one statement (the page shows no progress
    # bar, so the course progress is not computed here).
    cache = current_app.extensions.setdefault("lms_lesson_cache", {})
    found = content_cache.live_and_done(db.session, cache, slug,
                                        current_user.id if current_user.is_authenticated else None)
    if found is None:
        abort(404)
    course, version, done = found
    lessons = version.lessons
    index = next((i for i, lesson in enumerate(lessons) if lesson.slug == lesson_slug), None)
    if index is None:
        abort(404)
    lesson = lessons[index]

    def render(**holes: object) -> str:
        return render_template("catalog/lesson.html", course=course, version=version, lesson=lesson,
                               previous=lessons[index - 1] if index > 0 else None,
                               next=lessons[index + 1] if index + 1 < len(lessons) else None, done=done,
                               **holes)

    pages = page_cache.lesson_pages(current_app)
    if pages.size == 0 or session.get("_flashes"):  # off, or a message for this reader only: not kept
        return render()
    # The rendered page is kept per process (web/page_cache.py) with holes for the CSRF token and the path.
    authenticated = bool(current_user.is_authenticated)
    key = (request.script_root, request.path, course.slug, version.id, version.content_hash, lesson.slug,
           str(get_locale()), authenticated, authenticated and lesson.slug in done)
    return pages.page(
        key, lambda: render(csrf_token=lambda: page_cache.CSRF_MARK, lang_next=page_cache.PATH_MARK),
        generate_csrf, request.full_path)


@bp.post("/courses/<slug>/<lesson_slug>/done")
@login_required
@button_post()
def mark_done(slug: str, lesson_slug: str) -> Outcome:
    """Record the lesson as done, then go on to the next lesson (or back to the course)."""
    course = course_or_404(slug)
    done = learning.mark_done(db.session, current_user, course, lesson_slug, now(), certificate_settings())
    if done.complete:
        return Outcome(url_for("catalog.course", slug=slug), _("Congratulations! You have completed this course."))
    if done.next_lesson is not None:
        return Outcome(url_for("catalog.lesson", slug=slug, lesson_slug=done.next_lesson),
                       _("Lesson marked as done."))
    return Outcome(url_for("catalog.course", slug=slug), _("Lesson marked as done."))


@bp.post("/courses/<slug>/enrol")
@login_required
@button_post()
def enrol(slug: str) -> Outcome:
    """Join the course (it then appears under "My learning"), then open its first lesson."""
    course = course_or_404(slug)
    learning.enrol(db.session, current_user, course, now())
    version = course.published
    assert version is not None
    first = version.lessons[0].slug if version.lessons else None
    return Outcome(url_for("catalog.lesson", slug=slug, lesson_slug=first) if first
                   else url_for("catalog.course", slug=slug))


_REBUILDING = threading.Lock()


def fresh_index() -> None:
    """Keep this server's search index in step with what is published (issue 9: several servers, each with its
    own index, and `lms import` run on one of them): at most every SEARCH_REFRESH_SECONDS per process, compare
    the published content's stamp with the one the index was built from, and rebuild the index from the
    database when they differ (or when there is no index yet). So a course published anywhere is found on
    every server by the first search after at most that many seconds. docs/operations.md."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    every = float(app.config["SEARCH_REFRESH_SECONDS"])
    state = app.extensions.setdefault("lms_search_checked", {"at": float("-inf")})
    moment = time.monotonic()
    if moment - state["at"] < every:
        return
    state["at"] = moment
    index_dir = app.config["INDEX_DIR"]
    stamp = catalog.content_stamp(db.session)
    if search_index.stamp_of(index_dir) == stamp:
        return
    with _REBUILDING:  # one rebuild at a time in this process; the swap itself is atomic for other processes
        if search_index.stamp_of(index_dir) != stamp:
            search_index.rebuild(index_dir, catalog.search_documents(db.session), stamp)


@bp.get("/search")
def search() -> str:
    """Search courses and lessons; works with or without Vietnamese diacritics."""
    query = request.args.get("q", "").strip()[:200]
    number = _int_arg("page") or 1
    if query:
        fresh_index()
    found = search_index.search(current_app.config["INDEX_DIR"], query, number) if query else None
    if found is not None and number > 1 and not found.hits:
        abort(404)  # a page past the last (or past the deepest page served)
    return render_template("catalog/search.html", query=query, found=found, hits=found.hits if found else ())
