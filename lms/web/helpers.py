"""Small helpers shared by the blueprints: the clock, template globals and simple CSRF-only forms."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort
from flask_babel import get_locale
from .forms import Form as FlaskForm

from ..domain.framework import framework, provinces
from ..extensions import db
from ..models import Course, utcnow
from ..services import catalog


def now() -> datetime:
    """The request's clock (one place to change for tests that need another time)."""
    return utcnow()


class ActionForm(FlaskForm):
    """A form with no fields but the CSRF token: buttons such as "mark as done" or "start the quiz"."""


def course_or_404(slug: str) -> Course:
    course = catalog.by_slug(db.session, slug)
    if course is None:
        abort(404)
    return course


def template_globals() -> dict[str, Any]:
    locale = str(get_locale())
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
        "framework": fw,
        "provinces": provinces(),
        "competency_name": competency_name,
        "level_name": level_name,
        "group_name": group_name,
    }
