"""The quarterly report pages of the officials' area (docs/reporting.md, "Quarterly reports"): the state of
the unit's report and the closing form (on the unit page, through `officials/_quarterly.html`, and on the
reports page), every version kept and downloadable as the signed JSON, PDF and XLSX (rendered from the
frozen document, never from live figures), and the parent's list of which child units have submitted.

Every route goes through `official_route` (the unit from the URL, checked against the user's scope); closes
and downloads are audit-logged."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from ..domain.framework import framework
from ..domain.quarters import VIETNAM, Quarter, reporting_quarter
from ..domain.tables import ENGLISH, VIETNAMESE, Column, Kind, Table
from ..extensions import db
from ..models import Unit
from ..services import audit, quarterly, units
from ..services.officials import OFFICIAL, Scope, ScopeRefused, UnknownUnit
from . import officials
from .certificates.settings import certificate_settings
from .exports import download, table_download
from .forms import Form
from .helpers import audited, now

bp = Blueprint("quarterly", __name__, url_prefix="/officials")
bp.register_error_handler(ScopeRefused, officials._out_of_scope)  # the one 403 page, nothing kept
bp.register_error_handler(UnknownUnit, officials._unknown_unit)

STATUS_NAMES = {"not_open": _l("Not open yet"), "open": _l("Open (not submitted, before the deadline)"),
                "overdue": _l("Overdue (not submitted, past the deadline)"), "on_time": _l("Submitted on time"),
                "late": _l("Submitted late")}
STATUS_ORDER = {"overdue": 0, "open": 1, "late": 2, "on_time": 3, "not_open": 4}
FORMATS = ("json", "pdf", "xlsx")


def _a_quarter(_form: Any, field: Any) -> None:
    try:
        Quarter.parse(field.data or "")
    except ValueError:
        raise ValidationError("not a quarter") from None


class CloseForm(Form):
    quarter = HiddenField(validators=[Regexp(r"^[0-9]{4}Q[1-4]$"), _a_quarter])
    seen_version = HiddenField(validators=[Regexp(r"^[0-9]{1,4}$")])
    note = TextAreaField(_l("Why this correction (required for a correction)"),
                         validators=[Optional(), Length(max=500)])


def vietnam_time(moment: datetime) -> str:
    """A moment as Vietnam time, e.g. "15/09/2025 00:00 (giờ Việt Nam)"."""
    return _("%(when)s (Vietnam time)", when=moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M"))


def _quarter_arg(default: Quarter) -> Quarter:
    raw = request.args.get("quarter")
    if raw is None:
        return default
    try:
        return Quarter.parse(raw[:16])
    except ValueError:
        abort(404)


def _panel(unit: Unit, quarter: Quarter, form: CloseForm | None = None, problem: str | None = None,
           read: tuple[int, list[Any]] | None = None) -> dict[str, Any]:
    """What the closing panel shows: the state, the figures that closing would freeze now, the form."""
    found = quarterly.state(db.session, unit, quarter, now())
    if form is None:
        form = CloseForm(formdata=None, data={"quarter": str(quarter), "seen_version": str(found.latest_version)})
    else:  # a refused submit shows the page as it is now, with the version now current
        form.seen_version.data = str(found.latest_version)
    return {"unit": unit, "state": found, "quarter": quarter, "form": form, "problem": problem,
            "figures": quarterly.figures_to_freeze(db.session, unit, quarter, read) if found.can_close else [],
            "deadline": vietnam_time(quarter.deadline), "opens": vietnam_time(quarter.opens)}


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    def quarterly_panel(unit: Unit, read: tuple[int, list[Any]] | None = None) -> dict[str, Any]:
        """The panel of the unit page (officials/_quarterly.html): the quarter being reported now. `read`:
        the unit's unfiltered figures of a quarter the page has already read (period, figures)."""
        return _panel(unit, reporting_quarter(now()), read=read)
    return {"quarterly_panel": quarterly_panel, "quarter_label": _quarter_label, "status_names": STATUS_NAMES,
            "vietnam_time": vietnam_time}


def _quarter_label(quarter: Quarter | str) -> str:
    q = Quarter.parse(quarter) if isinstance(quarter, str) else quarter
    return q.label("vi" if str(get_locale()) == "vi" else "en")


def _reports_page(unit: Unit, quarter: Quarter, form: CloseForm | None = None, problem: str | None = None,
                  status: int = 200) -> tuple[str, int]:
    return render_template("officials/reports.html", unit=unit, panel=_panel(unit, quarter, form, problem),
                           history=quarterly.history(db.session, unit),
                           has_children=bool(units.children(db.session, unit))), status


@bp.get("/units/<code>/reports")
@officials.official_route(OFFICIAL)
def reports(unit: Unit, scope: Scope) -> tuple[str, int]:
    """The unit's reports, every version of every quarter, and the closing panel of `?quarter=`."""
    return _reports_page(unit, _quarter_arg(reporting_quarter(now())))


def refusal(reason: str, latest: int) -> str:
    messages = {
        "stale": _("This quarter's report was already closed (version %(version)d) after this page was shown, "
                   "for example by a second click. Nothing was written. Check the report below; to correct it, "
                   "close it again with a note.", version=latest),
        "not_open": _("This quarter cannot be closed yet: a quarter's report can be closed from the first day of "
                      "its last month. Nothing was written."),
        "note_required": _("A correction must say why it was made. Please write a note. Nothing was written."),
        "bad_figures": _("The figures of this unit could not be frozen into a report. Nothing was written."),
    }
    return messages.get(reason, _("This action is not allowed here"))


@bp.post("/units/<code>/reports")
@officials.official_route(OFFICIAL)
def close(unit: Unit, scope: Scope) -> Response | tuple[str, int]:
    """Close the quarter: the figures as of now frozen, signed and kept (a correction needs a note). A double
    submit (the version seen is no longer the latest) writes nothing and says the report was already closed."""
    form = CloseForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors or form.quarter.errors or form.seen_version.errors:
            abort(400)
        return _reports_page(unit, Quarter.parse(form.quarter.data), form, status=400)
    quarter = Quarter.parse(form.quarter.data)
    moment = now()
    try:
        row = quarterly.close(db.session, current_user, unit, quarter, moment,
                              quarterly.figures_to_freeze(db.session, unit, quarter), certificate_settings(),
                              seen_version=int(form.seen_version.data), note=form.note.data or "")
    except quarterly.Refused as error:
        db.session.rollback()
        latest = quarterly.state(db.session, unit, quarter, moment).latest_version
        if error.reason == "note_required":
            form.note.errors = [refusal(error.reason, latest)]
        code = {"stale": 409, "not_open": 400, "note_required": 400}.get(error.reason, 400)
        return _reports_page(unit, quarter, form, refusal(error.reason, latest), code)
    audit.record(db.session, current_user, "close_quarter", unit, f"{row.report_id}", now=moment,
                 client=request.remote_addr)
    db.session.commit()
    state = quarterly.state(db.session, unit, quarter, moment)
    flash(_("The report of %(quarter)s was closed and signed: %(id)s (%(status)s).",
            quarter=_quarter_label(quarter), id=row.report_id, status=STATUS_NAMES[state.status]), "success")
    return redirect(url_for("quarterly.reports", code=unit.code, quarter=str(quarter)), 303)  # type: ignore[return-value]


def report_table(document: Mapping[str, Any]) -> Table:
    """The frozen document as a table (for PDF and XLSX): only what the document holds, nothing live."""
    locale = "vi" if str(get_locale()) == "vi" else "en"
    fw = framework()
    quarter = Quarter.parse(str(document["quarter"]))
    cutoff = datetime.fromisoformat(str(document["cutoff"]).replace("Z", "+00:00"))
    rows = [{"group": fw.target_group(int(f["group"])).name(locale), "registered": f["registered"],
             "verified": f["verified"], "started": f["started"], "completed": f["completed"],
             "achieved": f["achieved"], "population": f["population"], "target": f["target_percent"],
             "source": f["population_source"] or ""} for f in document["figures"]]
    columns = (Column("group", _("Target group")), Column("registered", _("Registered"), Kind.INTEGER),
               Column("verified", _("Verified"), Kind.INTEGER), Column("started", _("Started"), Kind.INTEGER),
               Column("completed", _("Completed a course"), Kind.INTEGER),
               Column("achieved", _("Achieved"), Kind.INTEGER),
               Column("population", _("Target population"), Kind.INTEGER),
               Column("rate", _("Rate"), Kind.PERCENT, numerator="achieved", denominator="population",
                      fallback="registered"),
               Column("target", _("Target"), Kind.PERCENT), Column("source", _("Population source")))
    notes = [_("Report %(id)s, version %(version)s, submitted by %(name)s.", id=document["id"],
               version=document["version"], name=document["submitted_by"])]
    if document.get("supersedes"):
        notes.append(_("Corrects %(id)s.", id=document["supersedes"]))
    notes.append(_("Signed by %(issuer)s (key %(kid)s); the JSON download can be checked with "
                   "“lms quarterly verify”.", issuer=document["issuer"], kid=document["kid"]))
    return Table(title=_("Quarterly report %(quarter)s: %(unit)s", quarter=quarter.label(locale),
                         unit=document["unit"]["name"]),
                 as_of=cutoff, as_of_text=_("Figures as of %(when)s", when=vietnam_time(cutoff)),
                 columns=columns, rows=rows, notes=tuple(notes), fallback_label=_("÷ registered"),
                 basis_label=_("Basis"), style=VIETNAMESE if locale == "vi" else ENGLISH)


@bp.get("/units/<code>/reports/<report_id>.<fmt>")
@audited
@officials.official_route(OFFICIAL)
def download_report(unit: Unit, scope: Scope, report_id: str, fmt: str) -> Response:
    """One version of the unit's report, as the signed JSON (document and signature, what `lms quarterly
    verify` checks), PDF or XLSX, all from the stored document. Audited as an export."""
    row = quarterly.by_report_id(db.session, unit, report_id[:64])
    if row is None or fmt not in FORMATS:
        abort(404)
    audit.record(db.session, current_user, "export", unit, f"report={row.report_id} format={fmt}", now=now(),
                 client=request.remote_addr)
    db.session.commit()
    if fmt == "json":
        body = json.dumps(quarterly.as_file(row), ensure_ascii=False, indent=2).encode("utf-8")
        return download([body], f"{row.report_id}.json", "application/json")
    document = json.loads(row.document)
    return table_download(report_table(document), fmt, row.report_id,
                          page_text=_("Page %(page)s of %(pages)s", page="{page}", pages="{pages}"))


@bp.get("/units/<code>/submissions")
@officials.official_route(OFFICIAL)
def submissions(unit: Unit, scope: Scope) -> str:
    """The parent's view: each unit directly under this one, whether it submitted `?quarter=` on time, late,
    or not yet, with its latest version; `?sort=status` puts the overdue first."""
    quarter = _quarter_arg(reporting_quarter(now()))
    sort = request.args.get("sort", "name")
    if sort not in ("name", "status"):
        abort(404)
    rows = quarterly.submissions(db.session, unit, quarter, now())
    if sort == "status":
        rows.sort(key=lambda r: (STATUS_ORDER[r.status], r.unit.name))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    return render_template("officials/submissions.html", unit=unit, quarter=quarter, rows=rows, sort=sort,
                           counts=counts, deadline=vietnam_time(quarter.deadline),
                           previous=quarter.previous, next=quarter.next)
