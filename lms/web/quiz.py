"""Quizzes: the quiz page, starting an attempt, answering it and the graded result."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Course, Quiz
from ..services import learning
from . import metrics
from .helpers import ActionForm, Outcome, button_post, course_or_404, now, reads_first
from .certificates import certificate_settings

bp = Blueprint("quiz", __name__)


def _messages() -> dict[str, str]:
    return {
        "already_submitted": _("This attempt was already submitted; your first answers were kept."),
        "no_attempts_left": _("You have used all attempts for this quiz."),
        "already_passed": _("You have already passed this quiz."),
        "unknown_question": _("The answers sent do not match this attempt. Nothing was saved; please try again."),
        "unknown_option": _("An answer sent is not one of the options. Nothing was saved; please try again."),
        "not_yours": _("This attempt belongs to another learner."),
        "not_published": _("This course is not available."),
    }


def _quiz_or_404(course: Course, quiz_slug: str) -> Quiz:
    version = course.published
    quiz = next((q for q in version.quizzes if q.slug == quiz_slug), None) if version else None
    if quiz is None:
        abort(404)
    return quiz


@bp.get("/courses/<slug>/quiz/<quiz_slug>")
def show(slug: str, quiz_slug: str) -> str:
    """The quiz's rules, attempts used and best score, and the button to start."""
    course = course_or_404(slug)
    quiz = _quiz_or_404(course, quiz_slug)
    status = learning.attempt_status(db.session, current_user, course, quiz) if current_user.is_authenticated else None
    return render_template("quiz/show.html", course=course, quiz=quiz, status=status)


def _start_refused(refused: learning.Refused, slug: str, quiz_slug: str) -> Outcome:
    return Outcome(url_for("quiz.show", slug=slug, quiz_slug=quiz_slug), _messages()[refused.reason], "error")


@bp.post("/courses/<slug>/quiz/<quiz_slug>/start")
@login_required
@button_post(refused=_start_refused)
def start(slug: str, quiz_slug: str) -> Outcome:
    """Start an attempt (or resume the open one: a double click never uses two attempts)."""
    course = course_or_404(slug)
    quiz = _quiz_or_404(course, quiz_slug)
    attempt = learning.start_attempt(db.session, current_user, course, quiz, now())
    return Outcome(url_for("quiz.attempt", attempt_id=attempt.id))


def _own_attempt(attempt_id: int) -> learning.AttemptView:
    try:
        return learning.own_attempt(db.session, current_user, attempt_id)
    except learning.Refused as refused:
        abort(404 if refused.reason == "unknown_attempt" else 403)


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
@reads_first
def attempt(attempt_id: int) -> str | Response:
    """Answer the questions (GET) and submit them for grading on the server (POST). A submit is graded in a
    read transaction (and the certificate it earns drawn and signed there), then recorded in a short write
    transaction: on SQLite the write lock is held only for the writes."""
    attempt, quiz, course = _own_attempt(attempt_id)
    if request.method == "POST":
        form = ActionForm()
        if not form.validate_on_submit():
            abort(400)
        answers: dict[str, Any] = {}
        for name in request.form:
            if name.startswith("q"):
                values = request.form.getlist(name)
                # One value stays a string (the service makes it a list for a multiple-choice question);
                # two values for a single-choice question is tampering: the service refuses the list.
                answers[name] = values if len(values) > 1 else values[0]
        at, settings = now(), certificate_settings()
        try:
            graded = learning.grade_attempt(db.session, current_user, attempt.id, answers, at, settings)
            db.begin_writing()
            recorded = learning.record_attempt(db.session, current_user, graded, at, settings)
        except learning.Refused as refused:
            db.session.rollback()
            flash(_messages()[refused.reason], "error")
            if refused.reason in ("already_submitted", "no_attempts_left"):
                return redirect(url_for("quiz.result", attempt_id=attempt.id))
            return redirect(url_for("quiz.attempt", attempt_id=attempt.id))
        db.session.commit()
        metrics.submitted(bool(recorded.passed))
        return redirect(url_for("quiz.result", attempt_id=attempt.id))
    if attempt.submitted_at is not None:
        return redirect(url_for("quiz.result", attempt_id=attempt.id))
    return render_template("quiz/attempt.html", attempt=attempt, quiz=quiz, course=course,
                           questions=learning.attempt_questions(db.session, attempt))


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int) -> str | Response:
    """The graded attempt: score, pass or fail, and per-question feedback with explanations."""
    attempt, quiz, course = _own_attempt(attempt_id)
    if attempt.submitted_at is None:
        return redirect(url_for("quiz.attempt", attempt_id=attempt.id))
    live_quiz = next((q for q in course.published.quizzes if q.slug == quiz.slug), quiz) if course.published else quiz
    status = learning.attempt_status(db.session, current_user, course, live_quiz)
    progress = learning.course_progress(db.session, current_user, course)
    return render_template("quiz/result.html", attempt=attempt, quiz=quiz, course=course,
                           questions=learning.attempt_questions(db.session, attempt), status=status,
                           progress=progress)
