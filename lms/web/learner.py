"""The learner's own pages: "My learning"."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..extensions import db
from ..services import learning

bp = Blueprint("learner", __name__)


@bp.get("/me")
@login_required
def my_learning() -> str:
    """Courses the learner joined, each with progress, and the completed ones."""
    rows = [(row.course, row.enrolment, row.progress) for row in learning.my_learning(db.session, current_user)]
    return render_template("learner/my_learning.html", rows=rows)
