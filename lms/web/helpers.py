"""Small helpers shared by the blueprints: the clock, template globals, simple CSRF-only forms and the one
way to write a button-style POST (`button_post`)."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, Callable, TypeVar
from urllib.parse import unquote, urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup
from werkzeug.wrappers import Response
from .forms import Form as FlaskForm

from ..domain.framework import framework
from ..extensions import db
from ..models import Course, utcnow
from ..services import catalog
from ..services.learning import Refused


def now() -> datetime:
    """The request's clock (one place to change for tests that need another time)."""
    return utcnow()


class ActionForm(FlaskForm):
    """A form with no fields but the CSRF token: buttons such as "mark as done" or "start the quiz"."""


@dataclass(frozen=True)
class Outcome:
    """What a button-style POST tells the browser: where to go, and an optional flash message."""
    location: str
    message: str | None = None
    category: str = "success"


F = TypeVar("F", bound=Callable[..., Any])


def unlimited(view: F) -> F:
    """Mark a reading page that has no rate limit, so that the limiter skips it (lms/extensions.py). Only
    for GET pages that do nothing a stranger could repeat to guess or to exhaust anything."""
    view.unlimited = True  # type: ignore[attr-defined]
    return view


def reads_first(view: F) -> F:
    """Mark a view whose POST first checks and computes in a read transaction, then calls
    `db.begin_writing()` and writes (lms/extensions.py). Without the mark every POST opens a writing
    transaction from its first statement, which on SQLite holds the write lock for the whole request."""
    view.reads_first = True  # type: ignore[attr-defined]
    return view


def audited(view: F) -> F:
    """Mark a GET page that writes an audit row (lms.services.audit) in its own transaction: on SQLite that
    transaction takes the write lock from its first statement (`BEGIN IMMEDIATE`, lms/extensions.py), since
    a reading transaction that later writes cannot wait for the lock."""
    view.writes_on_get = True  # type: ignore[attr-defined]
    return view


def button_post(refused: Callable[..., Outcome] | None = None) -> Callable[[Callable[..., Outcome]],
                                                                           Callable[..., Response]]:
    """The one request pattern for a button-style POST (docs/architecture.md, "One request pattern").

    The decorated view gets the URL values, looks up what it needs, calls ONE service and returns an `Outcome`
    built from what the service returned. Around it: the ActionForm (CSRF token) is checked first (400 if it
    fails); then the session is committed once and the browser redirected, with the outcome's message
    flashed. When the service raises `Refused`, nothing is committed (rolled back) and `refused(error, **url
    values)` gives the outcome instead; without `refused`, a refusal is a 404. Examples: `catalog.enrol`,
    `catalog.mark_done`, `quiz.start`.
    """
    def decorate(view: Callable[..., Outcome]) -> Callable[..., Response]:
        @wraps(view)
        def run(**values: Any) -> Response:
            if not ActionForm().validate_on_submit():
                abort(400)
            try:
                outcome = view(**values)
            except Refused as error:
                db.session.rollback()
                if refused is None:
                    abort(404)
                outcome = refused(error, **values)
            else:
                db.session.commit()
            if outcome.message:
                flash(outcome.message, outcome.category)
            return redirect(outcome.location)  # type: ignore[return-value]
        return run
    return decorate


def public_url() -> str:
    """The platform's public origin (PUBLIC_URL, no trailing slash): the only source of absolute URLs."""
    return str(current_app.config["PUBLIC_URL"]).rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on PUBLIC_URL; the Host header of the request never reaches it."""
    return public_url() + url_for(endpoint, **values)


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default`. Browsers drop tabs and newlines from URLs and
    read a backslash as a slash, so `/%09/evil.example` or `/\\evil.example` would leave the site: the target
    is percent-decoded and refused if the decoded form has any control or format character, a backslash, a
    scheme or a host, or does not start with a single slash."""
    if not target or len(target) > 2000:
        return default
    decoded = target
    for _ in range(3):  # double-encoding (%2509) unwraps too
        decoded = unquote(decoded)
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in decoded) or "\\" in decoded:
        return default
    parts = urlsplit(decoded)
    if parts.scheme or parts.netloc or not decoded.startswith("/") or decoded.startswith("//") \
            or any(ch.isspace() for ch in target):
        return default
    return target


def course_or_404(slug: str) -> Course:
    course = catalog.by_slug(db.session, slug)
    if course is None:
        abort(404)
    return course


# The fixed links of base.html: (endpoint, values). url_for is slow and these never depend on the request
# except for its script root (a SCRIPT_NAME prefix), so they are built once per app and script root.
_NAV_ENDPOINTS: dict[str, tuple[str, dict[str, str]]] = {
    "css": ("static", {"filename": "site.css"}),
    "home": ("core.index", {}),
    "set_language": ("core.set_language", {}),
    "courses": ("catalog.index", {}),
    "search": ("catalog.search", {}),
    "my_learning": ("learner.my_learning", {}),
    "profile": ("auth.profile", {}),
    "logout": ("auth.logout", {}),
    "login": ("auth.login", {}),
    "register": ("auth.register", {}),
}


def nav_urls() -> dict[str, str]:
    """The layout's fixed URLs for this request's script root, built with url_for the first time."""
    cache: dict[str, dict[str, str]] = current_app.extensions.setdefault("lms_nav_urls", {})
    root = request.script_root
    urls = cache.get(root)
    if urls is None:
        urls = {name: url_for(endpoint, **values) for name, (endpoint, values) in _NAV_ENDPOINTS.items()}
        cache[root] = urls
    return urls


def _template_gettext(locale: str) -> Callable[..., str]:
    """The templates' `_`/`gettext` for `locale`, bound to its catalogue once per app: the same as the
    newstyle callable Jinja builds around Flask-Babel's (translate, mark safe under autoescape, then always
    `%`-format), without looking the catalogue up through the request context on each of a page's ~15 calls."""
    cache: dict[str, tuple[Any, Callable[..., str]]] = current_app.extensions.setdefault("lms_gettext", {})
    translations = get_translations()
    found = cache.get(locale)
    if found is not None and found[0] is translations:
        return found[1]

    @pass_context
    def gettext(context: Any, string: str, **variables: Any) -> str:
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            # bandit B704: the text is our translation catalogue's (as Jinja's i18n extension marks it safe);
            # the variables %-formatted into it are escaped by Markup's own __mod__
            text = Markup(text)  # nosec B704
        return text % variables  # type: ignore[no-any-return]

    cache[locale] = (translations, gettext)
    return gettext


def template_globals() -> dict[str, Any]:
    locale = str(get_locale())
    gettext = _template_gettext(locale)
    fw = framework()

    def competency_name(code: str) -> str:
        item = fw.competencies.get(code)
        return f"{code} {item.name(locale)}" if item else code

    def level_name(level: int) -> str:
        return f"{fw.tier_of(level).name(locale)} – {level}"

    def group_name(code: int) -> str:
        return fw.target_group(code).name(locale)

    return {
        "locale": locale,
        # where the language form sends the reader back (web/page_cache.py leaves a hole for it)
        "lang_next": request.full_path if request.method == "GET" else "/",
        "framework": fw,
        "competency_name": competency_name,
        "level_name": level_name,
        "group_name": group_name,
        "nav_urls": nav_urls,
        "gettext": gettext,
        "_": gettext,
    }
